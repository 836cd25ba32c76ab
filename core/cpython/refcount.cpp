#include "core/cpython/refcount.hpp"

#include <cstring>
#include <limits>

namespace heapy::cpython {

namespace {
template <class T> T load(const std::byte* header, uint32_t offset) {
    T value;
    std::memcpy(&value, header + offset, sizeof value);
    return value;
}
} // namespace

int64_t header_refcount(const Layout& l, const std::byte* header) {
    if (!l.free_threaded) {
        const uint64_t word = load<uint64_t>(header, l.object_refcnt);
        const int64_t bits = l.refcount_bits;
        return int64_t(bits < 64 ? word & ((uint64_t{1} << bits) - 1) : word);
    }
    const uint32_t local = load<uint32_t>(header, l.object_ref_local);
    if (local == std::numeric_limits<uint32_t>::max()) return local; // immortal
    const int64_t shared = load<int64_t>(header, l.object_ref_shared) >> 2;
    int64_t count = int64_t(local) + shared;
    if (load<uint8_t>(header, l.object_gc_bits) & l.gc_bits_deferred)
        count -= l.deferred_refcount_local + l.deferred_refcount_shared;
    return count;
}

std::optional<int64_t> read_refcount(Reader& reader, const Layout& layout, uint64_t object) {
    std::byte header[64];
    const uint32_t size = object_header_size(layout);
    if (size > sizeof header || !reader.read_bytes(object, header, size)) return std::nullopt;
    return header_refcount(layout, header);
}

bool gc_bits_tracked(const Layout& l, const std::byte* header) {
    return l.free_threaded && (load<uint8_t>(header, l.object_gc_bits) & l.gc_bits_tracked);
}

} // namespace heapy::cpython
