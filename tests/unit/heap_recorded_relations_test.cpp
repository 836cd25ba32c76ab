// The relations a walk records for `by via`: packed without loss of what their texts use, and
// named_edges() from the records the same as from decoding every node again.
#include "core/heap/named_edges.hpp"
#include "core/heap/recorded_relations.hpp"
#include "core/heap/relation_text.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using heapy::cpython::Relation;
using heapy::cpython::RelationKind;
using heapy::heap::RecordedRelations;

namespace {

bool same(const Relation& a, const Relation& b) {
    return a.kind == b.kind && a.index == b.index && a.name == b.name && a.object == b.object &&
           a.owned_dict == b.owned_dict;
}

// The edges of every node as "target text" lines, from `w`'s graph.
std::vector<Lines> named_edges_of(Walk& w) {
    std::vector<Lines> out;
    for (uint32_t node = 0; node < w.graph.nodes.size(); ++node) {
        Lines edges;
        for (const auto& edge : heapy::heap::named_edges(w.decoder, w.graph, node))
            edges.push_back(std::to_string(edge.target) + " " +
                            heapy::heap::via_text(w.decoder, edge));
        out.push_back(std::move(edges));
    }
    return out;
}

} // namespace

TEST_CASE("relations pack into 64 bits with what their texts use", "[heap][via]") {
    static const char kName[] = "f_back";
    const std::vector<Relation> plain = {
        Relation::attribute(kName),
        Relation::attribute("__dict__", true),
        Relation::inter("ob_type"),
        Relation::index_of(0),
        Relation::index_of(UINT32_MAX),
        {RelationKind::AttributeCName, 0, nullptr, 0x7fff12345678, false},
        {RelationKind::DictKey, 7, nullptr, 0, false},
        {RelationKind::Stack, 3, nullptr, 0, false},
        {RelationKind::SetMember, 9, nullptr, 0, false},
        {RelationKind::Unknown, 0, nullptr, 0, false},
    };
    for (const Relation& r : plain) {
        const uint64_t packed = RecordedRelations::pack(r);
        CHECK(packed != RecordedRelations::kUnpacked);
        CHECK(same(RecordedRelations::unpack(packed), r));
    }
    SECTION("a dict value keeps its key, not its entry's position") {
        const Relation value{RelationKind::DictValue, 12, nullptr, 0x7f0000001000, false};
        const Relation unpacked = RecordedRelations::unpack(RecordedRelations::pack(value));
        CHECK(unpacked.kind == RelationKind::DictValue);
        CHECK(unpacked.object == value.object);
        CHECK(unpacked.index == 0);
    }
    SECTION("what does not fit is decoded again") {
        const std::vector<Relation> unpacked = {
            {RelationKind::LocalVar, 2, nullptr, 0x7f0000001000, false},
            {RelationKind::Root, 0, nullptr, 0, false},
            {RelationKind::Index, 1, nullptr, 0x1000, false},
            {RelationKind::DictValue, 0, nullptr, uint64_t{1} << 60, false},
            {RelationKind::Unknown, 1, nullptr, 0, false},
        };
        for (const Relation& r : unpacked)
            CHECK(RecordedRelations::pack(r) == RecordedRelations::kUnpacked);
    }
}

TEST_CASE("records past the nodes a walk finished are dropped", "[heap][via]") {
    RecordedRelations r;
    r.end.push_back(0); // the root
    for (uint64_t i = 0; i < 5; ++i) r.relations.push_back(i);
    for (uint32_t i = 0; i < 4; ++i) r.targets.push_back(i);
    r.end.push_back(2);
    r.end.push_back(5); // decoded ahead; its targets not all resolved
    CHECK(r.edges_of(1) == std::pair<uint32_t, uint32_t>{0, 2});
    CHECK(!r.edges_of(2));
    CHECK(!r.edges_of(0));
    r.keep_nodes(2);
    CHECK(r.end.size() == 2);
    CHECK(r.relations.size() == 2);
    CHECK(r.targets.size() == 2);
    CHECK(!r.edges_of(2));
}

TEST_CASE("named edges from the walk's records are those decoded again", "[heap][via]") {
    // Lists, tuples, dicts, sets, instances with managed dicts and slots, a function with a
    // closure, and a thread's frames (their locals are decoded again: a name and a slot).
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t slotted = p.global(
        "Slotted", h.heap_type({.name = "Slotted", .slots = std::vector<std::string>{"a", "b"}}));
    const uint64_t shared = h.new_str("shared");
    const uint64_t one = h.instance(foo, {{"n", h.integer(5)}, {"s", shared}});
    const uint64_t pair = h.instance(slotted);
    p.global("items", h.list({one, pair, shared, shared, h.tuple({shared, one})}));
    p.global("table", h.dict({{h.new_str("k1"), one}, {h.str("k2"), shared}}));
    p.global("members", h.set({h.integer(700), shared}));
    const uint64_t code = h.code({.name = "f", .locals = {"x", "y"}});
    const uint64_t f = p.global(
        "f", h.function({.code = code, .globals = p.globals, .closure = h.tuple({h.cell(one)})}));
    h.push_frame(h.thread(p.interp, 140001), {.code = code,
                                              .function = f,
                                              .globals = p.globals,
                                              .builtins = p.builtins,
                                              .fast = {one, shared}});
    Walk decoded(h);
    Walk recorded(h, true);
    REQUIRE(recorded.graph.recorded);
    REQUIRE(!decoded.graph.recorded);
    REQUIRE(recorded.graph.nodes.size() == decoded.graph.nodes.size());
    CHECK(recorded.graph.recorded->end.size() == recorded.graph.nodes.size());
    CHECK(named_edges_of(recorded) == named_edges_of(decoded));
    size_t from_records = 0;
    for (uint32_t node = 1; node < recorded.graph.nodes.size(); ++node)
        from_records += recorded.graph.recorded->edges_of(node).has_value();
    CHECK(from_records == recorded.graph.nodes.size() - 1);
}
