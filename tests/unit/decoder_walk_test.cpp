// End to end on hand-built interpreters: locate_runtime, collect_roots, walk_heap, then the
// Clodo and Type partitions heapy would print (HEAPY.md 2.1, 4).
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace heapy::test;

TEST_CASE("the partition of a small program, row by row", "[decoder][walk]") {
    PyHeap h;
    const uint64_t builtins = h.dict({{h.str("int"), h.t.int_},
                                      {h.str("str"), h.t.str},
                                      {h.str("dict"), h.t.dict},
                                      {h.str("tuple"), h.t.tuple},
                                      {h.str("type"), h.t.type},
                                      {h.str("object"), h.t.object}});
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t obj = h.instance(foo, {{"x", h.integer(1)}});
    const uint64_t globals =
        h.dict({{h.str("__name__"), h.str("__main__")}, {h.str("Foo"), foo}, {h.str("obj"), obj}});
    const uint64_t modules = h.dict({{h.str("__main__"), h.module("__main__", globals)}});
    h.interpreter({.modules = modules, .builtins = builtins});
    h.memory.set_views(GENERATE(true, false)); // false: every read as a slow source makes it
    Walk w(h);
    // type: Foo (904 + its shared keys 768 + 16) and the six static types (408 + 16).
    // str: '__main__' 57, '__name__' 57, 'Foo' 52, 'obj' 52, 'x' 50, '__module__' 59 and the six
    // builtins names (319). Dicts: sys.modules and builtins have no owner; 3 string keys = 184,
    // 6 = 272. Foo's inline values: 32 + 8 * 29 (its shared keys allowed 29 values).
    CHECK(w.rows() == Lines{"type 7 4232", "str 12 646", "dict (no owner) 2 456",
                            "dict of __main__.Foo 1 264", "dict of module 1 184",
                            "dict of type 1 184", "tuple 2 104", "module 1 72", "__main__.Foo 1 56",
                            "int 1 28"});
    CHECK(w.rows(heapy::classify::Classifier::Type) ==
          Lines{"type 7 4232", "dict 5 1088", "str 12 646", "tuple 2 104", "module 1 72",
                "__main__.Foo 1 56", "int 1 28"});
    CHECK(w.graph.object_count() == 29);
    CHECK(w.graph.total_size == 6226);
    CHECK(w.graph.unreadable == 0);
    CHECK(w.root_names() == Lines{"i0_modules", "i0_builtins"});
}

TEST_CASE("an instance held only by a thread's frame local", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t lone = h.name(h.instance(foo, {{"n", h.integer(5)}}), "lone");
    const uint64_t main_code = h.code({.name = "<module>"});
    const uint64_t f_code = h.code({.name = "f", .locals = {"x"}});
    const uint64_t f = p.global("f", h.function({.code = f_code, .globals = p.globals}));
    const uint64_t thread = h.thread(p.interp, 140001);
    const uint64_t bottom = h.push_frame(
        thread,
        {.code = main_code, .globals = p.globals, .builtins = p.builtins, .locals = p.globals});
    const uint64_t top = h.push_frame(thread, {.code = f_code,
                                               .function = f,
                                               .globals = p.globals,
                                               .builtins = p.builtins,
                                               .fast = {lone}});
    Walk w(h);
    CHECK(w.clodo_kind(lone) == "__main__.Foo");
    CHECK(w.clodo_kind(h.values_of(lone)) == "dict of __main__.Foo");
    CHECK(w.clodo_kind(top) == "types.FrameType");
    CHECK(w.size_of(top) == 72 + 8 * (1 + 2));
    CHECK(w.size_of(bottom) == 72 + 8 * (0 + 2));
    CHECK(row(w.rows(), "types.FrameType") == "types.FrameType 2 184");
    CHECK(row(w.rows(), "__main__.Foo") == "__main__.Foo 1 56");
    CHECK(row(w.rows(), "function") == "function 1 152");
    CHECK(row(w.rows(), "types.CodeType") == "types.CodeType 2 400");
    const Lines roots = w.root_names();
    CHECK(std::count(roots.begin(), roots.end(), "i0_t140001_f1") == 1);
    const Lines held_by_top = w.referents(top);
    CHECK(std::count(held_by_top.begin(), held_by_top.end(), "lone") == 1);
    CHECK(std::count(held_by_top.begin(), held_by_top.end(), "frame:<module>") == 1); // f_back
    CHECK(w.graph.unreadable == 0);
}

TEST_CASE("every thread's frames are roots, not only the current thread's", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t code = h.code({.name = "worker", .locals = {"job"}});
    const uint64_t job1 = h.name(h.new_str("job one"), "job1"),
                   job2 = h.name(h.new_str("job two"), "job2");
    h.push_frame(h.thread(p.interp, 140001), {.code = code, .globals = p.globals, .fast = {job1}});
    h.push_frame(h.thread(p.interp, 140002), {.code = code, .globals = p.globals, .fast = {job2}});
    h.thread(p.interp, 140003); // idle
    Walk w(h);
    CHECK(w.reached(job1));
    CHECK(w.reached(job2));
    const Lines roots = w.root_names();
    CHECK(std::count(roots.begin(), roots.end(), "i0_t140001_f0") == 1);
    CHECK(std::count(roots.begin(), roots.end(), "i0_t140002_f0") == 1);
}

TEST_CASE("a generator holds an instance in its suspended frame", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t item = h.name(h.instance(foo), "item");
    const uint64_t code = h.code({.name = "produce", .locals = {"item"}});
    const uint64_t function = p.global("produce", h.function({.code = code, .globals = p.globals}));
    const uint64_t gen = p.global(
        "gen",
        h.generator({.code = code, .function = function, .globals = p.globals, .fast = {item}}));
    Walk w(h);
    CHECK(w.reached(item));
    CHECK(w.clodo_kind(gen) == "types.GeneratorType");
    CHECK(row(w.rows(), "types.GeneratorType") == "types.GeneratorType 1 192");
    CHECK(row(w.rows(), "__main__.Foo") == "__main__.Foo 1 56");
    const Lines held = w.referents(gen);
    CHECK(std::count(held.begin(), held.end(), "item") == 1);
}

TEST_CASE("a closure cell", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t counts = h.name(h.list({h.integer(0)}), "counts");
    const uint64_t cell = h.cell(counts);
    const uint64_t code = h.code({.name = "increment"});
    p.global("increment",
             h.function({.code = code, .globals = p.globals, .closure = h.tuple({cell})}));
    Walk w(h);
    CHECK(w.reached(counts));
    CHECK(w.clodo_kind(cell) == "types.CellType");
    CHECK(row(w.rows(), "types.CellType") == "types.CellType 1 40");
    CHECK(w.referents(cell) == Lines{"counts"});
}

TEST_CASE("subclasses of list and dict are classified by their class", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t my_list = p.global("MyList", h.heap_type({.name = "MyList", .base = h.t.list}));
    const uint64_t my_dict = p.global("MyDict", h.heap_type({.name = "MyDict", .base = h.t.dict}));
    const uint64_t l = p.global("l", h.list({h.integer(1)}, my_list));
    const uint64_t d = p.global("d", h.dict({{h.str("k"), h.str("v")}}, my_dict));
    Walk w(h);
    const Lines rows = w.rows();
    CHECK(w.clodo_kind(l) == "__main__.MyList");
    CHECK(w.clodo_kind(d) == "__main__.MyDict");
    CHECK(row(rows, "__main__.MyList") == "__main__.MyList 1 88");  // 48 + 8 + 16 + 16
    CHECK(row(rows, "__main__.MyDict") == "__main__.MyDict 1 208"); // 56 + 120 + 16 + 16
    CHECK(row(rows, "dict of __main__.MyList") == "dict of __main__.MyList 1 264");
    CHECK(row(rows, "dict of __main__.MyDict") == "dict of __main__.MyDict 1 264");
    CHECK(w.graph.unreadable == 0);
}

TEST_CASE("materialized instance dicts are owned; other dicts are not", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t obj = p.global("obj", h.instance(foo, {{"a", h.integer(1)}}));
    const uint64_t dict = h.materialize_dict(obj);
    const uint64_t loose = p.global("config", h.dict({{h.str("debug"), h.None}}));
    Walk w(h);
    CHECK(w.clodo_kind(dict) == "dict of __main__.Foo");
    CHECK(w.size_of(dict) == 296);
    CHECK(w.clodo_kind(loose) == "dict (no owner)");
    CHECK(w.clodo_kind(p.globals) == "dict of module");
    CHECK(w.clodo_kind(h.word(foo + h.L.type_dict)) == "dict of type");
    CHECK(w.clodo_kind(p.modules) == "dict (no owner)");
}

TEST_CASE("subinterpreters are walked and numbered oldest first", "[decoder][walk]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t sub_modules =
        h.name(h.dict({{h.str("sub"), h.str("only here")}}), "sub.modules");
    h.interpreter({.modules = sub_modules, .builtins = p.builtins});
    Walk w(h);
    CHECK(w.reached(sub_modules));
    CHECK(w.root_names() == Lines{"i0_modules", "i0_builtins", "i1_modules", "i1_builtins"});
}

TEST_CASE("objects of types numbered past what a node holds are walked and decoded",
          "[decoder][walk]") {
    // Node::kTypeEscape + 100 distinct types: the last hundred are numbered past what a node's
    // type field holds (the graph keeps them aside, and a walk that decodes in a second thread
    // hands those nodes back to the resolving thread).
    Program p;
    PyHeap& h = p.h;
    const uint64_t name = h.cstring("many.Kind");
    const uint64_t members = h.member_table({{"held", 16}});
    const uint64_t held = h.name(h.new_str("held"), "held");
    std::vector<uint64_t> objects;
    std::vector<uint64_t> types;
    for (uint32_t i = 0; i < heapy::heap::Node::kTypeEscape + 100; ++i) {
        const uint64_t type = h.raw(h.L.type_size);
        h.poke<int64_t>(type + h.L.object_refcnt, 1);
        h.poke(type + h.L.object_type, h.t.type);
        h.poke(type + h.L.type_name, name);
        h.poke<int64_t>(type + h.L.type_basicsize, 24);
        h.poke(type + h.L.type_base, h.t.object);
        h.poke(type + h.L.type_members, members);
        const uint64_t object = h.object(type, 24);
        h.poke(object + 16, held);
        types.push_back(type);
        objects.push_back(object);
    }
    p.global("objects", h.list(objects));
    Walk w(h);
    REQUIRE(w.types.size() > heapy::heap::Node::kTypeEscape + 100);
    for (size_t i : {size_t{0}, objects.size() / 2, objects.size() - 101, objects.size() - 1}) {
        INFO("object " << i);
        REQUIRE(w.reached(objects[i]));
        const uint32_t node = w.graph.index.find(objects[i]);
        CHECK(w.graph.type_of(node) == w.types.get(types[i])->index);
        CHECK(w.size_of(objects[i]) == 24);
        const Lines referents = w.referents(objects[i]);
        CHECK(std::count(referents.begin(), referents.end(), "held") == 1);
    }
    CHECK(w.graph.unreadable == 0);
}
