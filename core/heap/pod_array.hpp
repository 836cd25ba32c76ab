#pragma once

#include "core/heap/huge_pages.hpp"

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace heapy::heap {

// A growable array of plain structs for the graph's big tables. Grows with realloc, which moves
// a large block by remapping its pages (mremap) instead of copying it: appending tens of millions
// of entries neither copies them over and over nor holds the old and the new block at once.
// After pin(), the elements never move: the address range for every element the array may ever
// hold is reserved up front (costing no memory until used), so another thread may read elements
// while this one appends.
template <typename T> class PodArray {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

  public:
    PodArray() = default;
    PodArray(const PodArray&) = delete;
    PodArray& operator=(const PodArray&) = delete;
    PodArray(PodArray&& other) noexcept { swap(other); }
    PodArray& operator=(PodArray&& other) noexcept {
        PodArray moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~PodArray() { release(); }

    // Makes the elements' addresses permanent, for at most `limit` elements. False (and nothing
    // changed) when the address range cannot be reserved (a limit on virtual memory).
    // `huge_pages`: asks for them over the range (huge_pages.hpp).
    bool pin(size_t limit, bool huge_pages = false) {
        if (pinned_limit_ != 0) return limit <= pinned_limit_;
        if (limit == 0 || limit > (SIZE_MAX >> 1) / sizeof(T)) return false;
        const size_t bytes = round_to_pages(limit * sizeof(T));
        void* range =
            mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (range == MAP_FAILED) return false;
        if (huge_pages) advise_huge_pages(range, bytes);
        const size_t used = round_to_pages(size_ * sizeof(T));
        if (used != 0 && mprotect(range, used, PROT_READ | PROT_WRITE) != 0) {
            munmap(range, bytes);
            return false;
        }
        if (size_ != 0) std::memcpy(range, data_, size_ * sizeof(T));
        std::free(data_);
        data_ = static_cast<T*>(range);
        capacity_ = used / sizeof(T);
        pinned_limit_ = limit;
        pinned_bytes_ = bytes;
        return true;
    }
    bool pinned() const { return pinned_limit_ != 0; }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* begin() { return data_; }
    T* end() { return data_ + size_; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }
    T& operator[](size_t i) { return data_[i]; }
    const T& operator[](size_t i) const { return data_[i]; }
    T& back() { return data_[size_ - 1]; }
    const T& back() const { return data_[size_ - 1]; }

    void push_back(const T& value) {
        if (size_ == capacity_) grow(size_ + 1);
        data_[size_++] = value;
    }
    template <typename... Args> T& emplace_back(Args&&... args) {
        if (size_ == capacity_) grow(size_ + 1);
        return *new (data_ + size_++) T(std::forward<Args>(args)...);
    }
    void resize(size_t size, const T& value = T()) {
        reserve(size);
        for (size_t i = size_; i < size; ++i) data_[i] = value;
        size_ = size;
    }
    void reserve(size_t capacity) {
        if (capacity > capacity_) reallocate(capacity);
    }

  private:
    void grow(size_t needed) {
        size_t capacity = capacity_ < 1024 ? 1024 : capacity_ + capacity_ / 2;
        if (pinned_limit_ != 0 && capacity > pinned_limit_) capacity = pinned_limit_;
        reallocate(capacity < needed ? needed : capacity);
    }
    void reallocate(size_t capacity) {
        if (pinned_limit_ != 0) {
            if (capacity > pinned_limit_) throw std::bad_alloc();
            const size_t used = round_to_pages(capacity_ * sizeof(T));
            const size_t wanted = round_to_pages(capacity * sizeof(T));
            auto* start = reinterpret_cast<std::byte*>(data_) + used;
            if (mprotect(start, wanted - used, PROT_READ | PROT_WRITE) != 0) throw std::bad_alloc();
            capacity_ = wanted / sizeof(T);
            return;
        }
        void* moved = std::realloc(data_, capacity * sizeof(T));
        if (!moved) throw std::bad_alloc();
        data_ = static_cast<T*>(moved);
        capacity_ = capacity;
    }
    void swap(PodArray& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
        std::swap(pinned_limit_, other.pinned_limit_);
        std::swap(pinned_bytes_, other.pinned_bytes_);
    }
    void release() {
        if (pinned_limit_ != 0)
            munmap(data_, pinned_bytes_);
        else
            std::free(data_);
    }
    // Whole pages, in steps of 2 MiB past the first: few calls to mprotect, each on a page
    // boundary (pages are 4, 16 or 64 KiB on AArch64).
    static size_t round_to_pages(size_t bytes) {
        constexpr size_t kStep = size_t{2} << 20;
        const size_t step = bytes < kStep ? system_page_size() : kStep;
        return (bytes + step - 1) / step * step;
    }

    T* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
    size_t pinned_limit_ = 0; // elements; 0 while not pinned
    size_t pinned_bytes_ = 0;
};

} // namespace heapy::heap
