// ObjectDecoder::size against sys.getsizeof on CPython 3.11 (HEAPY.md section 3; the numbers
// not listed there were measured on 3.11.7).
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;

TEST_CASE("str sizes follow the compact layouts", "[decoder][size]") {
    PyHeap h;
    const uint64_t empty = h.new_str(""), a = h.new_str("a"), e_acute = h.new_str("\u00e9");
    const uint64_t euro = h.new_str("\u20ac"), astral = h.new_str("\U0001F600");
    const uint64_t hello = h.new_str("hello");
    Decoding d(h);
    CHECK(d.size(empty) == 49);
    CHECK(d.size(a) == 50);
    CHECK(d.size(e_acute) == 74);
    CHECK(d.size(euro) == 76);
    CHECK(d.size(astral) == 80);
    CHECK(d.size(hello) == 54);
}

TEST_CASE("str sizes count a cached UTF-8 copy", "[decoder][size]") {
    PyHeap h;
    const uint64_t s = h.new_str("\u00e9t\u00e9"); // 'été', after s.encode() was cached
    const uint64_t utf8 = h.raw(6);
    h.poke(s + h.L.str_utf8, utf8);
    h.poke<int64_t>(s + h.L.str_utf8_length, 5);
    Decoding d(h);
    CHECK(d.size(s) == 72 + 4 * 1 + 6);
}

TEST_CASE("bytes and int sizes", "[decoder][size]") {
    PyHeap h;
    const uint64_t empty = h.bytes(""), abc = h.bytes("abc");
    const uint64_t zero = h.integer(0), one = h.integer(1), minus = h.integer(-5);
    const uint64_t big = h.integer(int64_t{1} << 30), bigger = h.integer(int64_t{1} << 60);
    Decoding d(h);
    CHECK(d.size(empty) == 33);
    CHECK(d.size(abc) == 36);
    CHECK(d.size(zero) == 28);
    CHECK(d.size(one) == 28);
    CHECK(d.size(minus) == 28);
    CHECK(d.size(big) == 32);
    CHECK(d.size(bigger) == 36);
    CHECK(d.decoder.read_small_int(minus) == -5);
    CHECK(d.decoder.read_small_int(big) == int64_t{1} << 30);
}

TEST_CASE("tuple, list and dict sizes", "[decoder][size]") {
    PyHeap h;
    const uint64_t empty_tuple = h.tuple({}), one_tuple = h.tuple({h.integer(1)});
    const uint64_t empty_list = h.list({}),
                   three = h.list({h.integer(1), h.integer(2), h.integer(3)});
    const uint64_t spare = h.list({h.integer(1)}, 0, 3); // [1] after some pops: allocated 4
    const uint64_t empty_dict = h.dict({}), a1 = h.dict({{h.str("a"), h.integer(1)}});
    std::vector<std::pair<uint64_t, uint64_t>> range5;
    for (int i = 0; i < 5; ++i) range5.emplace_back(h.integer(i), h.None);
    const uint64_t fromkeys = h.dict(range5); // dict.fromkeys(range(5)): general keys
    Decoding d(h);
    CHECK(d.size(empty_tuple) == 40);
    CHECK(d.size(one_tuple) == 48);
    CHECK(d.size(empty_list) == 56);
    CHECK(d.size(three) == 80);
    CHECK(d.size(spare) == 88);
    CHECK(d.size(empty_dict) == 64);
    CHECK(d.size(a1) == 184);
    CHECK(d.size(fromkeys) == 224);
}

TEST_CASE("a dict sharing its keys does not count them", "[decoder][size]") {
    PyHeap h;
    const uint64_t a1 = h.dict({{h.str("a"), h.integer(1)}});
    h.poke<int64_t>(h.keys_of(a1) + h.L.dictkeys_refcnt, 2);
    Decoding d(h);
    CHECK(d.size(a1) == 64);
}

TEST_CASE("set sizes count a table outside the object", "[decoder][size]") {
    PyHeap h;
    std::vector<uint64_t> five;
    for (int i = 1; i <= 5; ++i) five.push_back(h.integer(i));
    const uint64_t empty = h.set({}), literal = h.set(five), grown = h.set(five, 32);
    Decoding d(h);
    CHECK(d.size(empty) == 216);
    CHECK(d.size(literal) == 472); // {1, 2, 3, 4, 5}
    CHECK(d.size(grown) == 728);   // set(range(5)), grown one add at a time
}

TEST_CASE("type sizes: static types, fresh classes", "[decoder][size]") {
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t slotted =
        h.heap_type({.name = "S", .slots = std::vector<std::string>{"a", "b"}});
    Decoding d(h);
    CHECK(d.size(h.t.int_) == 424);
    CHECK(d.size(h.t.type) == 424);
    CHECK(d.size(foo) == 1688);
    CHECK(d.size(slotted) == 920); // no shared keys
}

TEST_CASE("function, module, cell, code sizes", "[decoder][size]") {
    PyHeap h;
    const uint64_t globals = h.dict({});
    const uint64_t code = h.code({.name = "f", .locals = {"x"}, .code_units = 11});
    const uint64_t function = h.function({.code = code, .globals = globals});
    const uint64_t module = h.module("m", globals);
    const uint64_t cell = h.cell(h.None);
    Decoding d(h);
    CHECK(d.size(function) == 152);
    CHECK(d.size(module) == 72);
    CHECK(d.size(cell) == 40);
    CHECK(d.size(code) == 208); // 184 + 2 * 11, rounded up to 8; code is not GC
}

TEST_CASE("instance sizes: managed dict, slots, subclasses of built-ins", "[decoder][size]") {
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t slotted =
        h.heap_type({.name = "S", .slots = std::vector<std::string>{"a", "b"}});
    const uint64_t my_list = h.heap_type({.name = "L", .base = h.t.list});
    const uint64_t my_dict = h.heap_type({.name = "D", .base = h.t.dict});
    const uint64_t plain = h.instance(foo), with_slots = h.instance(slotted);
    const uint64_t list = h.list({}, my_list), dict = h.dict({}, my_dict);
    Decoding d(h);
    CHECK(d.size(plain) == 56);
    CHECK(d.size(with_slots) == 48);
    CHECK(d.size(list) == 80);
    CHECK(d.size(dict) == 88);
}

TEST_CASE("inline values are sized by the values array", "[decoder][size]") {
    // The first instance of a class: the shared keys allow 30 - 1 = 29 values, after 8 prefix
    // bytes rounded up with the 2 count bytes: 32 + 29 * 8.
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t first = h.instance(foo, {{"x", h.integer(1)}});
    const uint64_t second = h.instance(foo, {{"x", h.integer(2)}, {"y", h.integer(3)}});
    Decoding d(h);
    const auto& type = d.type(first);
    CHECK(h.peek<uint8_t>(h.values_of(first) - 1) == 32);
    // The keys now allow 28 values; the engine sizes both arrays from the keys as they are now.
    CHECK(d.decoder.managed_values_size(h.values_of(first), type) == 32 + 28 * 8);
    CHECK(d.decoder.managed_values_size(h.values_of(second), type) == 32 + 28 * 8);
}

TEST_CASE("a materialized instance dict is sized as a split dict", "[decoder][size]") {
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t obj = h.instance(foo, {{"x", h.integer(1)}});
    const uint64_t dict = h.materialize_dict(obj);
    Decoding d(h);
    CHECK(d.size(dict) == 48 + 16 + 29 * 8); // 296, as heapy shows for the first instance
    CHECK(d.size(obj) == 56);
}

TEST_CASE("deque, frame and generator sizes", "[decoder][size]") {
    PyHeap h;
    std::vector<uint64_t> items;
    for (int i = 0; i < 70; ++i) items.push_back(h.integer(i));
    const uint64_t empty = h.deque({}), three = h.deque({h.None, h.None, h.None}),
                   seventy = h.deque(items);
    const uint64_t code = h.code({.name = "g", .locals = {}, .stacksize = 1});
    const uint64_t gen = h.generator({.code = code});
    const uint64_t code2 = h.code({.name = "f", .locals = {"a", "b"}, .stacksize = 3});
    const uint64_t frame = h.frame({.code = code2});
    const uint64_t frame_object = h.frame_object(frame);
    Decoding d(h);
    CHECK(d.size(empty) == 760);
    CHECK(d.size(three) == 760);
    CHECK(d.size(seventy) == 216 + 16 + 2 * 528);
    CHECK(d.size(gen) == 176);
    CHECK(d.size(frame_object) == 120 + 8 * 5 + 16);
    CHECK(d.decoder.interpreter_frame_size(frame) == 72 + 8 * 5);
}

TEST_CASE("sizes do not depend on views", "[decoder][size]") {
    PyHeap h;
    const uint64_t a1 = h.dict({{h.str("a"), h.integer(1)}});
    const uint64_t s = h.new_str("\u20ac");
    h.memory.set_views(false);
    Decoding d(h);
    CHECK(d.size(a1) == 184);
    CHECK(d.size(s) == 76);
}
