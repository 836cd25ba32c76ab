#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"

#include <cstdint>
#include <optional>

namespace heapy::cpython {

// Whether an address starts a live allocation of the target's allocators, and how big it is:
// the evidence a word found by scanning an unknown C object needs before it is taken for a
// pointer to an object. Recognises pymalloc blocks (the pool header around the address must be
// self-consistent: size class, bounds and count, and the block handed out) and glibc malloc
// chunks (a plausible size whose next chunk says this one is in use, or an mmapped chunk).
class Allocations {
  public:
    Allocations(Reader& reader, const Layout& layout) : reader_(reader), layout_(layout) {}

    // The usable size of the allocation that starts at `start`, if one does.
    std::optional<uint64_t> at(uint64_t start);

  private:
    std::optional<uint64_t> pymalloc_block(uint64_t start);
    std::optional<uint64_t> malloc_chunk(uint64_t start);

    Reader& reader_;
    const Layout& layout_;
};

} // namespace heapy::cpython
