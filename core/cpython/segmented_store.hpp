#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace heapy::cpython {

// An append-only array whose elements never move and whose indexing reads no bookkeeping that
// appending rewrites: segment s holds kFirst << s elements and is allocated when first needed.
// So one thread may append while another reads elements it was told of (through an
// acquire/release handoff) — which std::deque, whose index map is reallocated, does not allow.
template <class T> class SegmentedStore {
  public:
    T& operator[](size_t index) { return element(index); }
    const T& operator[](size_t index) const { return element(index); }
    size_t size() const { return size_; }

    T& push_back(T value) {
        const auto [segment, offset] = locate(size_);
        if (!segments_[segment]) segments_[segment] = std::make_unique<T[]>(kFirst << segment);
        T& slot = segments_[segment][offset];
        slot = std::move(value);
        ++size_;
        return slot;
    }

  private:
    static constexpr size_t kFirst = 64;
    static constexpr size_t kSegments = 32; // 64 * (2^32 - 1) elements

    static std::pair<size_t, size_t> locate(size_t index) {
        const size_t segment = size_t(std::bit_width(index / kFirst + 1)) - 1;
        return {segment, index - kFirst * ((size_t{1} << segment) - 1)};
    }
    T& element(size_t index) const {
        const auto [segment, offset] = locate(index);
        return segments_[segment][offset];
    }

    std::array<std::unique_ptr<T[]>, kSegments> segments_;
    size_t size_ = 0;
};

} // namespace heapy::cpython
