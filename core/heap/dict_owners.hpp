#pragma once

#include "core/heap/node_map.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace heapy::heap {

// Dict (or inline values) node -> the node whose __dict__ it is, for the few nodes that have one.
// The walk appends the owners of nodes it has just made (nearly all: an instance's values are
// found through the instance) in node order, and puts the others in a hash table; freeze() then
// lays them all out in node order (a bit per node, a running count per 64 nodes, the owners end
// to end), so that a pass over the nodes in order, as a partition makes, reads them in order too
// instead of missing the cache on each.
class DictOwners {
  public:
    static constexpr uint32_t kNone = UINT32_MAX;

    uint32_t find(uint32_t node) const {
        if (node < frozen_nodes_ && has(node)) return owners_[rank(node)];
        if (const Entry* entry = find_appended(node)) return entry->second;
        if (recent_.size() == 0) return kNone;
        const uint32_t* owner = recent_.find(node);
        return owner ? *owner : kNone;
    }

    void set(uint32_t node, uint32_t owner) {
        if (node < frozen_nodes_ && has(node))
            owners_[rank(node)] = owner;
        else if (const Entry* entry = find_appended(node))
            appended_[size_t(entry - appended_.data())].second = owner;
        else
            recent_.insert(node, owner) = owner;
    }

    // The owner of a node made just now, which nothing can have claimed yet.
    void add_new(uint32_t node, uint32_t owner) {
        if (!appended_.empty() && node <= appended_.back().first)
            set(node, owner); // not newer than the last: not made just now after all
        else
            appended_.emplace_back(node, owner);
    }

    // Lays out every owner in node order; `node_count` must exceed every node with an owner.
    void freeze(uint32_t node_count) {
        const size_t words = (size_t(node_count) + 63) / 64;
        std::vector<uint64_t> bits(words, 0);
        std::copy(bits_.begin(), bits_.end(), bits.begin());
        for (const Entry& entry : appended_)
            bits[entry.first / 64] |= uint64_t{1} << (entry.first % 64);
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
        for (const auto& [node, owner] : appended_) owners[rank(bits, counts, node)] = owner;
        recent_.for_each(
            [&](uint32_t node, uint32_t owner) { owners[rank(bits, counts, node)] = owner; });
        bits_ = std::move(bits);
        counts_ = std::move(counts);
        owners_ = std::move(owners);
        frozen_nodes_ = node_count;
        appended_ = {};
        recent_ = {};
    }

    size_t size() const { return owners_.size() + appended_.size() + recent_.size(); }
    size_t memory_bytes() const {
        return (bits_.capacity() * 8 + counts_.capacity() * 4 + owners_.capacity() * 4) +
               appended_.capacity() * sizeof(Entry) + recent_.memory_bytes();
    }

  private:
    using Entry = std::pair<uint32_t, uint32_t>; // (node, owner)

    // The walk asks in node order: the answer is a step or two past the last one.
    const Entry* find_appended(uint32_t node) const {
        if (appended_.empty() || node < appended_.front().first || node > appended_.back().first)
            return nullptr;
        const size_t hint = hint_.load(std::memory_order_relaxed);
        size_t i = hint < appended_.size() && appended_[hint].first <= node ? hint : 0;
        for (int step = 0; step < 4 && i < appended_.size() && appended_[i].first < node; ++step)
            ++i;
        if (appended_[i].first < node)
            i = size_t(std::lower_bound(appended_.begin() + std::ptrdiff_t(i), appended_.end(),
                                        node,
                                        [](const Entry& e, uint32_t n) { return e.first < n; }) -
                       appended_.begin());
        hint_.store(i, std::memory_order_relaxed);
        return appended_[i].first == node ? &appended_[i] : nullptr;
    }

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
    std::vector<Entry> appended_; // increasing nodes
    // Where find_appended last looked: any value is a correct start, so threads that read the
    // owners together may overwrite each other's (atomically: copied as a plain number).
    struct Hint : std::atomic<size_t> {
        Hint() : std::atomic<size_t>(0) {}
        Hint(const Hint& other) : std::atomic<size_t>(other.load(std::memory_order_relaxed)) {}
        Hint& operator=(const Hint& other) {
            store(other.load(std::memory_order_relaxed), std::memory_order_relaxed);
            return *this;
        }
    };
    mutable Hint hint_;
    NodeMap<uint32_t> recent_;
};

} // namespace heapy::heap
