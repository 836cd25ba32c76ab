// TypeRegistry (which type objects are plausible and what kind of layout their instances have)
// and TypeNamer (heapy's names for them, HEAPY.md 1.6).
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace heapy::test;
using namespace heapy::test::tpflags;
using heapy::cpython::Kind;

TEST_CASE("static types get their kind from the exported symbol", "[decoder][types]") {
    PyHeap h;
    Decoding d(h);
    CHECK(d.types.get(h.t.type)->kind == Kind::Type);
    CHECK(d.types.get(h.t.dict)->kind == Kind::Dict);
    CHECK(d.types.get(h.t.list)->kind == Kind::List);
    CHECK(d.types.get(h.t.str)->kind == Kind::Str);
    CHECK(d.types.get(h.t.bool_)->kind == Kind::Bool);
    CHECK(d.types.get(h.t.frame)->kind == Kind::Frame);
    CHECK(d.types.get(h.t.none)->kind == Kind::None);
    CHECK(d.types.get(h.t.deque)->kind == Kind::Deque); // not exported: found by tp_name
    CHECK(d.types.type_type() == h.t.type);
    CHECK(d.types.address_of(Kind::Frame) == h.t.frame);
    CHECK_FALSE(d.types.get(h.t.int_)->heap);
    CHECK(d.types.get(h.t.int_)->tp_name == "int");
}

TEST_CASE("a type named like an exported one but elsewhere is not trusted", "[decoder][types]") {
    PyHeap h;
    const uint64_t fake =
        h.static_type("dict", nullptr, h.t.object, 48, 0, kHaveGc | kDictSubclass | kReady);
    Decoding d(h);
    REQUIRE(d.types.get(fake) != nullptr);
    CHECK(d.types.get(fake)->kind == Kind::Unknown);
}

TEST_CASE("heap types: kind from the nearest static base, slots, managed dicts",
          "[decoder][types]") {
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t bar = h.heap_type({.name = "Bar", .base = foo});
    const uint64_t my_list = h.heap_type({.name = "L", .base = h.t.list});
    const uint64_t my_dict = h.heap_type({.name = "D", .base = h.t.dict});
    const uint64_t meta = h.heap_type({.name = "Meta", .base = h.t.type});
    const uint64_t with_meta = h.heap_type({.name = "X", .metatype = meta});
    const uint64_t slotted =
        h.heap_type({.name = "S", .slots = std::vector<std::string>{"a", "b"}});
    const uint64_t sub_slotted =
        h.heap_type({.name = "T", .base = slotted, .slots = std::vector<std::string>{"c"}});
    const uint64_t partial = h.heap_type({.name = "partial"});
    h.poke(partial + h.L.type_name, h.cstring("functools.partial")); // a PyType_FromSpec type
    Decoding d(h);
    const auto& l = h.L;

    CHECK(d.types.get(foo)->kind == Kind::Object);
    CHECK(d.types.get(foo)->heap);
    CHECK(d.types.get(foo)->has_managed_dict(l));
    CHECK(d.types.get(foo)->tp_name == "Foo");
    CHECK(d.types.get(bar)->kind == Kind::Object);
    CHECK(d.types.get(bar)->has_managed_dict(l)); // inherited
    CHECK(d.types.get(my_list)->kind == Kind::List);
    CHECK(d.types.get(my_dict)->kind == Kind::Dict);
    CHECK(d.types.get(meta)->kind == Kind::Type);
    CHECK(d.types.get(with_meta)->metatype == meta);
    CHECK(d.types.get(partial)->kind == Kind::Partial);

    const auto* s = d.types.get(slotted);
    CHECK_FALSE(s->has_managed_dict(l));
    REQUIRE(s->members.size() == 2);
    CHECK(s->members[0].offset == 16);
    CHECK(s->members[1].offset == 24);
    const auto* t = d.types.get(sub_slotted);
    REQUIRE(t->members.size() == 3); // its own, then the base's
    CHECK(t->members[0].offset == 32);
}

TEST_CASE("implausible type objects are rejected", "[decoder][types]") {
    PyHeap h;
    const uint64_t good = h.heap_type({.name = "Good"});
    // Not a type: its metatype is `object`, whose instances are not types.
    const uint64_t not_a_type = h.static_type("Fake", nullptr, h.t.object, 16, 0, kReady);
    h.poke(not_a_type + h.L.object_type, h.t.object);
    // Absurd sizes.
    const uint64_t huge = h.static_type("Huge", nullptr, h.t.object, int64_t{1} << 40, 0, kReady);
    const uint64_t negative = h.static_type("Negative", nullptr, h.t.object, 16, -8, kReady);
    // A static type whose tp_name cannot be read.
    const uint64_t nameless = h.static_type("Nameless", nullptr, h.t.object, 16, 0, kReady);
    h.poke(nameless + h.L.type_name, PyHeap::unmapped());
    // A type that is itself its own metatype without being `type`.
    const uint64_t self_meta = h.static_type("SelfMeta", nullptr, h.t.object, 16, 0, kReady);
    h.poke(self_meta + h.L.object_type, self_meta);
    // The end of a region: too short for a type object.
    const uint64_t edge = 0x0000600000000000;
    h.memory.map(edge, 64);
    Decoding d(h);
    CHECK(d.types.get(good) != nullptr);
    CHECK(d.types.get(not_a_type) == nullptr);
    CHECK(d.types.get(huge) == nullptr);
    CHECK(d.types.get(negative) == nullptr);
    CHECK(d.types.get(nameless) == nullptr);
    CHECK(d.types.get(self_meta) == nullptr);
    CHECK(d.types.get(edge) == nullptr);
    CHECK(d.types.get(good + 4) == nullptr);
    CHECK(d.types.get(0) == nullptr);
    CHECK(d.types.get(PyHeap::unmapped()) == nullptr);
    CHECK(d.types.get(good) != nullptr); // rejections do not poison the cache
}

TEST_CASE("metatype chains that loop or run too deep are rejected", "[decoder][types]") {
    PyHeap h;
    const uint64_t a = h.static_type("A", nullptr, h.t.object, 16, 0, kTypeSubclass | kReady);
    const uint64_t b = h.static_type("B", nullptr, h.t.object, 16, 0, kTypeSubclass | kReady);
    h.poke(a + h.L.object_type, b);
    h.poke(b + h.L.object_type, a);
    // A chain of 12 metaclasses, each the metatype of the next.
    std::vector<uint64_t> chain{h.t.type};
    for (int i = 0; i < 12; ++i) {
        const uint64_t next =
            h.static_type("M", nullptr, h.t.type, 904, 40, kTypeSubclass | kReady);
        h.poke(next + h.L.object_type, chain.back());
        chain.push_back(next);
    }
    Decoding d(h);
    CHECK(d.types.get(a) == nullptr);
    CHECK(d.types.get(b) == nullptr);
    CHECK(d.types.get(chain[2]) != nullptr);
    CHECK(d.types.get(chain.back()) == nullptr);
}

namespace {

std::string name_of(Decoding& d, heapy::classify::TypeNamer& namer, uint64_t type) {
    const auto* info = d.types.get(type);
    return info ? namer.name(info->index) : "(invalid type)";
}

} // namespace

TEST_CASE("type names follow heapy's rule", "[decoder][types][names]") {
    PyHeap h;
    const uint64_t os_error =
        h.static_type("OSError", "_PyExc_OSError", h.t.object, 72, 0, kHaveGc | kBaseExcSubclass);
    const uint64_t stgdict =
        h.static_type("StgDict", nullptr, h.t.dict, 48, 0, kHaveGc | kDictSubclass);
    const uint64_t builtins = h.builtins_dict();
    // OSError is bound three times in builtins; its own name wins.
    const uint64_t with_aliases = h.dict({{h.str("int"), h.t.int_},
                                          {h.str("EnvironmentError"), os_error},
                                          {h.str("OSError"), os_error},
                                          {h.str("IOError"), os_error},
                                          {h.str("None"), h.None}});
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t in_module = h.heap_type({.name = "Request", .module = "http.client"});
    const uint64_t no_module = h.heap_type({.name = "Anon"});
    h.poke<uint64_t>(no_module + h.L.type_dict, 0);
    Decoding d(h);
    heapy::classify::TypeNamer namer(d.decoder, builtins);
    CHECK(name_of(d, namer, h.t.int_) == "int");
    CHECK(name_of(d, namer, h.t.type) == "type");
    CHECK(name_of(d, namer, h.t.function) == "function");
    CHECK(name_of(d, namer, h.t.module) == "module");
    CHECK(name_of(d, namer, h.t.code) == "types.CodeType");
    CHECK(name_of(d, namer, h.t.frame) == "types.FrameType");
    CHECK(name_of(d, namer, h.t.cell) == "types.CellType");
    CHECK(name_of(d, namer, h.t.generator) == "types.GeneratorType");
    CHECK(name_of(d, namer, h.t.method) == "types.MethodType");
    CHECK(name_of(d, namer, h.t.none) == "types.NoneType");
    CHECK(name_of(d, namer, h.t.deque) == "collections.deque");
    CHECK(name_of(d, namer, stgdict) == "builtins.StgDict");
    CHECK(name_of(d, namer, foo) == "__main__.Foo");
    CHECK(name_of(d, namer, in_module) == "http.client.Request");
    CHECK(name_of(d, namer, no_module) == "<unknown module>.Anon");

    heapy::classify::TypeNamer aliased(d.decoder, with_aliases);
    CHECK(name_of(d, aliased, os_error) == "OSError");
    CHECK(name_of(d, aliased, h.t.int_) == "int");
    CHECK(name_of(d, aliased, h.t.str) == "builtins.str"); // not bound in these builtins
}

TEST_CASE("segmented store: elements never move and are found across segments",
          "[decoder][types]") {
    heapy::cpython::SegmentedStore<std::string> store;
    std::vector<const std::string*> addresses;
    for (int i = 0; i < 20000; ++i)
        addresses.push_back(&store.push_back(fmt::format("type {}", i)));
    REQUIRE(store.size() == 20000);
    for (int i : {0, 63, 64, 191, 192, 447, 448, 19999}) {
        INFO(i);
        CHECK(store[size_t(i)] == fmt::format("type {}", i));
        CHECK(&store[size_t(i)] == addresses[size_t(i)]);
    }
}

TEST_CASE("without a readable builtins dict, builtin classes keep their names",
          "[decoder][types]") {
    PyHeap h;
    Decoding d(h);
    const uint64_t stgdict = h.static_type("StgDict", nullptr, h.t.dict, 192, 0, kReady);
    heapy::classify::TypeNamer namer(d.decoder, 0); // a core whose builtins could not be read
    auto name = [&](uint64_t type) { return namer.name(d.types.get(type)->index); };
    CHECK(name(h.t.type) == "type");
    CHECK(name(h.t.str) == "str");
    CHECK(name(h.t.tuple) == "tuple");
    CHECK(name(stgdict) == "builtins.StgDict");
    CHECK(name(h.t.function) == "function");
}
