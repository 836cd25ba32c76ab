// The dominator tree summarized for heapy report's chart: children grouped by kind, big objects in
// boxes of their own, the budget of boxes, small kinds folded; on hand-made graphs.
#include "core/heap/dominator_summary.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using heapy::heap::DominatorTree;
using heapy::heap::ObjectGraph;
using heapy::heap::SummaryBox;
using heapy::heap::SummaryOptions;

namespace {

// Node 0 the root; `out[n]` the referents of n; `sizes[n]` its size; `kinds[n]` its kind.
struct Hand {
    std::vector<std::vector<uint32_t>> out;
    std::vector<uint64_t> sizes;
    std::vector<uint64_t> kinds;

    uint32_t add(uint32_t parent, uint64_t size, uint64_t kind) {
        out.emplace_back();
        sizes.push_back(size);
        kinds.push_back(kind);
        const uint32_t node = uint32_t(out.size() - 1);
        out[parent].push_back(node);
        return node;
    }
    Hand() : out(1), sizes{0}, kinds{0} {}

    ObjectGraph graph() const {
        ObjectGraph g;
        for (uint32_t i = 0; i < out.size(); ++i) {
            g.add_node(i == 0 ? 0 : 0x1000 + 0x10 * uint64_t(i), 0,
                       i == 0 ? heapy::heap::NodeKind::Root : heapy::heap::NodeKind::Object);
            g.set_size(i, sizes[i]);
        }
        for (const auto& referents : out) {
            g.edge_begin.push_back(uint32_t(g.targets.size()));
            for (uint32_t t : referents) g.targets.push_back(t);
        }
        g.edge_begin.push_back(uint32_t(g.targets.size()));
        return g;
    }

    std::vector<SummaryBox> summary(const SummaryOptions& options = {}) const {
        const ObjectGraph g = graph();
        const DominatorTree tree = heapy::heap::dominator_tree(g, uint32_t(out.size()));
        return heapy::heap::summarize_dominator_tree(
            g, uint32_t(out.size()), tree, [&](uint32_t n) { return kinds[n]; }, options);
    }
};

uint64_t children_retained(const std::vector<SummaryBox>& boxes, uint32_t parent) {
    uint64_t sum = 0;
    for (const auto& b : boxes)
        if (b.parent == parent) sum += b.retained;
    return sum;
}

} // namespace

TEST_CASE("summary: a list of many small objects is one box per kind under it") {
    Hand h;
    const uint32_t list = h.add(0, 100, 1);
    for (int i = 0; i < 1000; ++i) h.add(list, 10, 2);
    for (int i = 0; i < 10; ++i) h.add(list, 7, 3);
    const auto boxes = h.summary();
    REQUIRE(boxes.size() == 4);
    CHECK(boxes[0].retained == 100 + 10000 + 70);
    CHECK(boxes[0].count == 1011);
    CHECK(boxes[1].parent == 0);
    CHECK(boxes[1].kind == 1);
    CHECK(boxes[1].retained == boxes[0].retained);
    CHECK(boxes[2].parent == 1);
    CHECK(boxes[2].kind == 2);
    CHECK(boxes[2].count == 1000);
    CHECK(boxes[2].retained == 10000);
    CHECK(boxes[2].samples == std::vector<uint32_t>{2, 3, 4});
    CHECK(boxes[3].kind == 3);
    CHECK(boxes[3].count == 10);
    CHECK(children_retained(boxes, 1) + boxes[1].size == boxes[1].retained);
}

TEST_CASE("summary: an object that retains much of the heap has a box of its own") {
    Hand h;
    for (int i = 0; i < 20; ++i) h.add(0, 10, 5);
    const uint32_t big = h.add(0, 10, 5);
    for (int i = 0; i < 100; ++i) h.add(big, 100, 6);
    const auto boxes = h.summary();
    REQUIRE(boxes.size() >= 3);
    CHECK(boxes[1].count == 1);
    CHECK(boxes[1].samples == std::vector<uint32_t>{big});
    CHECK(boxes[1].retained == 10 + 100 * 100);
    CHECK(boxes[2].kind == 5);
    CHECK(boxes[2].count == 20);
    CHECK(boxes[2].retained == 200);
}

TEST_CASE("summary: kinds beyond max_children are folded, the budget stops expansion") {
    Hand h;
    const uint32_t dict = h.add(0, 50, 1);
    for (uint64_t kind = 10; kind < 30; ++kind) {
        const uint32_t holder = h.add(dict, 1000 - kind, kind);
        h.add(holder, 5, 99);
    }
    SummaryOptions options;
    options.max_children = 5;
    auto boxes = h.summary(options);
    size_t under_dict = 0, folded = 0;
    for (const auto& b : boxes) {
        if (b.parent == 1) ++under_dict;
        if (b.folded) {
            ++folded;
            CHECK(b.count == 15);
            CHECK(b.retained_count == 30);
        }
    }
    CHECK(under_dict == 6);
    CHECK(folded == 1);
    CHECK(children_retained(boxes, 1) + boxes[1].size == boxes[1].retained);

    options.max_boxes = 3;
    boxes = h.summary(options);
    CHECK(boxes.size() <= 3 + options.max_children + 1);
    for (const auto& b : boxes) CHECK((b.parent == SummaryBox::kNoParent || b.parent <= 1));
}

TEST_CASE("summary: an object that several objects refer to hangs from their dominator") {
    Hand h;
    const uint32_t a = h.add(0, 10, 1);
    const uint32_t b = h.add(0, 10, 2);
    const uint32_t shared = h.add(a, 40, 3);
    h.out[b].push_back(shared);
    const auto boxes = h.summary();
    REQUIRE(boxes.size() == 4);
    CHECK(boxes[1].kind == 3); // dominated by the root, not by a or b
    CHECK(boxes[1].parent == 0);
    CHECK(boxes[0].retained == 60);
}
