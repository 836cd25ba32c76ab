// Which object a dict is the __dict__ of (Clodo's `dict of X`), where the dict is found in
// unusual ways: a C type that names it twice (a member and its dict slot), and instances of
// int subclasses whose value 0 has no digits, so that their dict slot follows the header.
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using namespace heapy::test::tpflags;

TEST_CASE("a C type's dict named by a member and by its dict slot is owned", "[heap][owners]") {
    Program p;
    PyHeap& h = p.h;
    // types.SimpleNamespace: a `__dict__` T_OBJECT member at the tp_dictoffset slot.
    const uint64_t ns_type = h.static_type("types.SimpleNamespace", "_PyNamespace_Type", h.t.object,
                                           24, 0, kHaveGc | kReady | kBaseType, 16);
    h.poke(ns_type + h.L.type_members, h.member_table({{"__dict__", 16}}));
    const uint64_t ns = h.object(ns_type, 24);
    const uint64_t dict = h.dict({{h.str("a"), h.integer(1)}});
    h.poke(ns + 16, dict);
    p.global("ns", ns);
    Walk w(h);
    CHECK(w.clodo_kind(dict) == "dict of types.SimpleNamespace");
}

TEST_CASE("the dict of an int subclass instance whose value is 0 is owned, not guessed",
          "[heap][owners]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t cls = h.heap_type({.name = "Flag", .base = h.t.int_});
    const int64_t basicsize = h.peek<int64_t>(cls + h.L.type_basicsize);
    REQUIRE(h.peek<int64_t>(cls + h.L.type_dictoffset) == -8);
    // 0 has no digits: the dict slot ends the object right after int's header.
    const uint64_t zero = h.object(cls, uint64_t(basicsize), 0);
    const uint64_t zero_dict = h.dict({{h.str("_name_"), h.str("NONE")}});
    h.poke(zero + uint64_t(basicsize) - 8, zero_dict);
    // 5 has one digit, before the slot.
    const uint64_t five = h.object(cls, uint64_t(basicsize) + 8, 1);
    h.poke<uint32_t>(five + h.L.long_digits, 5);
    const uint64_t five_dict = h.dict({{h.str("_name_"), h.str("FIVE")}});
    h.poke(five + ((uint64_t(basicsize) + 4 + 7) & ~uint64_t{7}) - 8, five_dict);
    p.global("zero", zero);
    p.global("five", five);
    // The words after int's header are digits or the dict slot, never a C type's fields.
    Decoding d(h);
    CHECK(d.referents(zero) == Lines{"->ob_type Flag", ".__dict__ (owns) " + h.describe(zero_dict)});
    Walk w(h);
    CHECK(w.clodo_kind(zero_dict) == "dict of __main__.Flag");
    CHECK(w.clodo_kind(five_dict) == "dict of __main__.Flag");
    CHECK(w.graph.guessed == 0);
}
