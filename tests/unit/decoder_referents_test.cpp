// ObjectDecoder::referents, type by type: what tp_traverse visits, plus the dict keys heapy's
// traversal skips (HEAPY.md 0.6), named as heapy names the relations (HEAPY.md 2.5).
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using namespace heapy::test::tpflags;

TEST_CASE("tuple and list items, by index", "[decoder][referents]") {
    PyHeap h;
    const uint64_t one = h.integer(1), a = h.str("a");
    const uint64_t tuple = h.tuple({one, a, 0, h.None}); // slot 2 not filled in yet
    const uint64_t list = h.list({one, a}, 0, 2);
    h.poke(h.items_of(list) + 16, h.str("stale")); // beyond ob_size: not an item
    Decoding d(h);
    CHECK(d.referents(tuple) == Lines{"[0] 1", "[1] 'a'", "[3] None"});
    CHECK(d.referents(list) == Lines{"[0] 1", "[1] 'a'"});
    CHECK(d.referents(h.list({})).empty());
}

TEST_CASE("dict keys and values, in iteration order", "[decoder][referents]") {
    PyHeap h;
    const uint64_t one = h.integer(1), two = h.integer(2), three = h.integer(3);
    const uint64_t unicode = h.dict({{h.str("a"), one}, {h.str("b"), two}, {h.str("c"), three}});
    const uint64_t pair = h.name(h.tuple({one, two}), "(1, 2)");
    const uint64_t general = h.dict({{one, h.str("one")}, {pair, h.None}});
    Decoding d(h);
    CHECK(d.referents(unicode) == Lines{".keys()[0] 'a'", "['a'] 1", ".keys()[1] 'b'", "['b'] 2",
                                        ".keys()[2] 'c'", "['c'] 3"});
    CHECK(d.referents(general) ==
          Lines{".keys()[0] 1", "[1] 'one'", ".keys()[1] (1, 2)", "[(1, 2)] None"});

    h.dict_del(unicode, h.str("b")); // positions close up over deleted entries
    CHECK(d.referents(unicode) == Lines{".keys()[0] 'a'", "['a'] 1", ".keys()[1] 'c'", "['c'] 3"});
    CHECK(d.referents(h.dict({})).empty());
}

TEST_CASE("dict keys are read without views too", "[decoder][referents]") {
    PyHeap h;
    std::vector<std::pair<uint64_t, uint64_t>> items;
    for (int i = 0; i < 100; ++i) items.emplace_back(h.integer(i), h.integer(1000 + i));
    const uint64_t big = h.dict(items);
    h.memory.set_views(false);
    Decoding d(h);
    const Lines lines = d.referents(big);
    REQUIRE(lines.size() == 200);
    CHECK(lines[0] == ".keys()[0] 0");
    CHECK(lines[199] == "[99] 1099");
}

TEST_CASE("set members skip empty slots and dummies", "[decoder][referents]") {
    PyHeap h;
    const uint64_t one = h.integer(1), two = h.integer(2), three = h.integer(3);
    const uint64_t set = h.set({one, two, three});
    h.set_discard(set, two);
    std::vector<uint64_t> many;
    for (int i = 0; i < 20; ++i) many.push_back(h.integer(100 + i));
    const uint64_t big = h.set(many); // a table outside the object
    Decoding d(h);
    CHECK(d.referents(set) == Lines{"list(_)[0] 1", "list(_)[1] 3"});
    CHECK(d.referents(big).size() == 20);
}

TEST_CASE("deque items cross block boundaries", "[decoder][referents]") {
    PyHeap h;
    std::vector<uint64_t> items;
    for (int i = 0; i < 70; ++i) items.push_back(h.integer(i));
    const uint64_t deque = h.deque(items);
    Decoding d(h);
    const Lines lines = d.referents(deque);
    REQUIRE(lines.size() == 70);
    CHECK(lines[62] == "[62] 62"); // the last slot of the first block
    CHECK(lines[63] == "[63] 63"); // the first slot of the second
    CHECK(lines[69] == "[69] 69");
    CHECK(d.referents(h.deque({})).empty());
}

TEST_CASE("cell, function, module and code referents", "[decoder][referents]") {
    PyHeap h;
    const uint64_t one = h.integer(1), two = h.integer(2);
    const uint64_t globals = h.name(h.dict({{h.str("__name__"), h.str("m")}}), "globals");
    const uint64_t builtins = h.builtins_dict();
    const uint64_t cell = h.name(h.cell(one), "cell");
    const uint64_t closure = h.name(h.tuple({cell}), "closure");
    const uint64_t defaults = h.name(h.tuple({two}), "defaults");
    const uint64_t code = h.code({.name = "f", .locals = {"x"}});
    const uint64_t function = h.function({.code = code,
                                          .globals = globals,
                                          .builtins = builtins,
                                          .closure = closure,
                                          .defaults = defaults});
    const uint64_t attrs = h.name(h.dict({{h.str("tag"), one}}), "f.__dict__");
    h.poke(function + h.L.function_dict, attrs);
    const uint64_t module = h.module("m", globals);
    h.name(h.word(code + h.L.code_localsplusnames), "('x',)");
    Decoding d(h);

    CHECK(d.referents(cell) == Lines{".cell_contents 1"});
    CHECK(sorted(d.referents(function)) ==
          sorted({".__code__ code:f", ".__globals__ globals", ".__builtins__ builtins",
                  ".__defaults__ defaults", ".__doc__ None", ".__name__ 'f'",
                  ".__dict__ (owns) f.__dict__", ".__closure__ closure", ".__qualname__ 'f'"}));
    CHECK(sorted(d.referents(module)) == sorted({".__dict__ (owns) globals", "->md_name 'm'"}));
    CHECK(sorted(d.referents(code)) ==
          sorted({".co_consts ()", ".co_names ()", ".co_exceptiontable b''",
                  "->co_localsplusnames ('x',)", "->co_localspluskinds b' '",
                  ".co_filename 'demo.py'", ".co_name 'f'", ".co_qualname 'f'",
                  ".co_linetable b''"}));
}

TEST_CASE("module state words are guesses", "[decoder][referents]") {
    PyHeap h;
    const uint64_t module = h.module("_ext", h.name(h.dict({}), "globals"));
    const uint64_t def = h.raw(128), state = h.raw(16);
    h.poke<int64_t>(def + h.L.moduledef_size, 16);
    h.poke(state, h.str("cached"));
    h.poke<uint64_t>(state + 8, 0x1235); // not a pointer
    h.poke(module + h.L.module_def, def);
    h.poke(module + h.L.module_state, state);
    Decoding d(h);
    CHECK(sorted(d.referents(module)) ==
          sorted({".__dict__ (owns) globals", "->md_name '_ext'", "->md_state 'cached' (guess)"}));
}

TEST_CASE("type referents: static and heap types", "[decoder][referents]") {
    PyHeap h;
    const uint64_t int_dict = h.name(h.dict({}), "int.__dict__");
    h.poke(h.t.int_ + h.L.type_dict, int_dict);
    const uint64_t foo = h.heap_type({.name = "Foo"});
    h.instance(foo, {{"x", h.integer(1)}, {"y", h.integer(2)}});
    h.name(h.word(foo + h.L.type_dict), "Foo.__dict__");
    h.name(h.word(foo + h.L.type_mro), "(Foo, object)");
    h.name(h.word(foo + h.L.type_bases), "(object,)");
    Decoding d(h);
    CHECK(d.referents(h.t.int_) == Lines{".__dict__ (owns) int.__dict__", ".__base__ object"});
    CHECK(sorted(d.referents(foo)) ==
          sorted({".__dict__ (owns) Foo.__dict__", ".__mro__ (Foo, object)", ".__bases__ (object,)",
                  ".__base__ object", ".__name__ 'Foo'", ".__qualname__ 'Foo'",
                  "->ht_cached_keys 'x'", "->ht_cached_keys 'y'"}));
}

TEST_CASE("instances: inline values, materialized dicts, slots", "[decoder][referents]") {
    PyHeap h;
    const uint64_t one = h.integer(1), two = h.integer(2);
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t first = h.instance(foo, {{"x", one}, {"y", two}});
    const uint64_t second = h.instance(foo, {{"y", two}, {"x", one}}); // other insertion order
    const uint64_t third = h.instance(foo, {{"x", one}});
    const uint64_t third_dict = h.name(h.materialize_dict(third), "third.__dict__");
    const uint64_t slotted =
        h.heap_type({.name = "S", .slots = std::vector<std::string>{"a", "b"}});
    const uint64_t with_slots = h.instance(slotted, {{"a", one}}); // b unset
    h.name(h.values_of(first), "first.values");
    Decoding d(h);

    CHECK(sorted(d.referents(first)) ==
          sorted({"->ob_type Foo", ".__dict__ (owns) first.values (values)"}));
    CHECK(d.edges(first).back().aux == foo);
    CHECK(d.values_referents(h.values_of(first), foo) ==
          Lines{".keys()[0] 'x'", "['x'] 1", ".keys()[1] 'y'", "['y'] 2"});
    CHECK(d.values_referents(h.values_of(second), foo) ==
          Lines{".keys()[0] 'y'", "['y'] 2", ".keys()[1] 'x'", "['x'] 1"});
    CHECK(sorted(d.referents(third)) ==
          sorted({"->ob_type Foo", ".__dict__ (owns) third.__dict__"}));
    CHECK(d.referents(third_dict) == Lines{".keys()[0] 'x'", "['x'] 1"});
    CHECK(sorted(d.referents(with_slots)) == sorted({"->ob_type S", ".a 1"}));
}

TEST_CASE("subclasses of built-ins: items, then the instance dict", "[decoder][referents]") {
    PyHeap h;
    const uint64_t one = h.integer(1);
    const uint64_t my_list = h.heap_type({.name = "L", .base = h.t.list});
    const uint64_t my_dict = h.heap_type({.name = "D", .base = h.t.dict});
    const uint64_t my_int = h.heap_type({.name = "I", .base = h.t.int_});
    const uint64_t list = h.list({one}, my_list);
    h.set_attr(list, "tag", h.str("t"));
    h.name(h.values_of(list), "list.values");
    const uint64_t dict = h.dict({{h.str("k"), one}}, my_dict);
    h.name(h.values_of(dict), "dict.values");
    // I(5) with an attribute: the dict pointer sits 8 bytes before the end of the digits.
    const uint64_t number = h.object(my_int, 40, 1);
    h.poke<uint32_t>(number + h.L.long_digits, 5);
    h.poke(number + 32, h.name(h.dict({{h.str("tag"), one}}), "number.__dict__"));
    Decoding d(h);
    CHECK(sorted(d.referents(list)) ==
          sorted({"->ob_type L", "[0] 1", ".__dict__ (owns) list.values (values)"}));
    CHECK(d.values_referents(h.values_of(list), my_list) ==
          Lines{".keys()[0] 'tag'", "['tag'] 't'"});
    CHECK(sorted(d.referents(dict)) == sorted({"->ob_type D", ".keys()[0] 'k'", "['k'] 1",
                                               ".__dict__ (owns) dict.values (values)"}));
    CHECK(sorted(d.referents(number)) ==
          sorted({"->ob_type I", ".__dict__ (owns) number.__dict__"}));
    CHECK(d.size(number) == 44);
}

TEST_CASE("C types without a decoder: members, then a conservative scan", "[decoder][referents]") {
    PyHeap h;
    const uint64_t thing = h.static_type("mymod.Thing", nullptr, h.t.object, 48, 0,
                                         kHaveGc | kReady | kBaseType, 0, 40);
    h.poke(thing + h.L.type_members, h.member_table({{"payload", 16}}));
    const uint64_t obj = h.object(thing, 48);
    h.poke(obj + 16, h.str("payload"));
    h.poke(obj + 24, h.str("hidden"));
    h.poke<uint64_t>(obj + 32, 0x1235);              // odd: not a pointer
    h.poke(obj + 40, h.name(h.raw(16), "weakrefs")); // tp_weaklistoffset: skipped
    Decoding d(h);
    CHECK(d.type(obj).kind == heapy::cpython::Kind::Unknown);
    CHECK(d.referents(obj) == Lines{".payload 'payload'", "->??@24 'hidden' (guess)"});
}

TEST_CASE("exceptions share BaseException's layout", "[decoder][referents]") {
    PyHeap h;
    const uint64_t base_exc = h.static_type("BaseException", "_PyExc_BaseException", h.t.object, 72,
                                            0, kHaveGc | kBaseExcSubclass | kReady | kBaseType, 16);
    const uint64_t value_error = h.static_type("ValueError", "_PyExc_ValueError", base_exc, 72, 0,
                                               kHaveGc | kBaseExcSubclass | kReady | kBaseType, 16);
    const uint64_t mine = h.heap_type({.name = "MyError", .base = value_error});
    const uint64_t args = h.name(h.tuple({h.str("bad")}), "args");
    const uint64_t e1 = h.object(value_error, 72), e2 = h.object(mine, 72);
    h.poke(e1 + h.L.exception_args, args);
    h.poke(e2 + h.L.exception_args, args);
    h.poke(e2 + h.L.exception_context, e1);
    h.name(e1, "e1");
    Decoding d(h);
    CHECK(d.type(e1).kind == heapy::cpython::Kind::BaseException);
    CHECK(d.type(e2).kind == heapy::cpython::Kind::BaseException);
    CHECK(d.referents(e1) == Lines{".args args"});
    CHECK(sorted(d.referents(e2)) ==
          sorted({"->ob_type MyError", ".args args", ".__context__ e1"}));
}

TEST_CASE("generators hold their suspended frame's locals and stack", "[decoder][referents]") {
    PyHeap h;
    const uint64_t globals = h.name(h.dict({}), "globals");
    const uint64_t code = h.code({.name = "g", .locals = {"x", "unset"}, .stacksize = 2});
    const uint64_t function = h.function({.code = code, .globals = globals});
    const uint64_t held = h.name(h.new_str("held"), "held");
    const uint64_t gen = h.generator({.code = code,
                                      .function = function,
                                      .globals = globals,
                                      .fast = {held},
                                      .stack = {h.integer(7)}});
    const uint64_t done =
        h.generator({.code = code, .function = function, .fast = {held}}, 4); // cleared
    Decoding d(h);
    // gi_code is reported twice (the generator's field and its frame's f_code).
    Lines lines = sorted(d.referents(gen));
    lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    CHECK(lines == sorted({".gi_code code:g", ".__name__ 'g'", ".__qualname__ 'g'",
                           "->f_func function:g", ".f_locals['x'] held", "->f_valuestack[0] 7"}));
    CHECK(sorted(d.referents(done)) ==
          sorted({".gi_code code:g", ".__name__ 'g'", ".__qualname__ 'g'"}));
}

TEST_CASE("interpreter frames: namespaces, locals, stack, the calling frame",
          "[decoder][referents]") {
    PyHeap h;
    const uint64_t globals = h.name(h.dict({}), "globals");
    const uint64_t builtins = h.builtins_dict();
    const uint64_t main_code = h.code({.name = "<module>"});
    const uint64_t f_code = h.code({.name = "f", .locals = {"a", "b"}, .stacksize = 2});
    const uint64_t f = h.function({.code = f_code, .globals = globals});
    const uint64_t x = h.name(h.new_str("x"), "x"), y = h.name(h.new_str("y"), "y");
    const uint64_t outer =
        h.frame({.code = main_code, .globals = globals, .builtins = builtins, .locals = globals});
    const uint64_t shim = h.frame({.code = f_code, .incomplete = true, .previous = outer});
    const uint64_t inner = h.frame({.code = f_code,
                                    .function = f,
                                    .globals = globals,
                                    .builtins = builtins,
                                    .fast = {x, 0},
                                    .stack = {y},
                                    .previous = shim});
    const uint64_t running = h.frame({.code = f_code,
                                      .function = f,
                                      .globals = globals,
                                      .builtins = builtins,
                                      .fast = {x},
                                      .stack = {y},
                                      .executing = true,
                                      .previous = inner});
    Decoding d(h);
    const Lines context{"->f_func function:f", ".f_code code:f", ".f_builtins builtins",
                        ".f_globals globals"};
    Lines expected = context;
    expected.insert(expected.end(),
                    {".f_back frame:<module> (frame)", ".f_locals['a'] x", "->f_valuestack[0] y"});
    CHECK(sorted(d.frame_referents(inner)) == sorted(expected));
    CHECK(sorted(d.frame_referents(outer)) ==
          sorted({".f_code code:<module>", ".f_builtins builtins", ".f_globals globals",
                  ".f_locals globals"}));
    // The running frame's stack pointer is in a register: every stack slot is a guess.
    expected = context;
    expected.insert(expected.end(),
                    {".f_back frame:f (frame)", ".f_locals['a'] x", "->f_valuestack[0] y (guess)"});
    CHECK(sorted(d.frame_referents(running)) == sorted(expected));
    CHECK(d.decoder.previous_frame(inner) == outer);
    CHECK_FALSE(d.decoder.is_complete_frame(shim));

    // Once the caller has a frame object, f_back leads to it.
    h.name(h.frame_object(outer), "outer's frame object");
    const uint64_t inner_object = h.frame_object(inner);
    expected = context;
    expected.insert(expected.end(),
                    {".f_back outer's frame object", ".f_locals['a'] x", "->f_valuestack[0] y"});
    CHECK(sorted(d.referents(inner_object)) == sorted(expected));
}

TEST_CASE("a struct sequence: visible fields as items, hidden ones as members",
          "[decoder][referents]") {
    for (int minor : {11, 14}) {
        PyHeap h(minor);
        // os.stat_result-like: 2 visible fields, 1 hidden. Up to 3.13 the hidden fields follow
        // the items of a tuple-sized object; from 3.14 tp_basicsize counts them.
        const uint64_t items = h.L.tuple_items;
        const int64_t basicsize = int64_t(items) + (minor >= 14 ? 8 : 0);
        const uint64_t stat_type = h.static_type("os.stat_result", nullptr, h.t.tuple, basicsize, 8,
                                                 kHaveGc | kReady | kTupleSubclass);
        h.poke(stat_type + h.L.type_members, h.member_table({{"st_mode", int64_t(items)},
                                                             {"st_ino", int64_t(items) + 8},
                                                             {"st_atime", int64_t(items) + 16}}));
        const uint64_t st = h.object(stat_type, items + 24, 2);
        h.poke(st + items, h.integer(33188));
        h.poke(st + items + 8, h.integer(2));
        h.poke(st + items + 16, h.name(h.object(h.t.float_, 24), "atime"));
        Decoding d(h);
        INFO("3." << minor);
        CHECK(d.type(st).kind == heapy::cpython::Kind::Tuple);
        CHECK(d.referents(st) == Lines{"[0] 33188", "[1] 2", ".st_atime atime"});
    }
}
