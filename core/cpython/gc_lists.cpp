#include "core/cpython/gc_lists.hpp"

#include "core/cpython/mimalloc.hpp"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace heapy::cpython {

namespace {
constexpr int kGenerations = 3;
constexpr uint64_t kMaxListLength = uint64_t{1} << 32;
constexpr uint64_t kPointerMask = ~uint64_t{3}; // low bits of _gc_next/_gc_prev are flags

// The heads of every GC list, in order; notes in `out` a collection that was running.
std::vector<uint64_t> list_heads(const Runtime& runtime, Reader& reader, GcObjects& out) {
    const Layout& l = *runtime.layout;
    std::vector<uint64_t> heads;
    for (const Interpreter& interp : runtime.interpreters) {
        const uint64_t state = interp.address + l.interp_gc;
        int32_t collecting = 0;
        if (reader.read(state + l.gc_collecting, collecting) && collecting) out.collecting = true;
        for (int g = 0; g < kGenerations; ++g)
            heads.push_back(state + l.gc_generations + uint64_t(g) * l.gc_generation_size);
        if (l.has(l.gc_permanent_generation)) heads.push_back(state + l.gc_permanent_generation);
    }
    return heads;
}

// Walks every list, trusting only lists that are whole: each comes back to its head, each
// node's _gc_prev is the node before it, and no node is another list's head. Then no object can
// be met twice (the nodes before it are its _gc_prev chain, which leads to one head only), so
// nothing needs remembering. False at the first list that is not whole.
bool walk_whole_lists(const std::vector<uint64_t>& heads, const Layout& layout, Reader& reader,
                      GcObjects& out) {
    for (uint64_t head : heads) {
        uint64_t previous = head;
        uint64_t link = reader.pointer(head) & kPointerMask;
        for (uint64_t steps = 0; link != head; ++steps) {
            std::array<uint64_t, 2> node{}; // _gc_next, _gc_prev
            if (link == 0 || steps > kMaxListLength || !reader.read(link, node) ||
                (node[1] & kPointerMask) != previous ||
                std::find(heads.begin(), heads.end(), link) != heads.end())
                return false;
            out.objects.push_back(link + layout.gc_head_size);
            previous = link;
            link = node[0] & kPointerMask;
        }
    }
    return true;
}

// Walks the list whose head is at `head` remembering every node: a corrupt list (or one whose
// _gc_prev words a running collection reuses) stops at the first node met before.
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

// Free-threaded builds keep no lists: the collector visits the blocks of mimalloc's two GC heaps
// and takes the objects whose ob_gc_bits say tracked (gc_visit_heaps).
GcObjects free_threaded_tracked_objects(const Runtime& runtime, Reader& reader) {
    const Layout& l = *runtime.layout;
    GcObjects out;
    for (const Interpreter& interp : runtime.interpreters) {
        int32_t collecting = 0;
        if (reader.read(interp.address + l.interp_gc + l.gc_collecting, collecting) && collecting)
            out.collecting = true;
    }
    Mimalloc heaps(reader, l);
    for (int64_t tag : {l.mimalloc_heap_gc, l.mimalloc_heap_gc_preheader}) {
        const uint64_t before = tag == l.mimalloc_heap_gc_preheader ? l.preheader_size : 0;
        const bool whole = heaps.visit_blocks(runtime, int(tag), [&](uint64_t block, uint64_t) {
            uint8_t gc_bits = 0;
            if (reader.read(block + before + l.object_gc_bits, gc_bits) &&
                (gc_bits & l.gc_bits_tracked))
                out.objects.push_back(block + before);
        });
        if (!whole) out.broken = true;
    }
    return out;
}
} // namespace

GcObjects gc_tracked_objects(const Runtime& runtime, Reader& reader) {
    const Layout& l = *runtime.layout;
    if (l.free_threaded) return free_threaded_tracked_objects(runtime, reader);
    GcObjects out;
    if (!l.has(l.interp_gc) || !l.has(l.gc_generations)) return out;
    const std::vector<uint64_t> heads = list_heads(runtime, reader, out);
    if (walk_whole_lists(heads, l, reader, out)) return out;
    out.objects.clear();
    std::unordered_set<uint64_t> seen;
    for (uint64_t head : heads) walk_list(head, l, reader, seen, out);
    return out;
}

} // namespace heapy::cpython
