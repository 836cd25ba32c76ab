#pragma once

#include "core/cpython/reader.hpp"
#include "core/memory/memory.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::cpython {

// What a search of glibc malloc's memory found.
struct ChunkSearch {
    uint64_t heaps = 0;   // arena heaps whose chunk chain was followed to its end
    uint64_t mmapped = 0; // chunks malloc mapped on their own
    uint64_t chunks = 0;  // chunks in use, visited
};

// Calls visit(memory, usable_size) for the chunks glibc malloc has handed out: those of the main
// arena's heap and of the other arenas' heaps (each a chain of chunks from its start that must
// reach the heap's end, or the heap is left out), and the chunks malloc mapped on their own.
// Chunks in the thread caches and fast bins look in use here; their first words are overwritten
// by the free list, which the caller's checks see.
ChunkSearch visit_malloc_chunks(Reader& reader, const std::vector<memory::Region>& regions,
                                const std::function<void(uint64_t, uint64_t)>& visit);

} // namespace heapy::cpython
