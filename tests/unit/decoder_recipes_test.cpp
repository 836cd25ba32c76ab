// C type recipes (cpython-layouts/c-types/): the expression language they are written in,
// that every recipe compiles for every version it claims, and decoding by recipe on images.
#include "core/cpython/c_type_recipes.hpp"
#include "core/errors.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

using namespace heapy;
using namespace heapy::test;
using cpython::CMember;
using cpython::CStructs;
using cpython::RecipeContext;
using cpython::RecipeExpr;

namespace {

CMember member(uint32_t offset, uint32_t size, CMember::Shape shape, std::string pointee = {}) {
    return {offset, size, shape, std::move(pointee)};
}

// struct Outer { PyObject_HEAD; int32_t small; Inner* inner; struct { int64_t a, b; } pair;
//                char* name; PyObject* items[4]; }     struct Inner { int64_t n; Outer* back; }
CStructs example_structs() {
    using Shape = CMember::Shape;
    CStructs structs;
    auto& outer = structs["Outer"];
    outer.size = 96;
    outer.members = {{"small", member(16, 4, Shape::Signed)},
                     {"inner", member(24, 8, Shape::Pointer, "Inner")},
                     {"pair", member(32, 16, Shape::Struct, "")},
                     {"pair.a", member(32, 8, Shape::Signed)},
                     {"pair.b", member(40, 8, Shape::Signed)},
                     {"name", member(48, 8, Shape::Pointer)},
                     {"items", member(56, 32, Shape::Array)},
                     {"flags", member(88, 1, Shape::Unsigned)}};
    auto& inner = structs["Inner"];
    inner.size = 16;
    inner.members = {{"n", member(0, 8, Shape::Signed)},
                     {"back", member(8, 8, Shape::Pointer, "Outer")}};
    return structs;
}

struct Example {
    MemoryImage memory;
    cpython::Reader reader{memory};
    CStructs structs = example_structs();
    uint64_t outer = 0x10000, inner = 0x10100, name = 0x10200;
    Example() {
        memory.map(0x10000, 0x1000);
        memory.put<int32_t>(outer + 16, -3);
        memory.put<uint64_t>(outer + 24, inner);
        memory.put<int64_t>(outer + 32, 5);
        memory.put<int64_t>(outer + 40, 7);
        memory.put<uint64_t>(outer + 48, name);
        memory.put<uint8_t>(outer + 88, 0xff);
        memory.put<int64_t>(inner, 42);
        memory.put<uint64_t>(inner + 8, outer);
        memory.write(name, "hello", 6);
    }
    std::optional<int64_t> eval(std::string_view text, RecipeContext context = {}) {
        context.self = outer;
        return RecipeExpr::compile(text, structs, "Outer").eval(reader, context);
    }
};

} // namespace

TEST_CASE("recipe expressions read members, follow pointers and compute", "[decoder][recipes]") {
    Example e;
    CHECK(e.eval("small") == -3); // sign-extended from 4 bytes
    CHECK(e.eval("flags") == 255);
    CHECK(e.eval("inner->n") == 42);
    CHECK(e.eval("inner->back->inner->n * 2 + 1") == 85);
    CHECK(e.eval("pair.a + pair.b") == 12);
    CHECK(e.eval("&items") == int64_t(e.outer + 56));
    CHECK(e.eval("items") == int64_t(e.outer + 56)); // an array stands for its address
    CHECK(e.eval("&inner->back") == int64_t(e.inner + 8));
    CHECK(e.eval("sizeof(Inner) + sizeof(Outer)") == 112);
    CHECK(e.eval("strlen(name)") == 5);
    CHECK(e.eval("small < 0 ? 10 : 20") == 10);
    CHECK(e.eval("!inner || small == -3") == 1);
    CHECK(e.eval("(0x10 | 3) & ~1") == 0x12);
    CHECK(e.eval("1 << 4 >> 2") == 4);
    CHECK(e.eval("-small % 2") == 1);
    CHECK(e.eval("basicsize + 8 * ob_size", {0, 24, 8, 3, 0, {}, {}, {}}) == 48);
    CHECK(e.eval("kind_size - 48", {0, 0, 0, 0, 100, {}, {}, {}}) == 52);
    CHECK(e.eval("self") == int64_t(e.outer));
    CHECK(e.eval("cast(Inner, pair.a + 0x100FB)->n") == 42); // 5 + 0x100fb: the Inner
    CHECK(e.eval("cast(Outer, self)->inner->n") == 42);
    CHECK(e.eval("self->inner->n + self->small") == 39);
    RecipeContext named;
    named.type_name = [&](uint64_t address) -> std::optional<std::string> {
        if (address == e.inner) return "Inner";
        return std::nullopt;
    };
    CHECK(e.eval(R"(has_type(inner, "Inner") ? 1 : 2)", named) == 1);
    CHECK(e.eval(R"(has_type(inner, "Outer"))", named) == 0);
    CHECK_FALSE(e.eval(R"(has_type(self, "Outer"))", named)); // not an object
}

TEST_CASE("recipe expressions are absent where memory is", "[decoder][recipes]") {
    Example e;
    e.memory.put<uint64_t>(e.outer + 24, 0); // inner = NULL
    CHECK_FALSE(e.eval("inner->n"));
    CHECK(e.eval("inner ? inner->n : 0") == 0); // the branch not taken is not read
    CHECK(e.eval("inner && inner->n") == 0);
    e.memory.put<uint64_t>(e.outer + 24, PyHeap::unmapped());
    CHECK_FALSE(e.eval("inner->n + 1"));
    CHECK_FALSE(e.eval("small / 0"));
    e.memory.put<uint64_t>(e.outer + 48, 0x10ff0); // a string running off the mapping
    e.memory.write(0x10ff0, "0123456789abcdef", 16);
    CHECK_FALSE(e.eval("strlen(name)"));
}

TEST_CASE("recipe expressions that do not fit the structs are refused", "[decoder][recipes]") {
    const CStructs structs = example_structs();
    auto compile = [&](std::string_view text) {
        return RecipeExpr::compile(text, structs, "Outer");
    };
    CHECK_THROWS_WITH(compile("missing"), Catch::Contains("struct Outer has no member missing"));
    CHECK_THROWS_WITH(compile("small->n"), Catch::Contains("'->' needs a pointer"));
    CHECK_THROWS_WITH(compile("name->n"), Catch::Contains("'->' needs a pointer"));
    CHECK_THROWS_WITH(compile("pair"), Catch::Contains("is a struct"));
    CHECK_THROWS_WITH(compile("sizeof(Nowhere)"), Catch::Contains("no layout of struct Nowhere"));
    CHECK_THROWS_WITH(compile("small +"), Catch::Contains("expected a name"));
    CHECK_THROWS_WITH(compile("(small"), Catch::Contains("expected ')'"));
    CHECK_THROWS_WITH(compile("small small"), Catch::Contains("unexpected"));
    CHECK_THROWS_WITH(compile("nosuch(1)"), Catch::Contains("unknown function nosuch"));
    CHECK_THROWS_WITH(compile("&3"), Catch::Contains("'&' needs a member"));
    CHECK_THROWS_WITH(compile("cast(Nowhere, self)->n"), Catch::Contains("no layout of struct"));
    CHECK_THROWS_WITH(compile("has_type(inner, Inner)"), Catch::Contains("expected a \"string\""));
    CHECK_THROWS_WITH(compile(R"x(has_type(inner, "Inner))x"), Catch::Contains("unterminated"));
    CHECK_THROWS_AS(compile("inner->"), Error);
}

TEST_CASE("every recipe compiles for every version it claims", "[decoder][recipes]") {
    int layouts = 0;
    for (int minor = 9; minor <= 20; ++minor) {
        for (int micro : {0, 999}) {
            const cpython::Layout* layout = cpython::find_layout(3, minor, micro);
            if (!layout) continue;
            ++layouts;
            const auto& recipes = cpython::CTypeRecipes::for_layout(*layout);
            INFO(fmt::format("3.{}.{}", minor, micro));
            CHECK(recipes.errors() == std::vector<std::string>{});
            CHECK(recipes.find("xml.etree.ElementTree.Element"));
            CHECK(recipes.find("PyCapsule"));
        }
    }
    CHECK(layouts >= 12); // 3.9 to 3.14, two patch levels each (3.14 has two files)
}

TEST_CASE("a recipe with unknown structs or a bad relation is left out and named",
          "[decoder][recipes]") {
    const cpython::Layout& layout = *cpython::find_layout(3, 11);
    cpython::CTypeRecipes recipes;
    recipes.add(R"({"types": [
        {"name": "a.Good", "struct": "ElementObject", "refs": [[".tag", "tag"]]},
        {"name": "a.NoStruct", "struct": "NoSuchStruct"},
        {"name": "a.BadRelation", "struct": "ElementObject", "refs": [["tag", "tag"]]},
        {"name": "a.BadMember", "struct": "ElementObject", "size": "basicsize + nope"},
        {"name": "a.Later", "struct": "NoSuchStruct", "versions": "3.12-"},
        {"name": "a.Let", "struct": "ElementObject", "let": {"x": "extra", "n": "x->length"},
         "size": "x ? n + extra->length + sizeof(ElementObjectExtra) : tag"}
    ]})",
                layout);
    CHECK(recipes.size() == 2);
    CHECK(recipes.find("a.Good"));
    CHECK(recipes.find("a.Let"));
    CHECK_FALSE(recipes.find("a.Later"));
    REQUIRE(recipes.errors().size() == 3);
    CHECK_THAT(recipes.errors()[0], Catch::Contains("a.NoStruct: no layout of struct"));
    CHECK_THAT(recipes.errors()[1], Catch::Contains("a.BadRelation: bad relation 'tag'"));
    CHECK_THAT(recipes.errors()[2], Catch::Contains("ElementObject has no member nope"));
}

TEST_CASE("an Element is decoded and sized by its recipe", "[decoder][recipes]") {
    PyHeap h(11);
    const auto& s = h.L.c_structs.at("ElementObject");
    const auto& x = h.L.c_structs.at("ElementObjectExtra");
    const uint64_t element_type =
        h.static_type("xml.etree.ElementTree.Element", nullptr, h.t.object, s.size, 0,
                      tpflags::kHaveGc | tpflags::kBaseType, 0, s.members.at("weakreflist").offset);
    auto element = [&](uint64_t tag) {
        const uint64_t e = h.object(element_type, s.size);
        h.poke(e + s.members.at("tag").offset, tag);
        return e;
    };
    const uint64_t child = element(h.str("child"));
    const uint64_t root = element(h.str("root"));
    h.poke(root + s.members.at("text").offset, h.str("some text") | 1); // JOIN_OBJ flag
    const uint64_t extra = h.raw(x.size);
    h.poke(root + s.members.at("extra").offset, extra);
    const uint64_t attrib = h.dict({{h.str("id"), h.str("7")}});
    h.poke(extra + x.members.at("attrib").offset, attrib);
    const uint64_t children = h.raw(8 * 10);
    h.poke(extra + x.members.at("children").offset, children);
    h.poke<int64_t>(extra + x.members.at("length").offset, 2);
    h.poke<int64_t>(extra + x.members.at("allocated").offset, 10);
    h.poke(children, child);
    h.poke(children + 8, child);
    h.name(child, "child");
    h.name(attrib, "attrib");

    Decoding d(h);
    REQUIRE(d.type(root).recipe);
    CHECK(d.type(root).kind == cpython::Kind::Unknown);
    CHECK(d.referents(root) ==
          Lines{".tag 'root'", ".text 'some text'", ".attrib attrib", "[0] child", "[1] child"});
    CHECK(d.referents(child) == Lines{".tag 'child'"});
    const uint64_t gc = h.L.gc_head_size;
    CHECK(d.size(child) == s.size + gc);
    CHECK(d.size(root) == s.size + gc + x.size + 80); // children outside the inline array
    h.poke(extra + x.members.at("children").offset, extra + x.members.at("_children").offset);
    CHECK(d.size(root) == s.size + gc + x.size);
}

TEST_CASE("a capsule's pointer is never taken for an object", "[decoder][recipes]") {
    PyHeap h(11);
    const uint64_t capsule_type =
        h.static_type("PyCapsule", "PyCapsule_Type", h.t.object, 48, 0, 0);
    const uint64_t capsule = h.object(capsule_type, 48);
    h.poke(capsule + 16, h.str("looks like an object"));
    Decoding d(h);
    CHECK(d.referents(capsule).empty());
}

TEST_CASE("a recipe file may lay out structs of its own", "[decoder][recipes]") {
    const cpython::Layout& layout = *cpython::find_layout(3, 11);
    cpython::CTypeRecipes recipes;
    recipes.add(R"json({"c_structs": {"Thing": {"size": 32, "members": {"dims": [16, 8, "p"],
                                                                          "nd": [24, 4, "i"]}}},
                        "types": [{"name": "ext.Thing", "struct": "Thing",
                                   "size": "basicsize + 8 * product(dims, nd)"}]})json",
                layout);
    CHECK(recipes.errors() == std::vector<std::string>{});
    REQUIRE(recipes.find("ext.Thing"));
    CHECK_FALSE(layout.c_structs.count("Thing")); // the version's own layouts are untouched

    MemoryImage memory;
    memory.map(0x10000, 0x1000);
    memory.put<uint64_t>(0x10000 + 16, 0x10100);
    memory.put<int32_t>(0x10000 + 24, 3);
    memory.put<int64_t>(0x10100, 4);
    memory.put<int64_t>(0x10108, 5);
    memory.put<int64_t>(0x10110, 6);
    cpython::Reader reader(memory);
    RecipeContext context;
    context.self = 0x10000;
    context.basicsize = 32;
    CHECK(recipes.find("ext.Thing")->size.eval(reader, context) == 32 + 8 * 120);
    memory.put<int64_t>(0x10108, -5); // a negative dimension is no size
    CHECK_FALSE(recipes.find("ext.Thing")->size.eval(reader, context));
}

TEST_CASE("a recipe walks a linked list, and stops at a loop", "[decoder][recipes]") {
    PyHeap h(11);
    const auto& wrapper_struct = h.L.c_structs.at("lru_cache_object");
    const auto& link_struct = h.L.c_structs.at("lru_list_elem");
    auto member = [](const cpython::CStruct& s, const char* name) {
        return s.members.at(name).offset;
    };
    const uint64_t wrapper_type =
        h.static_type("functools._lru_cache_wrapper", nullptr, h.t.object, wrapper_struct.size, 0,
                      tpflags::kHaveGc | tpflags::kReady);
    const uint64_t wrapper = h.object(wrapper_type, wrapper_struct.size);
    const uint64_t root = wrapper + member(wrapper_struct, "root");
    // root -> a -> b -> root: a holds ('k1', 'r1'), b holds ('k2', 'r2').
    const uint64_t a = h.raw(link_struct.size), b = h.raw(link_struct.size);
    h.poke(root + member(link_struct, "next"), a);
    h.poke(a + member(link_struct, "next"), b);
    h.poke(b + member(link_struct, "next"), root);
    h.poke(a + member(link_struct, "key"), h.str("k1"));
    h.poke(a + member(link_struct, "result"), h.str("r1"));
    h.poke(b + member(link_struct, "key"), h.str("k2"));
    h.poke(b + member(link_struct, "result"), h.str("r2"));
    Decoding d(h);
    CHECK(d.referents(wrapper) ==
          Lines{"->root 'k1'", "->root 'r1'", "->root 'k2'", "->root 'r2'"});
    h.poke(b + member(link_struct, "next"), a); // a loop that never comes back to the root
    Lines looped = d.referents(wrapper);
    CHECK(looped.size() < 12);
    h.poke(b + member(link_struct, "next"), uint64_t{0}); // cut short
    CHECK(d.referents(wrapper).size() == 4);
}
