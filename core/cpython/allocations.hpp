#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/mimalloc.hpp"
#include "core/cpython/reader.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace heapy::cpython {

// The bytes in front of an object of a type with these flags: its GC header and the managed
// dict and weakref pointers (3.11+).
uint64_t allocation_offset(const Layout& layout, uint64_t type_flags);

// Whether an address starts a live allocation of the target's allocators, and how big it is:
// the evidence a word found by scanning an unknown C object needs before it is taken for a
// pointer to an object. Recognises pymalloc blocks (the pool header around the address must be
// self-consistent: size class, bounds and count, and the block handed out), the blocks of
// mimalloc's pages in use (free-threaded builds) and glibc malloc
// chunks (a plausible size whose next chunk says this one is in use, or an mmapped chunk).
class Allocations {
  public:
    // `static_images`: sorted address ranges of the loaded ELF images, whose memory is never
    // an allocation (static objects look like heap blocks to the checks below).
    Allocations(Reader& reader, const Layout& layout,
                const std::vector<std::pair<uint64_t, uint64_t>>& static_images)
        : reader_(reader), layout_(layout), static_images_(static_images),
          mimalloc_(reader, layout) {}

    // The usable size of the allocation that starts at `start`, if one does.
    std::optional<uint64_t> at(uint64_t start);

    // Whether an object of `type` at `address` whose size is `body` (without pre-header) fits
    // the allocation it starts (up to pymalloc's largest block: is readable there); true when
    // it starts none that heapy knows (a static object) and is readable.
    bool fits(uint64_t address, uint64_t type_flags, uint64_t body);

    // Whether the address lies in a loaded ELF image (static data, never an allocation).
    bool in_static_image(uint64_t address) const;

  private:
    std::optional<uint64_t> pymalloc_block(uint64_t start);
    std::optional<uint64_t> malloc_chunk(uint64_t start);

    Reader& reader_;
    const Layout& layout_;
    const std::vector<std::pair<uint64_t, uint64_t>>& static_images_;
    Mimalloc mimalloc_;
};

} // namespace heapy::cpython
