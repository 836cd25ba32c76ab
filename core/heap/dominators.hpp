#pragma once

#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::heap {

// The dominator tree of the part of the graph reachable from the root (nodes [0, end)): the
// immediate dominator of every node, and every node's retained size (its own size plus that of
// everything it dominates, i.e. what would be freed with it). Weak references are not edges of
// the graph, so they keep nothing alive.
struct DominatorTree {
    static constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> idom;           // per node; kNone for the root and unreached nodes
    std::vector<uint64_t> retained;       // per node
    std::vector<uint32_t> retained_count; // per node: objects retained, itself included
};

// Lengauer–Tarjan (the simple version: path compression, no balancing), iterative throughout
// so a list of any length is fine. `interrupted` is polled now and then (heapy::Interrupted).
DominatorTree dominator_tree(const ObjectGraph& graph, uint32_t end,
                             const std::function<bool()>& interrupted = {});

// heapy's dominos of a set X: the objects reachable from X without entering W, where W is what
// the root reaches without entering X (X included, the root excluded).
std::vector<uint32_t> dominated_by(const ObjectGraph& graph, uint32_t end,
                                   const std::vector<uint32_t>& set);

} // namespace heapy::heap
