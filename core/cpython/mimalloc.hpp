#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"
#include "core/cpython/runtime.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_set>

namespace heapy::cpython {

// The mimalloc heaps of a free-threaded CPython (cpython-layouts/free-threaded.md, section 3),
// read the way its collector reads them: every thread's heaps, page queue by page queue, and the
// segments its threads abandoned to the interpreter.
class Mimalloc {
  public:
    Mimalloc(Reader& reader, const Layout& layout) : reader_(reader), layout_(layout) {}

    // Calls visit(block, block_size) for every allocated block of the heap `tag` (a
    // _Py_MIMALLOC_HEAP_* index) of every thread and of the abandoned segments. False when
    // something could not be read or looped (what was read is visited all the same).
    bool visit_blocks(const Runtime& runtime, int tag,
                      const std::function<void(uint64_t, uint64_t)>& visit);

    // The block size of the page block that starts at `address`, when one does (a block of a
    // page in use; whether the block itself is free is not checked, as with pymalloc's pools).
    std::optional<uint64_t> block_at(uint64_t address);

  private:
    struct Page {
        uint64_t address = 0;
        uint64_t first_block = 0;
        uint64_t block_size = 0;
        uint32_t capacity = 0;
        uint32_t used = 0;
        int tag = -1;
    };

    std::optional<Page> read_page(uint64_t page);
    bool visit_page(const Page& page, const std::unordered_set<uint64_t>& delayed_free,
                    const std::function<void(uint64_t, uint64_t)>& visit);
    bool visit_thread_heap(uint64_t heap, const std::function<void(uint64_t, uint64_t)>& visit);
    bool visit_abandoned(uint64_t pool, int tag,
                         const std::function<void(uint64_t, uint64_t)>& visit);

    Reader& reader_;
    const Layout& layout_;
};

} // namespace heapy::cpython
