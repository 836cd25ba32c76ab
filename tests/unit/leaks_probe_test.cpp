// Which blocks of a pymalloc pool `heapy leaks` takes for an object nothing found: only those that
// look alive as the interpreter would leave them.
#include "tests/unit/support/decoding.hpp"

#include "core/heap/unfound_objects.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;

namespace {

constexpr uint64_t kPool = 0x7e0000000000;
constexpr uint64_t kPoolHeader = 48;
constexpr uint64_t kBlock = 64;

// A pool of 64-byte blocks, all handed out, none free.
void put_pool(PyHeap& h, uint32_t blocks) {
    const auto pool_size = uint64_t(h.L.pool_size);
    h.memory.map(kPool, pool_size);
    h.poke<uint32_t>(kPool, blocks);                                       // count
    h.poke<uint32_t>(kPool + 36, 3);                                       // szidx: 64-byte blocks
    h.poke<uint32_t>(kPool + 40, uint32_t(kPoolHeader + blocks * kBlock)); // nextoffset
    h.poke<uint32_t>(kPool + 44, uint32_t(pool_size - kBlock));            // maxnextoffset
}

// An empty tuple in block `i`, behind a GC header whose _gc_next is `gc_next`.
uint64_t put_tuple(PyHeap& h, int i, uint64_t gc_next) {
    const uint64_t block = kPool + kPoolHeader + uint64_t(i) * kBlock;
    const uint64_t object = block + uint64_t(h.L.gc_head_size);
    h.poke<uint64_t>(block, gc_next);
    h.poke<int64_t>(object, 1); // ob_refcnt
    h.poke<uint64_t>(object + h.L.object_type, h.t.tuple);
    return object;
}

} // namespace

TEST_CASE("leaks: a GC object on no GC list must be untracked", "[leaks]") {
    Program p;
    put_pool(p.h, 3);
    const uint64_t leaked = put_tuple(p.h, 0, 0);
    // A buffer over a freed tuple: its head overwritten with text, the old type still in place.
    put_tuple(p.h, 1, 0x6c75676572206465); // "ed regul"
    // Tracked, yet on no GC list: not a state the interpreter leaves an object in.
    put_tuple(p.h, 2, kPool + kPoolHeader);
    Walk w(p.h);
    const auto found = heapy::heap::find_unfound_objects(
        w.decoder, w.runtime, w.graph, uint32_t(w.graph.nodes.size()), {}, [] { return false; },
        [](uint64_t) {});
    CHECK(found.objects == std::vector<uint64_t>{leaked});
    CHECK(found.pools.pools == 1);
}
