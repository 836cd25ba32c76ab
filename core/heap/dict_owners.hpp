#pragma once

#include "core/heap/node_map.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace heapy::heap {

// Dict (or inline values) node -> the node whose __dict__ it is, for the few nodes that have one.
// The walk adds owners to a hash table; freeze() then lays them out in node order (a bit per
// node, a running count per 64 nodes, the owners end to end), so that a pass over the nodes in
// order, as a partition makes, reads them in order too instead of missing the cache on each.
class DictOwners {
  public:
    static constexpr uint32_t kNone = UINT32_MAX;

    uint32_t find(uint32_t node) const {
        if (node < frozen_nodes_ && has(node)) return owners_[rank(node)];
        if (recent_.size() == 0) return kNone;
        const uint32_t* owner = recent_.find(node);
        return owner ? *owner : kNone;
    }

    void set(uint32_t node, uint32_t owner) {
        if (node < frozen_nodes_ && has(node))
            owners_[rank(node)] = owner;
        else
            recent_.insert(node, owner) = owner;
    }

    // Lays out every owner in node order; `node_count` must exceed every node with an owner.
    void freeze(uint32_t node_count) {
        const size_t words = (size_t(node_count) + 63) / 64;
        std::vector<uint64_t> bits(words, 0);
        std::copy(bits_.begin(), bits_.end(), bits.begin());
        recent_.for_each(
            [&](uint32_t node, uint32_t) { bits[node / 64] |= uint64_t{1} << (node % 64); });
        std::vector<uint32_t> counts(words, 0);
        for (size_t w = 1; w < words; ++w)
            counts[w] = counts[w - 1] + uint32_t(std::popcount(bits[w - 1]));
        std::vector<uint32_t> owners(size());
        for (size_t w = 0; w < bits_.size(); ++w)
            for (uint64_t word = bits_[w]; word != 0; word &= word - 1) {
                const uint32_t node = uint32_t(w * 64 + size_t(std::countr_zero(word)));
                owners[rank(bits, counts, node)] = owners_[rank(bits_, counts_, node)];
            }
        recent_.for_each(
            [&](uint32_t node, uint32_t owner) { owners[rank(bits, counts, node)] = owner; });
        bits_ = std::move(bits);
        counts_ = std::move(counts);
        owners_ = std::move(owners);
        frozen_nodes_ = node_count;
        recent_ = {};
    }

    size_t size() const { return owners_.size() + recent_.size(); }
    size_t memory_bytes() const {
        return (bits_.capacity() * 8 + counts_.capacity() * 4 + owners_.capacity() * 4) +
               recent_.memory_bytes();
    }

  private:
    bool has(uint32_t node) const { return bits_[node / 64] >> (node % 64) & 1; }
    // How many nodes before `node` have an owner.
    static size_t rank(const std::vector<uint64_t>& bits, const std::vector<uint32_t>& counts,
                       uint32_t node) {
        const uint64_t below = bits[node / 64] & ((uint64_t{1} << (node % 64)) - 1);
        return counts[node / 64] + size_t(std::popcount(below));
    }
    size_t rank(uint32_t node) const { return rank(bits_, counts_, node); }

    std::vector<uint64_t> bits_;
    std::vector<uint32_t> counts_; // owners before each 64-node word
    std::vector<uint32_t> owners_;
    uint32_t frozen_nodes_ = 0;
    NodeMap<uint32_t> recent_;
};

} // namespace heapy::heap
