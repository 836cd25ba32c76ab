// Reference patterns (HEAPY.md 5.3, RefPat.py): letters, fill, markers, lazy generation; on a
// hand-made referrer graph, then on a hand-built interpreter with heapy's renders.
#include "core/classify/render.hpp"
#include "core/heap/reference_pattern.hpp"
#include "core/heap/referrers.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

using heapy::heap::NodeList;
using heapy::heap::ReferencePattern;

namespace {

// Referrers and kinds given by hand; parts ordered by kind name; summaries "<n> <kind>: <nodes>".
class HandSource final : public heapy::heap::RefPatSource {
  public:
    std::map<uint32_t, NodeList> referrers_of;
    std::map<uint32_t, std::string> kind;
    int partitions = 0;

    NodeList referrers(const NodeList& set) override {
        NodeList out;
        for (uint32_t n : set)
            for (uint32_t r : referrers_of[n]) out.push_back(r);
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
    std::vector<NodeList> partition(const NodeList& set) override {
        ++partitions;
        std::map<std::string, NodeList> parts;
        for (uint32_t n : set) parts[kind[n]].push_back(n);
        std::vector<NodeList> out;
        for (auto& [k, nodes] : parts) out.push_back(nodes);
        return out;
    }
    bool stops(const NodeList& set) override {
        return std::all_of(set.begin(), set.end(),
                           [this](uint32_t n) { return kind[n] == "module"; });
    }
    std::string summary(const NodeList& set, long max_length) override {
        std::string s =
            fmt::format("{} {}: {}", set.size(), kind[set.front()], fmt::join(set, ", "));
        return long(s.size()) > max_length ? s.substr(0, size_t(max_length - 3)) + "..." : s;
    }
};

std::vector<std::string> lines(ReferencePattern& rp) {
    std::vector<std::string> out;
    for (size_t i = 0; rp.has_line(i); ++i) out.push_back(rp.text(i));
    return out;
}

} // namespace

TEST_CASE("reference pattern letters: one per level, runs of three or more counted", "[refpat]") {
    CHECK(ReferencePattern::letters({}) == "_");
    CHECK(ReferencePattern::letters({0}) == "a");
    CHECK(ReferencePattern::letters({0, 0}) == "aa");
    CHECK(ReferencePattern::letters({1, 0, 0}) == "baa");
    CHECK(ReferencePattern::letters({1, 0, 0, 0}) == "ba3");
    CHECK(ReferencePattern::letters({1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}) == "b3c12");
    CHECK(ReferencePattern::letters({25, 26}) == "z{");
}

TEST_CASE("reference pattern of a chain: fill, depth limit, stop kinds", "[refpat]") {
    // 1 <- 2 <- 3 <- ... <- 11 (each held by the next), 1 also held by module dict 20.
    HandSource s;
    for (uint32_t n = 1; n <= 10; ++n) {
        s.referrers_of[n] = {n + 1};
        s.kind[n] = n % 2 ? "Node" : "dict of Node";
    }
    s.kind[11] = "Node";
    s.referrers_of[1].push_back(20);
    s.kind[20] = "module";
    s.referrers_of[20] = {21};
    s.kind[21] = "root";
    ReferencePattern rp(s, {1});
    CHECK(lines(rp) == std::vector<std::string>{
                           " 0: _ --- [-] 1 Node: 1",
                           " 1: a      [-] 1 dict of Node: 2",
                           " 2: aa ---- [-] 1 Node: 3",
                           " 3: a3       [-] 1 dict of Node: 4",
                           " 4: a4 ------ [-] 1 Node: 5",
                           " 5: a5         [-] 1 dict of Node: 6",
                           " 6: a6 -------- [-] 1 Node: 7",
                           " 7: a7           [+] 1 dict of Node: 8",
                           " 8: b ---- [S] 1 module: 20",
                       });
    CHECK(rp.fully_generated());
    CHECK(rp.marker(7) == "[+]");
    // A smaller depth, and a stop kind at the top is expanded anyway.
    ReferencePattern shallow(s, {20}, 2);
    CHECK(lines(shallow) ==
          std::vector<std::string>{" 0: _ --- [-] 1 module: 20", " 1: a      [R] 1 root: 21"});
}

TEST_CASE("reference pattern: sets shown before are referred to, not expanded", "[refpat]") {
    // HEAPY.md 5.3: a shared list (1) held by the module dict (2), by three lists (3, 4, 5), a
    // dict (6) and a tuple (7); those five all held by one list (8), itself in the module dict.
    HandSource s;
    s.kind = {{1, "list"},  {2, "dict of module"}, {3, "list"},
              {4, "list"},  {5, "list"},           {6, "dict (no owner)"},
              {7, "tuple"}, {8, "list"},           {9, "root"}};
    s.referrers_of = {{1, {2, 3, 4, 5, 6, 7}},
                      {3, {8}},
                      {4, {8}},
                      {5, {8}},
                      {6, {8}},
                      {7, {8}},
                      {8, {2}},
                      {2, {9}}};
    // Partition rows by kind name put "dict (no owner)" before "dict of module"; heapy orders
    // rows by size, so give the module dict a name that sorts first here.
    s.kind[2] = "a dict of module";
    ReferencePattern rp(s, {1});
    CHECK(lines(rp) == std::vector<std::string>{
                           " 0: _ --- [-] 1 list: 1",
                           " 1: a      [-] 1 a dict of module: 2",
                           " 2: aa ---- [R] 1 root: 9",
                           " 3: b      [-] 1 dict (no owner): 6",
                           " 4: ba ---- [-] 1 list: 8",
                           " 5: baa      [^ 1] 1 a dict of module: 2",
                           " 6: c ---- [-] 3 list: 3, 4, 5",
                           " 7: ca      [^ 4] 1 list: 8",
                           " 8: d ---- [-] 1 tuple: 7",
                           " 9: da      [^ 4] 1 list: 8",
                       });
}

TEST_CASE("reference patterns are generated only as far as asked", "[refpat]") {
    HandSource s;
    for (uint32_t n = 1; n <= 100; ++n) {
        if (n < 100) s.referrers_of[n] = {n + 1};
        s.kind.emplace(n, std::string(1, 'K'));
    }
    ReferencePattern rp(s, {1}, 50);
    REQUIRE(rp.has_line(10));
    CHECK(rp.generated() == 11);
    CHECK_FALSE(rp.fully_generated());
    CHECK(s.partitions == 11);
    CHECK_FALSE(rp.has_line(51));
    CHECK(rp.fully_generated());
    CHECK(rp.generated() == 51);
    // Lines past the edge of the screen: the fill stops at column 100 - heapy's fill pattern.
    CHECK(rp.text(50).substr(0, 8) == "50: a50 ");
    CHECK(rp.marker(50) == "[+]");
}

// ---- on a hand-built interpreter -----------------------------------------------------------
// (needs the decoder tests' support library: tests/unit/support/)
#if __has_include("tests/unit/support/decoding.hpp")
#include "tests/unit/support/decoding.hpp"

using namespace heapy::test;

namespace {

class Source final : public heapy::heap::RefPatSource {
  public:
    explicit Source(Walk& w)
        : w_(w), context_{w.graph, w.namer, w.types.get(w.heap.t.dict)->index,
                          uint32_t(w.graph.nodes.size()), &w.decoder},
          renderer_(context_), referrers_(w.graph) {}
    NodeList referrers(const NodeList& set) override {
        NodeList out;
        for (uint32_t n : set) {
            for (uint32_t r : referrers_.of(n)) out.push_back(r);
            for (uint32_t e = 0; e < w_.graph.edge_begin[1]; ++e)
                if (w_.graph.targets[e] == n) out.push_back(0);
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
    std::vector<NodeList> partition(const NodeList& set) override {
        auto members =
            heapy::classify::partition(context_, set, *heapy::classify::find_classifier("clodo"))
                .all_members();
        for (auto& m : members) std::sort(m.begin(), m.end());
        return members;
    }
    bool stops(const NodeList& set) override {
        return std::all_of(set.begin(), set.end(), [this](uint32_t n) {
            return heapy::classify::refpat_stop_kind(context_, n);
        });
    }
    std::string summary(const NodeList& set, long max_length) override {
        return renderer_.refpat_summary(set, max_length);
    }

  private:
    Walk& w_;
    heapy::classify::ClassifyContext context_;
    heapy::classify::Renderer renderer_;
    heapy::heap::Referrers referrers_;
};

} // namespace

TEST_CASE("reference pattern of an instance, with heapy's renders", "[refpat]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t first = h.instance(foo, {{"a", h.integer(0)}});
    const uint64_t foos = p.global("foos", h.list({first, h.instance(foo)}));
    h.dict_set(p.builtins, h.str("list"), h.t.list);
    Walk w(h);
    Source s(w);
    ReferencePattern rp(s, {w.graph.index.find(first)});
    CHECK(lines(rp) == std::vector<std::string>{
                           fmt::format(" 0: _ --- [-] 1 __main__.Foo: 0x{:x}", first),
                           fmt::format(" 1: a      [-] 1 list: 0x{:x}*2", foos),
                           " 2: aa ---- [S] 1 dict of module: __main__",
                       });
    ReferencePattern modules(s, {w.graph.index.find(p.modules)});
    CHECK(lines(modules) == std::vector<std::string>{
                                fmt::format(" 0: _ --- [-] 1 dict (no owner): 0x{:x}*1", p.modules),
                                " 1: a      [R] 1 guppy.heapy.heapyc.RootStateType: 0x0",
                            });
}

#endif // tests/unit/support
