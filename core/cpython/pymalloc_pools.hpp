#pragma once

#include "core/cpython/reader.hpp"
#include "core/memory/memory.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::cpython {

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
