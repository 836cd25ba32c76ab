#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace heapy::heap {

// Node number -> Value for the few nodes that have one (a dict's owner, a size past 4 GiB):
// open addressing with linear probing, one flat array of (node, value) pairs.
template <class Value> class NodeMap {
  public:
    NodeMap() = default;

    const Value* find(uint32_t node) const {
        if (entries_.empty() || node == kEmpty) return nullptr;
        for (size_t slot = hash(node) & mask_;; slot = (slot + 1) & mask_) {
            const Entry& e = entries_[slot];
            if (e.first == node) return &e.second;
            if (e.first == kEmpty) return nullptr;
        }
    }

    // The value of `node`, made `initial` when it had none.
    Value& insert(uint32_t node, Value initial) {
        if ((size_ + 1) * 2 > entries_.size()) rehash(entries_.empty() ? 64 : entries_.size() * 2);
        for (size_t slot = hash(node) & mask_;; slot = (slot + 1) & mask_) {
            Entry& e = entries_[slot];
            if (e.first == node) return e.second;
            if (e.first == kEmpty) {
                e = {node, std::move(initial)};
                ++size_;
                return e.second;
            }
        }
    }

    template <class F> void for_each(F&& f) const {
        for (const Entry& e : entries_)
            if (e.first != kEmpty) f(e.first, e.second);
    }

    size_t size() const { return size_; }
    size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }

  private:
    using Entry = std::pair<uint32_t, Value>;
    static constexpr uint32_t kEmpty = UINT32_MAX; // never a node number

    static size_t hash(uint32_t node) { return size_t((node * 0x9e3779b97f4a7c15ULL) >> 20); }

    void rehash(size_t capacity) {
        std::vector<Entry> old = std::move(entries_);
        entries_.assign(capacity, Entry{kEmpty, Value{}});
        mask_ = capacity - 1;
        size_ = 0;
        for (Entry& e : old)
            if (e.first != kEmpty) insert(e.first, std::move(e.second));
    }

    std::vector<Entry> entries_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

} // namespace heapy::heap
