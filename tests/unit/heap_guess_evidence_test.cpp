// A word found by scanning a C object of unknown layout becomes an edge only with evidence that
// it points at a live object: the start of a used pymalloc block or malloc chunk that can hold
// the object's type, and a reference count that is not itself a pointer to an object.
#include "core/cpython/allocations.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using namespace heapy::test::tpflags;

namespace {

constexpr uint64_t kPoolSize = 16384;
constexpr uint64_t kPoolHeader = 48;

// A pymalloc pool of 64-byte blocks at `pool`, its first `used` blocks handed out.
void make_pool(PyHeap& h, uint64_t pool, uint32_t used) {
    h.memory.map(pool, kPoolSize, "[pymalloc]");
    h.poke<uint32_t>(pool, used);                                   // ref.count
    h.poke<uint32_t>(pool + 36, 3);                                 // szidx: 64 bytes
    h.poke<uint32_t>(pool + 40, uint32_t(kPoolHeader + 64 * used)); // nextoffset
    h.poke<uint32_t>(pool + 44, uint32_t(kPoolSize - 64));          // maxnextoffset
}

// A float in block `block` of the pool.
uint64_t pool_float(PyHeap& h, uint64_t pool, int block, double value) {
    const uint64_t at = pool + kPoolHeader + 64 * uint64_t(block);
    h.poke<int64_t>(at, 1);
    h.poke(at + h.L.object_type, h.t.float_);
    h.poke(at + 16, value);
    return at;
}

} // namespace

TEST_CASE("pymalloc blocks and malloc chunks are recognised", "[heap][guess]") {
    PyHeap h;
    const uint64_t pool = 0x7e0000000000;
    make_pool(h, pool, 2);
    heapy::cpython::Reader reader(h.memory);
    const std::vector<std::pair<uint64_t, uint64_t>> no_images;
    heapy::cpython::Allocations allocations(reader, h.L, no_images);
    CHECK(allocations.at(pool + kPoolHeader) == 64u);
    CHECK(allocations.at(pool + kPoolHeader + 64) == 64u);
    CHECK_FALSE(allocations.at(pool + kPoolHeader + 128)); // never handed out
    CHECK_FALSE(allocations.at(pool + kPoolHeader + 16));  // inside a block
    CHECK_FALSE(allocations.at(pool + 16));                // the pool header
    h.poke<uint32_t>(pool + 44, uint32_t(kPoolSize - 48)); // maxnextoffset of another size
    CHECK_FALSE(allocations.at(pool + kPoolHeader));

    // glibc: the chunk's size (with PREV_INUSE), and the next chunk's says this one is in use.
    const uint64_t chunk = 0x7d0000000000;
    h.memory.map(chunk, 0x1000, "[heap]");
    h.poke<uint64_t>(chunk + 8, 0x400 | 1);
    h.poke<uint64_t>(chunk + 0x400 + 8, 0x100 | 1);
    CHECK(allocations.at(chunk + 16) == 0x3f8u);
    h.poke<uint64_t>(chunk + 0x400 + 8, 0x100); // the chunk is free
    CHECK_FALSE(allocations.at(chunk + 16));
    h.poke<uint64_t>(chunk + 8, 0x1000 | 2); // mmapped, page-aligned
    CHECK(allocations.at(chunk + 16) == 0xff0u);
}

TEST_CASE("guessed words become edges only to allocated objects", "[heap][guess]") {
    Program p;
    PyHeap& h = p.h;
    // A C type of an extension heapy knows nothing about: 7 words after its header.
    const uint64_t holder_type =
        h.static_type("ext.Holder", nullptr, h.t.object, 72, 0, kHaveGc | kReady);
    const uint64_t holder = h.object(holder_type, 72);
    p.global("holder", holder);

    const uint64_t pool = 0x7e0000000000;
    make_pool(h, pool, 4);
    const uint64_t allocated = pool_float(h, pool, 0, 1.5);
    const uint64_t loose = h.object(h.t.float_, 24); // not where any allocator put it
    h.poke(loose + 16, 2.5);
    // A C struct of pointers, as a module's state is: its first word reads as a (non-PIE,
    // low-address) reference count, its second as a type.
    const uint64_t low_pool = 0x01000000;
    make_pool(h, low_pool, 2);
    const uint64_t low_float = pool_float(h, low_pool, 0, 3.5);
    const uint64_t state = low_pool + kPoolHeader + 64;
    h.poke(state, low_float);
    h.poke(state + 8, h.t.float_);
    // A freed block: its reference count is the free list's pointer.
    const uint64_t freed = pool_float(h, pool, 1, 4.5);
    h.poke<int64_t>(freed, int64_t(pool + kPoolHeader + 192));
    h.poke(holder + 16, allocated);
    h.poke(holder + 24, loose);
    h.poke(holder + 32, state);
    h.poke(holder + 40, freed);
    h.poke(holder + 48, low_float);

    Walk w(h);
    CHECK(w.reached(allocated));
    CHECK(w.reached(low_float));
    CHECK_FALSE(w.reached(loose));
    CHECK_FALSE(w.reached(state));
    CHECK_FALSE(w.reached(freed));
    CHECK(w.graph.guessed == 2);
    CHECK(w.graph.unreadable == 0); // a turned-down guess is no corruption
}
