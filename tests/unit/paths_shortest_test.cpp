// Shortest paths (HEAPY.md 5.1, 5.2): levels, the kept edges, heapy's order of relations, path
// counts without listing, on hand-made graphs; then on a hand-built interpreter.
#include "core/errors.hpp"
#include "core/heap/referrers.hpp"
#include "core/heap/relation_text.hpp"
#include "core/heap/shortest_paths.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <functional>
#include <map>

using heapy::cpython::Relation;
using heapy::cpython::RelationKind;
using heapy::heap::NamedEdge;
using heapy::heap::ObjectGraph;
using heapy::heap::RelatorKey;
using heapy::heap::ShortestPaths;

namespace {

// A graph given as edges with relations; node 0 is the root, whose edges are named.
struct HandGraph {
    struct Out {
        uint32_t target;
        Relation relation;
    };
    explicit HandGraph(uint32_t nodes) : out(nodes) {}

    void root(uint32_t target, std::string name) {
        Relation r{RelationKind::Root};
        out[0].push_back({target, r});
        root_names.push_back(std::move(name));
    }
    void attr(uint32_t from, uint32_t to, const char* name) {
        out[from].push_back({to, Relation::attribute(name)});
    }
    void inter(uint32_t from, uint32_t to, const char* name) {
        out[from].push_back({to, Relation::inter(name)});
    }
    void index(uint32_t from, uint32_t to, uint32_t i) {
        out[from].push_back({to, Relation::index_of(i)});
    }
    void key(uint32_t from, uint32_t to, uint32_t i) {
        out[from].push_back({to, Relation{RelationKind::DictKey, i, nullptr, 0, false}});
    }

    // The graph the walker would build: one row per node, node 0 the root. `root_row_first`
    // false lays the root's edges out as a walker that opened node 0's row after recording them.
    ObjectGraph build(bool root_row_first = true) const {
        ObjectGraph g;
        for (uint32_t i = 0; i < out.size(); ++i) {
            auto kind = i == 0 ? heapy::heap::NodeKind::Root : heapy::heap::NodeKind::Object;
            g.add_node(i == 0 ? 0 : 0x1000 + 0x10 * uint64_t(i), 0, kind);
            if (i) g.index.insert(0x1000 + 0x10 * uint64_t(i), i);
        }
        for (uint32_t i = 0; i < out.size(); ++i) {
            g.edge_begin.push_back(uint32_t(g.targets.size()));
            for (const Out& o : out[i]) g.targets.push_back(o.target);
        }
        g.edge_begin.push_back(uint32_t(g.targets.size()));
        if (!root_row_first) g.edge_begin[0] = g.edge_begin[1];
        g.root_names = root_names;
        return g;
    }

    std::vector<std::vector<Out>> out;
    std::vector<std::string> root_names;
};

// Relations from the hand graph; texts as heapy's (only the kinds the tests use).
class HandRelations final : public heapy::heap::RelationSource {
  public:
    HandRelations(const HandGraph& hand, const ObjectGraph& graph) : hand_(hand), graph_(graph) {}

    std::vector<NamedEdge> edges(uint32_t node) override {
        ++decoded;
        std::vector<NamedEdge> out;
        for (size_t i = 0; i < hand_.out[node].size(); ++i) {
            const auto& o = hand_.out[node][i];
            NamedEdge edge{o.target, o.relation, {}};
            if (node == 0) edge.root_name = graph_.root_names[i];
            out.push_back(edge);
        }
        return out;
    }
    RelatorKey key(const NamedEdge& e) override {
        const int code = heapy::heap::relation_code(e.relation.kind);
        switch (e.relation.kind) {
        case RelationKind::Root:
            return RelatorKey::of_text(code, 1, std::string(e.root_name));
        case RelationKind::Attribute:
        case RelationKind::InterAttribute:
            return RelatorKey::of_text(code, 1, e.relation.name);
        default:
            return RelatorKey::of_int(code, 2, e.relation.index);
        }
    }
    std::string apply(const NamedEdge& e, std::string_view prefix) override {
        switch (e.relation.kind) {
        case RelationKind::Root:
            return fmt::format("{}.{}", prefix, e.root_name);
        case RelationKind::Attribute:
            return fmt::format("{}.{}", prefix, e.relation.name);
        case RelationKind::InterAttribute:
            return fmt::format("{}->{}", prefix, e.relation.name);
        case RelationKind::Index:
            return fmt::format("{}[{}]", prefix, e.relation.index);
        case RelationKind::DictKey:
            return fmt::format("{}.keys()[{}]", prefix, e.relation.index);
        case RelationKind::Unknown:
            return fmt::format("{}.??", prefix);
        default:
            return fmt::format("{}.<{}>", prefix, int(e.relation.kind));
        }
    }
    int decoded = 0;

  private:
    const HandGraph& hand_;
    const ObjectGraph& graph_;
};

std::vector<std::string> all_paths(ShortestPaths& sp) {
    std::vector<std::string> out;
    for (uint64_t i = 0; i < sp.count(); ++i) out.push_back(sp.text(i));
    return out;
}

} // namespace

TEST_CASE("shortest paths: every edge to the next level, one path per relation, heapy's order",
          "[paths]") {
    // 0 -> 1 (i0_modules), 0 -> 2 (i0_builtins); 1 -> 3 (.a), 1 -> 4 (.b), 2 -> 4 (.c);
    // 3 -> 5 ([0]); 4 -> 5 by two relations ([1] and [0]); 3 -> 6 -> 5 is longer.
    HandGraph hand(7);
    hand.root(1, "i0_modules");
    hand.root(2, "i0_builtins");
    hand.attr(1, 3, "a");
    hand.attr(1, 4, "b");
    hand.attr(2, 4, "c");
    hand.index(3, 5, 0);
    hand.index(3, 6, 1);
    hand.index(4, 5, 1);
    hand.index(4, 5, 0);
    hand.attr(6, 5, "longer");
    const bool root_row_first = GENERATE(true, false);
    ObjectGraph g = hand.build(root_row_first);
    HandRelations relations(hand, g);
    ShortestPaths sp(g, uint32_t(g.nodes.size()), {5}, relations);
    CHECK(sp.length() == 3);
    CHECK(sp.found() == std::vector<uint32_t>{5});
    REQUIRE(sp.count() == 5);
    CHECK(all_paths(sp) == std::vector<std::string>{
                               "hp.Root.i0_builtins.c[0]",
                               "hp.Root.i0_builtins.c[1]",
                               "hp.Root.i0_modules.a[0]",
                               "hp.Root.i0_modules.b[0]",
                               "hp.Root.i0_modules.b[1]",
                           });
    CHECK_THROWS_AS(sp.text(5), std::out_of_range);
    // Only the nodes on the paths were decoded: the root, 1, 2, 3 and 4 (not 6, not 5).
    CHECK(relations.decoded == 5);
}

TEST_CASE("shortest paths: relation kinds first, then names as strings and indices as numbers",
          "[paths]") {
    HandGraph hand(3);
    hand.root(1, "i0_x");
    hand.index(1, 2, 10);
    hand.inter(1, 2, "ob_type");
    hand.key(1, 2, 3);
    hand.index(1, 2, 9);
    hand.attr(1, 2, "zz");
    hand.attr(1, 2, "B");
    ObjectGraph g = hand.build();
    HandRelations relations(hand, g);
    ShortestPaths sp(g, uint32_t(g.nodes.size()), {2}, relations);
    CHECK(all_paths(sp) == std::vector<std::string>{"hp.Root.i0_x.B", "hp.Root.i0_x.zz",
                                                    "hp.Root.i0_x[9]", "hp.Root.i0_x[10]",
                                                    "hp.Root.i0_x.keys()[3]",
                                                    "hp.Root.i0_x->ob_type"});
    CHECK(sp.text(0, "hpy().Root") == "hpy().Root.i0_x.B");
}

TEST_CASE("shortest paths: only the nearest targets, none for unreachable ones", "[paths]") {
    HandGraph hand(6);
    hand.root(1, "i0_a");
    hand.attr(1, 2, "near");
    hand.attr(2, 3, "far");
    hand.attr(4, 5, "unreached"); // 4 and 5 lie past reachable_end
    ObjectGraph g = hand.build();
    HandRelations relations(hand, g);
    ShortestPaths both(g, 4, {3, 2}, relations);
    CHECK(both.found() == std::vector<uint32_t>{2});
    CHECK(all_paths(both) == std::vector<std::string>{"hp.Root.i0_a.near"});

    ShortestPaths none(g, 4, {5}, relations);
    CHECK(none.count() == 0);
    CHECK(none.length() == 0);
    CHECK(none.found().empty());
    ShortestPaths root_only(g, 4, {0}, relations);
    CHECK(root_only.count() == 0);
    ShortestPaths empty(g, 4, {}, relations);
    CHECK(empty.count() == 0);
}

TEST_CASE("shortest paths are counted, not listed: 2**40 paths, any one built alone", "[paths]") {
    // 40 diamonds in a row: 2 ways through each.
    constexpr uint32_t kDiamonds = 40;
    HandGraph hand(2 + 3 * kDiamonds);
    hand.root(1, "i0_start");
    uint32_t at = 1;
    for (uint32_t d = 0; d < kDiamonds; ++d) {
        const uint32_t left = at + 1, right = at + 2, join = at + 3;
        hand.attr(at, left, "l");
        hand.attr(at, right, "r");
        hand.index(left, join, 0);
        hand.index(right, join, 0);
        at = join;
    }
    ObjectGraph g = hand.build();
    HandRelations relations(hand, g);
    ShortestPaths sp(g, uint32_t(g.nodes.size()), {at}, relations);
    REQUIRE(sp.count() == uint64_t{1} << kDiamonds);
    CHECK_FALSE(sp.saturated());
    std::string first = "hp.Root.i0_start", last = first, second = first;
    for (uint32_t d = 0; d < kDiamonds; ++d) {
        first += ".l[0]";
        last += ".r[0]";
        second += d + 1 == kDiamonds ? ".r[0]" : ".l[0]";
    }
    CHECK(sp.text(0) == first);
    CHECK(sp.text(1) == second);
    CHECK(sp.text((uint64_t{1} << kDiamonds) - 1) == last);
    CHECK(sp.steps(0).size() == 1 + 2 * kDiamonds);
}

TEST_CASE("shortest path counts saturate instead of wrapping", "[paths]") {
    constexpr uint32_t kDiamonds = 70;
    HandGraph hand(2 + 3 * kDiamonds);
    hand.root(1, "i0_start");
    uint32_t at = 1;
    for (uint32_t d = 0; d < kDiamonds; ++d) {
        hand.attr(at, at + 1, "l");
        hand.attr(at, at + 2, "r");
        hand.index(at + 1, at + 3, 0);
        hand.index(at + 2, at + 3, 0);
        at += 3;
    }
    ObjectGraph g = hand.build();
    HandRelations relations(hand, g);
    ShortestPaths sp(g, uint32_t(g.nodes.size()), {at}, relations);
    CHECK(sp.saturated());
    CHECK(sp.count() == UINT64_MAX);
    CHECK(sp.text(0).substr(0, 21) == "hp.Root.i0_start.l[0]");
}

TEST_CASE("relator order: code, then type, then value", "[paths]") {
    auto text = [](int code, const char* s) { return RelatorKey::of_text(code, 1, s); };
    auto num = [](int code, int64_t v) { return RelatorKey::of_int(code, 2, v); };
    CHECK(text(1, "z") < text(2, "a"));
    CHECK(text(1, "B") < text(1, "a"));
    CHECK_FALSE(text(1, "a") < text(1, "a"));
    CHECK(num(2, 9) < num(2, 10));
    CHECK(num(2, -10) < num(2, -9));
    CHECK(num(2, -1) < num(2, 0));
    CHECK_FALSE(num(2, 10) < num(2, 9));
    CHECK(text(2, "z") < num(2, 0)); // different types: by the type's address (1 < 2)
}

// ---- on a hand-built interpreter -----------------------------------------------------------
// (needs the decoder tests' support library: tests/unit/support/)
// A chain of `length` nodes from the root (a linked list): millions of nodes are the case Ctrl-C
// must reach inside the loops.
HandGraph long_chain(uint32_t length) {
    HandGraph hand(length + 1);
    hand.root(1, "head");
    for (uint32_t i = 1; i < length; ++i) hand.attr(i, i + 1, "next");
    return hand;
}

TEST_CASE("shortest paths and the referrers index poll for Ctrl-C inside their loops", "[paths]") {
    constexpr uint32_t kLength = 300000; // several polls (every 65536 nodes) in each loop
    const HandGraph hand = long_chain(kLength);
    const ObjectGraph g = hand.build();
    HandRelations relations(hand, g);
    SECTION("shortest paths") {
        int polls = 0;
        const std::function<bool()> counting = [&] {
            ++polls;
            return false;
        };
        ShortestPaths sp(g, kLength + 1, {kLength}, relations, counting);
        CHECK(sp.count() == 1);
        CHECK(polls >= 4); // the search and the way back: polled as they go, not between steps
        for (int stop_at : {1, polls / 2, polls}) {
            INFO("interrupted at poll " << stop_at);
            int n = 0;
            const std::function<bool()> at = [&] { return ++n >= stop_at; };
            CHECK_THROWS_AS(ShortestPaths(g, kLength + 1, {kLength}, relations, at),
                            heapy::Interrupted);
            CHECK(n == stop_at);
        }
    }
    SECTION("referrers") {
        int polls = 0;
        const std::function<bool()> counting = [&] {
            ++polls;
            return false;
        };
        const heapy::heap::Referrers referrers(g, counting);
        CHECK(referrers.of(kLength).size() == 1);
        CHECK(polls >= int(3 * (kLength / heapy::heap::Referrers::kNodesPerPoll))); // in every pass
        for (int stop_at : {1, polls / 2, polls}) {
            INFO("interrupted at poll " << stop_at);
            int n = 0;
            const std::function<bool()> at = [&] { return ++n >= stop_at; };
            CHECK_THROWS_AS(heapy::heap::Referrers(g, at), heapy::Interrupted);
            CHECK(n == stop_at);
        }
    }
}

#if __has_include("tests/unit/support/decoding.hpp")
#include "tests/unit/support/decoding.hpp"

using namespace heapy::test;

namespace {
std::vector<std::string> paths_to(Walk& w, uint64_t address) {
    heapy::heap::DecodedRelations relations(w.decoder, w.graph);
    const uint32_t node = w.graph.index.find(address);
    REQUIRE(node != heapy::heap::AddressIndex::kMissing);
    ShortestPaths sp(w.graph, uint32_t(w.graph.nodes.size()), {node}, relations);
    return all_paths(sp);
}
} // namespace

TEST_CASE("paths through modules, lists, instance attributes and dict keys", "[paths]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t b = h.new_str("0");
    const uint64_t first = h.instance(foo, {{"a", h.integer(0)}, {"b", b}});
    const uint64_t foos = p.global("foos", h.list({first, h.instance(foo, {{"a", h.integer(1)}})}));
    const uint64_t target = h.instance(foo);
    p.global("target", target);
    p.global("alias", target);
    p.global("holder", h.dict({{h.str("k"), target}}));
    Walk w(h);
    CHECK(paths_to(w, foos) ==
          std::vector<std::string>{"hp.Root.i0_modules['__main__'].__dict__['foos']"});
    CHECK(paths_to(w, first) ==
          std::vector<std::string>{"hp.Root.i0_modules['__main__'].__dict__['foos'][0]"});
    CHECK(paths_to(w, b) ==
          std::vector<std::string>{
              "hp.Root.i0_modules['__main__'].__dict__['foos'][0].__dict__['b']"});
    CHECK(paths_to(w, target) ==
          std::vector<std::string>{"hp.Root.i0_modules['__main__'].__dict__['alias']",
                                   "hp.Root.i0_modules['__main__'].__dict__['target']"});
    CHECK(paths_to(w, h.str("foos")) ==
          std::vector<std::string>{"hp.Root.i0_modules['__main__'].__dict__.keys()[2]"});
}

TEST_CASE("paths to a frame local and a cell of another thread", "[paths]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t x = h.instance(foo);
    const uint64_t c = h.instance(foo);
    const uint64_t cell = h.cell(c);
    const uint64_t code = h.code({.name = "worker", .locals = {"x", "c"}});
    const uint64_t f = p.global("worker", h.function({.code = code, .globals = p.globals}));
    const uint64_t thread = h.thread(p.interp, 140001);
    h.push_frame(thread, {.code = code,
                          .function = f,
                          .globals = p.globals,
                          .builtins = p.builtins,
                          .fast = {x, cell}});
    Walk w(h);
    CHECK(paths_to(w, x) == std::vector<std::string>{"hp.Root.i0_t140001_f0.f_locals['x']"});
    CHECK(paths_to(w, c) ==
          std::vector<std::string>{"hp.Root.i0_t140001_f0.f_locals['c'].cell_contents"});
}

#endif // tests/unit/support
