#pragma once

#include "core/cpython/malloc_chunks.hpp"
#include "core/cpython/object_decoder.hpp"
#include "core/cpython/pymalloc_pools.hpp"
#include "core/cpython/runtime.hpp"
#include "core/heap/object_graph.hpp"
#include "core/memory/symbols.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::heap {

// The allocators' blocks that hold an object no walk has found: alive (a reference count of at
// least one), of a type the heap knows, and fitting its block — what a forgotten Py_DECREF
// leaves behind once nothing refers to the object any more.
struct UnfoundObjects {
    std::vector<uint64_t> objects; // their addresses, in allocator order
    uint64_t blocks = 0;           // allocator blocks looked into
    cpython::PoolSearch pools;     // pymalloc (default builds)
    cpython::ChunkSearch chunks;   // glibc malloc: objects of more than 512 bytes
    bool mimalloc = false;         // free-threaded builds: every object is mimalloc's
    bool mimalloc_whole = true;    // false when a mimalloc heap could not be read to its end
    bool no_regions = false;       // the target did not say where its memory is
    // C static free lists of the layout (3.9) that the symbols could not place (a stripped
    // libpython), so that their stale slots were searched as if they held what they name.
    uint32_t static_free_lists_unplaced = 0;
};

// Looks for such objects in every block of the target's allocators (pymalloc's pools and glibc's
// heaps, or mimalloc's heaps), leaving out what `graph` holds below node `found_end` and the
// objects in `held_elsewhere` (sorted: what the interpreter holds outside the heap). Throws
// heapy::Interrupted when `interrupted` says so; `progress` is told the blocks looked into.
UnfoundObjects find_unfound_objects(cpython::ObjectDecoder& decoder,
                                    const cpython::Runtime& runtime, const ObjectGraph& graph,
                                    uint32_t found_end, const std::vector<uint64_t>& held_elsewhere,
                                    const std::function<bool()>& interrupted,
                                    const std::function<void(uint64_t)>& progress);

} // namespace heapy::heap

namespace heapy::heap {

// Those of `objects` (sorted addresses) that C code holds a pointer to: a word of a loaded image's
// writable data names them (C statics: types made at run time, argument parsers' keyword-name
// tuples, cached constants) but for the C free lists the layout names (placed through
// `symbols`), or of the interpreter and thread states but for their free lists, or of the part
// of a thread's C stack its callers use (C locals). Counts in `search` the static free lists it
// could not place.
std::vector<uint64_t> held_by_c(cpython::Reader& reader, const cpython::Runtime& runtime,
                                const memory::Symbols& symbols,
                                const std::vector<std::pair<uint64_t, uint64_t>>& static_images,
                                const std::vector<uint64_t>& objects, UnfoundObjects& search);

} // namespace heapy::heap
