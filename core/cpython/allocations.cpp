#include "core/cpython/allocations.hpp"

#include "core/cpython/pymalloc_pools.hpp"
#include "core/cpython/type_registry.hpp"

#include <algorithm>
#include <iterator>

namespace heapy::cpython {

namespace {

constexpr uint64_t kAlignment = kPymallocAlignment;
constexpr uint64_t kSmallRequestThreshold = 512; // pymalloc's largest block

// glibc malloc: the chunk header before the memory it hands out.
constexpr uint64_t kPrevInUse = 1;
constexpr uint64_t kMmapped = 2;
constexpr uint64_t kChunkFlags = 7;
constexpr uint64_t kMinChunk = 32;
constexpr uint64_t kMaxChunk = uint64_t{1} << 40;
constexpr uint64_t kPage = 4096;

} // namespace

uint64_t allocation_offset(const Layout& layout, uint64_t type_flags) {
    uint64_t before = (type_flags & kTpFlagHaveGc) ? layout.gc_head_size : 0;
    if (type_flags & uint64_t(layout.tpflags_managed_dict | layout.tpflags_managed_weakref))
        before += uint64_t(layout.preheader_size);
    return before;
}

bool Allocations::fits(uint64_t address, uint64_t type_flags, uint64_t body) {
    // What fits a pymalloc block need only be there (a hot path: at worst a block's worth of
    // bytes counted twice); lengths beyond it must be backed by the allocation.
    if (body <= kSmallRequestThreshold) return body == 0 || reader_.readable(address + body - 1, 1);
    const uint64_t before = allocation_offset(layout_, type_flags);
    if (auto usable = at(address - before)) return *usable >= before + body;
    return body == 0 || reader_.readable(address + body - 1, 1);
}

bool Allocations::in_static_image(uint64_t address) const {
    auto it = std::upper_bound(static_images_.begin(), static_images_.end(),
                               std::pair{address, UINT64_MAX});
    return it != static_images_.begin() && address < std::prev(it)->second;
}

std::optional<uint64_t> Allocations::at(uint64_t start) {
    if (start % kAlignment != 0 || in_static_image(start)) return std::nullopt;
    if (layout_.free_threaded) {
        if (auto block = mimalloc_.block_at(start)) return block;
    } else if (auto block = pymalloc_block(start)) {
        return block;
    }
    return malloc_chunk(start);
}

std::optional<uint64_t> Allocations::pymalloc_block(uint64_t start) {
    const uint64_t pool_size = uint64_t(layout_.pool_size);
    if (pool_size < 4096 || (pool_size & (pool_size - 1)) != 0) return std::nullopt;
    const uint64_t pool = start & ~(pool_size - 1);
    if (start < pool + kPoolOverhead) return std::nullopt;
    PoolHeader header;
    if (!reader_.read(pool, header)) return std::nullopt;
    if (header.szidx >= kPymallocSizeClasses) return std::nullopt;
    const uint64_t block = (uint64_t(header.szidx) + 1) * kAlignment;
    const uint64_t blocks = (pool_size - kPoolOverhead) / block;
    if (header.maxnextoffset != pool_size - block || header.count == 0 || header.count > blocks ||
        header.nextoffset < kPoolOverhead || header.nextoffset > pool_size ||
        (header.nextoffset - kPoolOverhead) % block != 0)
        return std::nullopt;
    const uint64_t offset = start - pool;
    if ((offset - kPoolOverhead) % block != 0 || offset >= header.nextoffset) return std::nullopt;
    return block;
}

std::optional<uint64_t> Allocations::malloc_chunk(uint64_t start) {
    uint64_t size_field = 0;
    if (!reader_.read(start - 8, size_field)) return std::nullopt;
    const uint64_t size = size_field & ~kChunkFlags;
    if (size < kMinChunk || size > kMaxChunk || size % kAlignment != 0) return std::nullopt;
    if (size_field & kMmapped) {
        // mmap'd whole: page-aligned, with no neighbour to ask.
        if ((start - 16) % kPage != 0 || size % kPage != 0) return std::nullopt;
        return size - 16;
    }
    uint64_t next_size_field = 0;
    if (!reader_.read(start - 16 + size + 8, next_size_field)) return std::nullopt;
    const uint64_t next_size = next_size_field & ~kChunkFlags;
    if (!(next_size_field & kPrevInUse) || next_size < kMinChunk || next_size > kMaxChunk ||
        next_size % kAlignment != 0)
        return std::nullopt;
    return size - 8;
}

} // namespace heapy::cpython
