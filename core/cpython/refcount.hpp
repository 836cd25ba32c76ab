#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"

#include <cstdint>
#include <optional>

namespace heapy::cpython {

// The reference count of the object whose header is at `header` (layout.object_header_size
// bytes), as the collector counts it: free-threaded builds add the owner thread's and the shared
// count, and take off what deferred reference counting adds. Immortal objects give a huge count.
int64_t header_refcount(const Layout& layout, const std::byte* header);

// The same, read from the target; nullopt when the header is unreadable.
std::optional<int64_t> read_refcount(Reader& reader, const Layout& layout, uint64_t object);

// True when the GC tracks the object (free-threaded builds keep this in ob_gc_bits).
bool gc_bits_tracked(const Layout& layout, const std::byte* header);

// sizeof(PyObject): the header every object starts with (16 bytes, 32 in free-threaded builds).
inline uint32_t object_header_size(const Layout& layout) {
    return layout.object_type + 8;
}

} // namespace heapy::cpython
