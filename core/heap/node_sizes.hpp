#pragma once

#include "core/heap/node_map.hpp"
#include "core/heap/pod_array.hpp"

#include <cstddef>
#include <cstdint>

namespace heapy::heap {

// The size of every node: 2 bytes a node, and the few sizes of 64 KiB and more in a side table.
class NodeSizes {
  public:
    uint64_t of(uint32_t node) const {
        const uint16_t small = small_[node];
        return small == kBig ? *big_.find(node) : small;
    }
    void set(uint32_t node, uint64_t size) {
        if (size >= kBig) {
            small_[node] = kBig;
            big_.insert(node, size) = size;
        } else {
            small_[node] = uint16_t(size);
        }
    }
    void append(uint64_t size) {
        small_.push_back(0);
        set(uint32_t(small_.size() - 1), size);
    }

    size_t size() const { return small_.size(); }
    size_t big_count() const { return big_.size(); }
    size_t memory_bytes() const { return small_.size() * sizeof(uint16_t) + big_.memory_bytes(); }

  private:
    static constexpr uint16_t kBig = UINT16_MAX;
    PodArray<uint16_t> small_;
    NodeMap<uint64_t> big_;
};

} // namespace heapy::heap
