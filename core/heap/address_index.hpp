#pragma once

#include "core/heap/address_hash.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace heapy::heap {

// Address -> node number. Objects that point at each other tend to live in the same pymalloc
// pool, so the index is laid out like memory: 2 MiB regions (found by a small hash table) of
// 4 KiB pages, each page a flat array with one slot per 32-byte granule (CPython aligns heap
// objects to 16 bytes, and all but the 16-byte ones, `object()`, are at least 32 bytes apart). A
// lookup touches memory near the previous one instead of a random slot of a table as big as the
// heap. Addresses that are not 8-byte aligned or not in user space (damaged pointers), node
// numbers past 2^30 and a second address in one granule go to a hash table.
class AddressIndex {
  public:
    static constexpr uint32_t kMissing = UINT32_MAX;

    AddressIndex() = default;

    uint32_t find(uint64_t address) const {
        if (!paged(address)) return scattered_.find(address);
        const uint32_t* slot_address = existing_slot(address);
        if (!slot_address) return missing(address);
        const uint32_t slot = *slot_address;
        if (slot == kMissing) return missing(address);
        if ((slot & kOffsetMask) == offset_bits(address)) return slot & ~kOffsetMask;
        return scattered_.find(address);
    }

    // Asks the CPU to start loading the slot of `address` (a hint: nothing changes).
    void prefetch(uint64_t address) const {
        if (!paged(address)) return;
        if (const uint32_t* slot = existing_slot(address)) __builtin_prefetch(slot);
    }

    // Inserts `address -> node` unless present; returns the node stored for `address`.
    uint32_t insert(uint64_t address, uint32_t node) {
        if (!paged(address)) return scattered_.insert(address, node);
        if (node >= kNodeLimit - 1) {
            if (uint32_t known = find(address); known != kMissing) return known;
            huge_nodes_hashed_ = true;
            return scattered_.insert(address, node);
        }
        uint32_t& slot = slot_for(address);
        if (slot == kMissing) {
            slot = node | offset_bits(address);
            ++size_;
            return node;
        }
        if ((slot & kOffsetMask) == offset_bits(address)) return slot & ~kOffsetMask;
        return scattered_.insert(address, node); // the granule has another address
    }

    size_t size() const { return size_ + scattered_.size(); }
    size_t memory_bytes() const {
        return region_numbers_.memory_bytes() + regions_.size() * sizeof(Region) +
               chunks_.size() * kChunkPages * kPageSlots * sizeof(uint32_t) +
               scattered_.memory_bytes();
    }

  private:
    static constexpr unsigned kGranuleShift = 5;
    static constexpr unsigned kPageShift = 12;
    static constexpr unsigned kRegionShift = 21;
    static constexpr unsigned kAddressBits = 47;
    static constexpr size_t kPageSlots = size_t{1} << (kPageShift - kGranuleShift);
    static constexpr uint64_t kGranuleMask = kPageSlots - 1;
    static constexpr size_t kRegionPages = size_t{1} << (kRegionShift - kPageShift);
    static constexpr uint64_t kPageMask = kRegionPages - 1;
    static constexpr size_t kChunkPages = 64;

    using Region = std::array<uint32_t*, kRegionPages>;

    // A slot holds a node number and, in its top two bits, where in the granule the address is,
    // in 8-byte steps (an object after a GC header is 16 bytes in; an instance's values array in
    // 3.11, after its 8 prefix bytes, 8 or 24). A damaged pointer may ask for any of the four.
    static constexpr unsigned kOffsetShift = 30;
    static constexpr uint32_t kNodeLimit = uint32_t{1} << kOffsetShift;
    static constexpr uint32_t kOffsetMask = ~(kNodeLimit - 1);

    static bool paged(uint64_t address) {
        return (address & 7) == 0 && address < (uint64_t{1} << kAddressBits);
    }
    static uint32_t offset_bits(uint64_t address) {
        return uint32_t((address >> 3) & 3) << kOffsetShift;
    }
    static uint64_t region_key(uint64_t address) { return (address >> kRegionShift) + 1; }
    // An address with no slot is in the hash only if its node number did not fit a slot.
    uint32_t missing(uint64_t address) const {
        return huge_nodes_hashed_ ? scattered_.find(address) : kMissing;
    }

    // The slot of a paged address, or nullptr when its page has none yet.
    const uint32_t* existing_slot(uint64_t address) const {
        const uint32_t region_number = region_numbers_.find(region_key(address));
        if (region_number == AddressHash::kMissing) return nullptr;
        const uint32_t* page = (*regions_[region_number])[(address >> kPageShift) & kPageMask];
        return page ? page + ((address >> kGranuleShift) & kGranuleMask) : nullptr;
    }

    uint32_t& slot_for(uint64_t address) {
        const uint32_t region_number =
            region_numbers_.insert(region_key(address), uint32_t(regions_.size()));
        if (region_number == regions_.size())
            regions_.push_back(std::make_unique<Region>()); // value-initialized: pages null
        Region* region = regions_[region_number].get();
        uint32_t*& page = (*region)[(address >> kPageShift) & kPageMask];
        if (!page) page = new_page();
        return page[(address >> kGranuleShift) & kGranuleMask];
    }

    uint32_t* new_page() {
        if (pages_in_last_chunk_ == kChunkPages || chunks_.empty()) {
            chunks_.push_back(std::make_unique_for_overwrite<uint32_t[]>(kChunkPages * kPageSlots));
            pages_in_last_chunk_ = 0;
        }
        uint32_t* page = chunks_.back().get() + pages_in_last_chunk_++ * kPageSlots;
        std::fill(page, page + kPageSlots, kMissing);
        return page;
    }

    AddressHash region_numbers_; // 2 MiB region -> its number in regions_
    std::vector<std::unique_ptr<Region>> regions_;
    std::vector<std::unique_ptr<uint32_t[]>> chunks_;
    size_t pages_in_last_chunk_ = 0;
    size_t size_ = 0;
    bool huge_nodes_hashed_ = false;
    AddressHash scattered_;
};

} // namespace heapy::heap
