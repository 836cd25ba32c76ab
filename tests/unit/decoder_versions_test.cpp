// Every version's layout (3.9 to 3.14) on hand-built images laid out as that version lays them
// out: sys.getsizeof of the common objects (measured on the pyenv builds 3.9.18, 3.10.13,
// 3.11.7, 3.12.1, 3.13.0, 3.14.7), dict internals (dk_size before 3.11, dk_log2_size after), ints
// (lv_tag from 3.12), instance dicts (a __dict__ slot before 3.11, managed dict pointers in 3.11,
// the tagged dict-or-values word in 3.12, inline values in 3.13 and 3.14), the runtime and its
// version, and a whole walk.
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace heapy::test;
using Catch::Matchers::Contains;

namespace {

int version_under_test() {
    return GENERATE(9, 10, 11, 12, 13, 14);
}

// Per version, 3.9 first.
template <class T> T per_version(int minor, T v9, T v10, T v11, T v12, T v13, T v14) {
    const T values[] = {v9, v10, v11, v12, v13, v14};
    return values[minor - 9];
}

} // namespace

TEST_CASE("every version: sizes are sys.getsizeof", "[decoder][versions][size]") {
    const int minor = version_under_test();
    CAPTURE(minor);
    PyHeap h(minor);
    const uint64_t abc = h.new_str("abc"), ete = h.new_str("\u00e9t\u00e9"),
                   euro = h.new_str("\u20ac");
    const uint64_t zero = h.integer(0), one = h.integer(1), minus = h.integer(-5);
    const uint64_t big = h.integer(int64_t{1} << 40);
    const uint64_t ab = h.bytes("ab");
    const uint64_t empty_tuple = h.tuple({}), pair = h.tuple({one, big});
    const uint64_t list = h.list({one, h.integer(2), h.integer(3)}, 0, 1); // [1, 2, 3]: allocated 4
    const uint64_t empty_dict = h.dict({});
    const uint64_t abc_dict =
        h.dict({{h.str("a"), one}, {h.str("b"), h.integer(2)}, {h.str("c"), h.integer(3)}});
    const uint64_t plain = h.heap_type({.name = "Plain"});
    const uint64_t slotted =
        h.heap_type({.name = "Slotted", .slots = std::vector<std::string>{"a", "b"}});
    const uint64_t p = h.instance(plain), s = h.instance(slotted);
    Decoding d(h);
    const bool wstr = minor <= 11; // PyASCIIObject.wstr, gone in 3.12
    CHECK(d.size(abc) == (wstr ? 52 : 44));
    CHECK(d.size(ete) == (wstr ? 76 : 60));
    CHECK(d.size(euro) == (wstr ? 76 : 60));
    CHECK(d.size(zero) == (minor <= 10 ? 24 : 28));
    CHECK(d.size(one) == 28);
    CHECK(d.size(minus) == 28);
    CHECK(d.size(big) == 32);
    CHECK(d.size(ab) == 35);
    CHECK(d.size(empty_tuple) == (minor <= 13 ? 40 : 48)); // 3.14: ob_hash
    CHECK(d.size(pair) == (minor <= 13 ? 56 : 64));
    CHECK(d.size(list) == 88);
    CHECK(d.size(empty_dict) == 64);
    CHECK(d.size(abc_dict) == (minor <= 10 ? 232 : 184));
    CHECK(d.size(p) == per_version<uint64_t>(minor, 48, 48, 56, 48, 48, 48));
    CHECK(d.size(s) == 48);
}

TEST_CASE("every version: ints are read by value", "[decoder][versions][int]") {
    const int minor = version_under_test();
    CAPTURE(minor);
    PyHeap h(minor);
    const uint64_t zero = h.integer(0), minus = h.integer(-5), big = h.integer(int64_t{1} << 40);
    Decoding d(h);
    CHECK(d.decoder.read_small_int(zero) == 0);
    CHECK(d.decoder.read_small_int(minus) == -5);
    CHECK(d.decoder.read_small_int(big) == int64_t{1} << 40);
    CHECK(d.referents(h.list({zero, minus})) == Lines{"[0] 0", "[1] -5"});
}

TEST_CASE("every version: dict entries, empty dicts and general keys",
          "[decoder][versions][dict]") {
    const int minor = version_under_test();
    CAPTURE(minor);
    PyHeap h(minor);
    const uint64_t empty = h.dict({});
    const uint64_t strs = h.dict({{h.str("a"), h.integer(1)}, {h.str("b"), h.integer(2)}});
    const uint64_t ints = h.dict({{h.integer(7), h.str("seven")}});
    std::vector<std::pair<uint64_t, uint64_t>> many;
    for (int i = 0; i < 40; ++i) many.emplace_back(h.integer(1000 + i), h.None); // 64 slots
    const uint64_t big = h.dict(many);
    h.dict_set(strs, h.str("c"), h.integer(3));
    h.dict_del(strs, h.str("a"));
    Decoding d(h);
    CHECK(d.referents(empty).empty()); // <= 3.10: Py_EMPTY_KEYS has dk_size 1
    CHECK(sorted(d.referents(strs)) ==
          Lines{".keys()[0] 'b'", ".keys()[1] 'c'", "['b'] 2", "['c'] 3"});
    CHECK(sorted(d.referents(ints)) == Lines{".keys()[0] 7", "[7] 'seven'"});
    CHECK(d.referents(big).size() == 2 * 40);
}

TEST_CASE("every version: an instance's attributes, before and after its __dict__ is made",
          "[decoder][versions][instance]") {
    const int minor = version_under_test();
    CAPTURE(minor);
    PyHeap h(minor);
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t one = h.integer(1), two = h.integer(2);
    const uint64_t obj = h.instance(foo, {{"x", one}, {"y", two}});
    Decoding d(h);
    const Lines xy_items{".keys()[0] 'x'", "['x'] 1", ".keys()[1] 'y'", "['y'] 2"};
    // 3.13+ traverses valid inline values itself (PyObject_VisitManagedDict): `.x`, `.y` too.
    const auto attribute_edges = [&](const std::vector<Edge>& all) {
        Lines out;
        for (const Edge& e : all)
            if (e.target == one || e.target == two)
                out.push_back(relation_text(h, e.relation) + (e.target == one ? " 1" : " 2"));
        return sorted(out);
    };
    const Lines inline_attributes = minor >= 13 ? Lines{".x 1", ".y 2"} : Lines{};
    auto edges = d.edges(obj);
    CHECK(attribute_edges(edges) == inline_attributes);
    std::erase_if(edges, [&](const Edge& e) { return e.target == one || e.target == two; });
    REQUIRE(edges.size() == 2); // its type and its __dict__
    const Edge& dict_edge = edges[0].target == foo ? edges[1] : edges[0];
    CHECK(relation_text(h, dict_edge.relation) == ".__dict__ (owns)");
    if (minor <= 10) {
        // A real dict at tp_dictoffset, made at the first attribute.
        CHECK(dict_edge.referent == heapy::cpython::Referent::Object);
        CHECK(d.referents(dict_edge.target) == xy_items);
        CHECK(h.values_of(obj) == 0);
    } else {
        // The values of a managed dict that was never materialised: a virtual `dict of Foo`.
        CHECK(dict_edge.referent == heapy::cpython::Referent::ManagedValues);
        CHECK(dict_edge.target == h.values_of(obj));
        CHECK(d.values_referents(dict_edge.target, foo) == xy_items);
        if (minor == 13) CHECK(dict_edge.target == obj + 16); // inline, right after the header
        const uint64_t materialised = h.materialize_dict(obj);
        auto after = d.edges(obj);
        CHECK(attribute_edges(after) == inline_attributes); // 3.13 keeps the values valid
        std::erase_if(after, [&](const Edge& e) { return e.target == one || e.target == two; });
        REQUIRE(after.size() == 2);
        const Edge& now = after[0].target == foo ? after[1] : after[0];
        CHECK(now.target == materialised);
        CHECK(now.referent == heapy::cpython::Referent::Object);
        CHECK(d.referents(materialised) == xy_items);
    }
}

TEST_CASE("every version: the runtime, its version and how it was found",
          "[decoder][versions][runtime]") {
    const int minor = version_under_test();
    CAPTURE(minor);
    PyHeap h(minor);
    const uint64_t interp = h.interpreter({.modules = h.dict({})});
    h.thread(interp, 140001);
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    CHECK(runtime.version.text() == h.version);
    if (minor <= 13)
        CHECK(runtime.layout == &h.L);
    else
        CHECK(runtime.layout->micro_first == h.L.micro_first); // h.L corrected by the debug offsets
    if (minor >= 11)
        CHECK_THAT(runtime.found_by,
                   Contains("version from Py_Version, agrees with the file name python3." +
                            std::to_string(minor)));
    else
        CHECK_THAT(runtime.found_by,
                   Contains("version from a file name and the version string in memory"));
    CHECK(bool(runtime.debug_offsets) == (minor >= 14)); // 3.14 images have their cookie
    REQUIRE(runtime.interpreters.size() == 1);
    REQUIRE(runtime.interpreters[0].threads.size() == 1);
    CHECK(runtime.interpreters[0].threads[0].thread_id == 140001);
    CHECK(runtime.interpreters[0].threads[0].native_thread_id == (minor >= 11 ? 40001u : 0u));
}

TEST_CASE("3.13: _Py_DebugOffsets are used only when their version is the one found",
          "[decoder][versions][runtime]") {
    PyHeap h(13);
    h.thread(h.interpreter({.modules = h.dict({})}), 140001);
    h.memory.write(h.runtime, "xdebugpy", 8);
    heapy::cpython::Reader reader(h.memory);
    SECTION("the same version: read (every section is empty here, so no field is taken)") {
        h.poke<uint64_t>(h.runtime + 8, 0x030d00f0);
        const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
        REQUIRE(runtime.debug_offsets);
        CHECK(runtime.debug_offsets->fields_checked == 0);
        CHECK_THAT(runtime.found_by, Contains("_Py_DebugOffsets read (version 0x030d00f0 agrees"));
    }
    SECTION("another version: ignored, and said so") {
        h.poke<uint64_t>(h.runtime + 8, 0x030e00f0);
        const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
        CHECK_FALSE(runtime.debug_offsets);
        CHECK(runtime.layout == &h.L);
        CHECK_THAT(runtime.found_by,
                   Contains("_Py_DebugOffsets ignored: its version 0x030e00f0 is not 3.13"));
    }
}

TEST_CASE("every version: the partition of a small program", "[decoder][versions][walk]") {
    const int minor = version_under_test();
    CAPTURE(minor);
    PyHeap h(minor);
    const uint64_t builtins = h.dict({{h.str("int"), h.t.int_}, {h.str("object"), h.t.object}});
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t a = h.instance(foo, {{"x", h.integer(1)}});
    const uint64_t b = h.instance(foo, {{"x", h.integer(2)}, {"y", h.dict({})}});
    const uint64_t globals = h.dict({{h.str("__name__"), h.str("__main__")},
                                     {h.str("Foo"), foo},
                                     {h.str("objs"), h.list({a, b})}});
    h.interpreter({.modules = h.dict({{h.str("__main__"), h.module("__main__", globals)}}),
                   .builtins = builtins});
    Walk w(h);
    const Lines rows = w.rows();
    CAPTURE(rows);
    CHECK(w.graph.unreadable == 0);
    const std::string foo_size =
        std::to_string(2 * per_version<uint64_t>(minor, 48, 48, 56, 48, 48, 48));
    CHECK(row(rows, "__main__.Foo") == "__main__.Foo 2 " + foo_size);
    CHECK(row(rows, "dict of __main__.Foo").rfind("dict of __main__.Foo 2 ", 0) == 0);
    CHECK(row(rows, "dict (no owner)").rfind("dict (no owner) 3 ", 0) == 0); // modules, builtins, y
    CHECK(row(rows, "dict of module") ==
          "dict of module 1 " + std::to_string(minor <= 10 ? 232 : 184));
    CHECK(w.reached(a));
    CHECK(w.reached(b));
}
