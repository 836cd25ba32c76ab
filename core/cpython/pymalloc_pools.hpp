#pragma once

#include "core/cpython/reader.hpp"
#include "core/memory/memory.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::cpython {

// Objects/obmalloc.c (3.9 to 3.14, 64-bit): 16-byte size classes up to 512 bytes, and a 48-byte
// pool header in front of the blocks.
constexpr uint64_t kPymallocAlignment = 16;
constexpr uint32_t kPymallocSizeClasses = 512 / kPymallocAlignment;
constexpr uint64_t kPoolOverhead = 48;

struct PoolHeader {
    uint32_t count; // blocks in use (a union with a pointer: the upper half is padding)
    uint32_t padding;
    uint64_t freeblock; // the first free block below nextoffset, chained through their first word
    uint64_t nextpool;
    uint64_t prevpool;
    uint32_t arenaindex;
    uint32_t szidx;
    uint32_t nextoffset;    // the first block never handed out
    uint32_t maxnextoffset; // the last block's offset
};
static_assert(sizeof(PoolHeader) == kPoolOverhead);

// What a search of pymalloc's pools found.
struct PoolSearch {
    uint64_t pools = 0;  // pools in use whose header and free list agree
    uint64_t blocks = 0; // blocks handed out and not freed
};

// Calls visit(block, block_size) for every block pymalloc has handed out and not taken back. The
// pools are found by their headers, at every `pool_size`-aligned address of the writable
// anonymous memory in `regions` (arenas are anonymous mappings on Linux), rather than through
// the allocator's arena table: that is a static variable up to 3.11, which a stripped
// executable does not name. A header counts only when its size class, offsets, count and free
// list all agree, so data that merely resembles one is not taken for a pool.
PoolSearch visit_pymalloc_blocks(Reader& reader, const std::vector<memory::Region>& regions,
                                 uint64_t pool_size,
                                 const std::function<void(uint64_t, uint64_t)>& visit);

} // namespace heapy::cpython
