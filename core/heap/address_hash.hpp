#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace heapy::heap {

// Address -> node number, open addressing with linear probing. Addresses are never 0. Scatters
// neighbouring addresses over the table: AddressIndex uses it only for the odd address.
class AddressHash {
  public:
    static constexpr uint32_t kMissing = UINT32_MAX;

    AddressHash() { rehash(1 << 12); }

    uint32_t find(uint64_t address) const {
        for (size_t slot = hash(address) & mask_;; slot = (slot + 1) & mask_) {
            const Entry& e = entries_[slot];
            if (e.address == address) return e.node;
            if (e.address == 0) return kMissing;
        }
    }

    // Inserts `address -> node` unless present; returns the node stored for `address`.
    uint32_t insert(uint64_t address, uint32_t node) {
        if ((size_ + 1) * 2 > entries_.size()) rehash(entries_.size() * 2);
        for (size_t slot = hash(address) & mask_;; slot = (slot + 1) & mask_) {
            Entry& e = entries_[slot];
            if (e.address == address) return e.node;
            if (e.address == 0) {
                e = {address, node};
                ++size_;
                return node;
            }
        }
    }

    size_t size() const { return size_; }
    size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }

  private:
    struct Entry {
        uint64_t address = 0;
        uint32_t node = 0;
    };

    static size_t hash(uint64_t address) {
        address ^= address >> 33;
        address *= 0xff51afd7ed558ccdULL;
        address ^= address >> 33;
        return size_t(address);
    }

    void rehash(size_t capacity) {
        std::vector<Entry> old = std::move(entries_);
        entries_.assign(capacity, Entry{});
        mask_ = capacity - 1;
        size_ = 0;
        for (const Entry& e : old)
            if (e.address != 0) insert(e.address, e.node);
    }

    std::vector<Entry> entries_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

} // namespace heapy::heap
