// The GC's lists read from a hand-built 3.11 image: whole lists, and lists a crash left corrupt
// (each stops at the first node met before, or at a link that cannot be followed).
#include "tests/unit/support/decoding.hpp"

#include "core/cpython/gc_lists.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;

namespace {

struct GcImage {
    GcImage() {
        interp = h.interpreter({});
        const uint64_t gc = interp + h.L.interp_gc;
        for (int g = 0; g < 3; ++g)
            heads.push_back(gc + h.L.gc_generations + g * h.L.gc_generation_size);
        if (h.L.has(h.L.gc_permanent_generation)) heads.push_back(gc + h.L.gc_permanent_generation);
        for (uint64_t head : heads) link(head, {});
        for (int i = 0; i < 6; ++i) objects.push_back(h.list({}));
    }
    uint64_t node(uint64_t object) const { return object - h.L.gc_head_size; }
    // Links `objects` into the circular list whose head is at `head`, _gc_prev and all.
    void link(uint64_t head, const std::vector<uint64_t>& members) {
        uint64_t previous = head;
        for (uint64_t object : members) {
            h.poke<uint64_t>(previous, node(object));
            h.poke<uint64_t>(node(object) + 8, previous);
            previous = node(object);
        }
        h.poke<uint64_t>(previous, head);
        h.poke<uint64_t>(head + 8, previous);
    }
    heapy::cpython::GcObjects read() {
        heapy::cpython::Reader reader(h.memory);
        const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
        return heapy::cpython::gc_tracked_objects(runtime, reader);
    }

    PyHeap h;
    uint64_t interp = 0;
    std::vector<uint64_t> heads;
    std::vector<uint64_t> objects;
};

} // namespace

TEST_CASE("whole GC lists are read in order", "[decoder][gc]") {
    GcImage g;
    const auto& o = g.objects;
    g.link(g.heads[0], {o[0], o[1]});
    g.link(g.heads[2], {o[2], o[3], o[4]});
    const auto tracked = g.read();
    CHECK_FALSE(tracked.broken);
    CHECK(tracked.objects == std::vector<uint64_t>{o[0], o[1], o[2], o[3], o[4]});
}

TEST_CASE("GC lists whose _gc_prev words do not match (a running collection) are still read",
          "[decoder][gc]") {
    GcImage g;
    const auto& o = g.objects;
    g.link(g.heads[0], {o[0], o[1], o[2]});
    g.h.poke<uint64_t>(g.node(o[1]) + 8, 0x1234'5670); // gc_refs, as during a collection
    const auto tracked = g.read();
    CHECK_FALSE(tracked.broken);
    CHECK(tracked.objects == std::vector<uint64_t>{o[0], o[1], o[2]});
}

TEST_CASE("corrupt GC lists stop at the first node met before", "[decoder][gc]") {
    GcImage g;
    const auto& o = g.objects;
    std::vector<uint64_t> expected;
    SECTION("a node that links to itself") {
        g.link(g.heads[0], {o[0], o[1]});
        g.h.poke<uint64_t>(g.node(o[1]), g.node(o[1]));
        expected = {o[0], o[1]};
    }
    SECTION("a list that loops back without its head") {
        g.link(g.heads[1], {o[0], o[1], o[2]});
        g.h.poke<uint64_t>(g.node(o[2]), g.node(o[0]));
        expected = {o[0], o[1], o[2]};
    }
    SECTION("a list that runs into another list") {
        g.link(g.heads[0], {o[0], o[1]});
        g.link(g.heads[1], {o[2], o[3]});
        g.h.poke<uint64_t>(g.node(o[1]), g.node(o[2]));
        // Generation 0 runs through generation 1's nodes and head, then meets o[2] again;
        // generation 1 then stops at once.
        expected = {o[0], o[1], o[2], o[3], g.heads[1] + g.h.L.gc_head_size};
    }
    SECTION("a node on two lists that both come back to their heads") {
        g.link(g.heads[0], {o[0], o[1]});
        g.link(g.heads[1], {o[2]});
        g.h.poke<uint64_t>(g.node(o[2]), g.node(o[1])); // o[2] -> o[1] -> heads[0]...
        expected = {o[0], o[1], o[2]};
    }
    SECTION("a NULL link") {
        g.link(g.heads[2], {o[0], o[1]});
        g.h.poke<uint64_t>(g.node(o[1]), 0);
        expected = {o[0], o[1]};
    }
    SECTION("a link into unmapped memory") {
        g.link(g.heads[2], {o[0]});
        g.h.poke<uint64_t>(g.node(o[0]), PyHeap::unmapped());
        expected = {o[0], PyHeap::unmapped() + g.h.L.gc_head_size};
    }
    const auto tracked = g.read();
    CHECK(tracked.broken);
    CHECK(tracked.objects == expected);
}
