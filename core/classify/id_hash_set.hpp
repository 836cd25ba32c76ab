#pragma once

#include "core/heap/huge_pages.hpp"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace heapy::classify {

// A hash set of ids whose keys live elsewhere (a dense vector indexed by id): open addressing,
// 8 bytes a slot, the key's hash kept beside its id so that a probe rarely looks at a key and
// the table grows without hashing anything again. Millions of distinct relation texts or
// referrer sets fit in a few flat arrays instead of a node per entry.
class IdHashSet {
  public:
    static constexpr uint32_t kNone = UINT32_MAX;

    IdHashSet() : slots_(1024) {}

    // The id whose key equals the probed one (`equals(id)`), or `new_id` after adding it.
    template <class Equals>
    std::pair<uint32_t, bool> insert(uint64_t hash, Equals&& equals, uint32_t new_id) {
        const uint32_t short_hash = shorten(hash);
        for (size_t i = short_hash & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            Slot& slot = slots_[i];
            if (slot.id == kNone) {
                slot = {new_id, short_hash};
                if (++size_ * 2 > slots_.size()) grow();
                return {new_id, true};
            }
            if (slot.hash == short_hash && equals(slot.id)) return {slot.id, false};
        }
    }

    // Asks the CPU to start loading the slot where a key with `hash` goes (a hint: nothing
    // changes): a table of millions of slots misses the cache on nearly every probe.
    void prefetch(uint64_t hash) const {
        __builtin_prefetch(&slots_[shorten(hash) & (slots_.size() - 1)]);
    }

    size_t size() const { return size_; }

  private:
    static uint32_t shorten(uint64_t hash) {
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdULL;
        hash ^= hash >> 33;
        return uint32_t(hash);
    }

    struct Slot {
        uint32_t id = kNone;
        uint32_t hash = 0;
    };

    void grow() {
        heap::BigVector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        const size_t mask = slots_.size() - 1;
        for (const Slot& slot : old) {
            if (slot.id == kNone) continue;
            size_t i = slot.hash & mask;
            while (slots_[i].id != kNone) i = (i + 1) & mask;
            slots_[i] = slot;
        }
    }

    heap::BigVector<Slot> slots_;
    size_t size_ = 0;
};

} // namespace heapy::classify
