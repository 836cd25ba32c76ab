#pragma once

// The dominator tree summarized for a picture: the children of each box grouped by kind (a
// million small objects under one list are one box), the largest boxes expanded first until a
// budget of boxes is spent, and the smaller children of a box folded into one "other" box.

#include "core/heap/dominators.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::heap {

// Objects that the box's parent objects dominate directly and that are of one kind; or, when
// `folded`, the parent's smaller kinds put together.
struct SummaryBox {
    static constexpr uint32_t kNoParent = UINT32_MAX;
    uint32_t parent = kNoParent; // index of the parent box; kNoParent for the root's box
    uint64_t kind = 0;           // the caller's kind key of its objects (unset when folded)
    bool folded = false;
    uint64_t count = 0;            // objects in the box
    uint64_t size = 0;             // their own sizes
    uint64_t retained = 0;         // their retained sizes (disjoint subtrees: summed)
    uint64_t retained_count = 0;   // objects they retain, themselves included
    std::vector<uint32_t> samples; // up to kSamples of its objects, in node order
    static constexpr size_t kSamples = 3;
};

struct SummaryOptions {
    size_t max_boxes = 5000;  // stop expanding once this many boxes are made
    size_t max_children = 40; // kinds kept under one box; the rest folded
    // An object that retains at least this share of the heap gets a box of its own, apart from
    // the other objects of its kind (the one big module dict among small ones).
    double own_box_share = 1.0 / 64;
};

// Box 0 is the root's (count: the reachable objects, retained: everything). Boxes come in
// breadth of expansion order; a box's children come after it, largest retained first.
// `kind_of(node)` names a node's kind by a number; `interrupted` is polled (heapy::Interrupted).
std::vector<SummaryBox> summarize_dominator_tree(const ObjectGraph& graph, uint32_t end,
                                                 const DominatorTree& tree,
                                                 const std::function<uint64_t(uint32_t)>& kind_of,
                                                 const SummaryOptions& options,
                                                 const std::function<bool()>& interrupted = {});

} // namespace heapy::heap
