#include "core/cpython/gc_lists.hpp"

#include <unordered_set>

namespace heapy::cpython {

namespace {
constexpr int kGenerations = 3;
constexpr uint64_t kMaxListLength = uint64_t{1} << 32;
constexpr uint64_t kPointerMask = ~uint64_t{3}; // low bits of _gc_next/_gc_prev are flags

// Walks the circular list whose head PyGC_Head is at `head`.
void walk_list(uint64_t head, const Layout& layout, Reader& reader,
               std::unordered_set<uint64_t>& seen, GcObjects& out) {
    uint64_t link = reader.pointer(head) & kPointerMask;
    for (uint64_t steps = 0; link != head; ++steps) {
        if (link == 0 || steps > kMaxListLength || !seen.insert(link).second) {
            out.broken = true;
            return;
        }
        out.objects.push_back(link + layout.gc_head_size);
        uint64_t next = 0;
        if (!reader.read(link, next)) {
            out.broken = true;
            return;
        }
        link = next & kPointerMask;
    }
}
} // namespace

GcObjects gc_tracked_objects(const Runtime& runtime, Reader& reader) {
    const Layout& l = *runtime.layout;
    GcObjects out;
    if (!l.has(l.interp_gc) || !l.has(l.gc_generations)) return out;
    std::unordered_set<uint64_t> seen;
    for (const Interpreter& interp : runtime.interpreters) {
        const uint64_t state = interp.address + l.interp_gc;
        int32_t collecting = 0;
        if (reader.read(state + l.gc_collecting, collecting) && collecting) out.collecting = true;
        for (int g = 0; g < kGenerations; ++g)
            walk_list(state + l.gc_generations + uint64_t(g) * l.gc_generation_size, l, reader,
                      seen, out);
        if (l.has(l.gc_permanent_generation))
            walk_list(state + l.gc_permanent_generation, l, reader, seen, out);
    }
    return out;
}

} // namespace heapy::cpython
