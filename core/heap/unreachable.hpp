#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <vector>

namespace heapy::heap {

// The objects on the GC lists that the roots do not reach, with what they alone reach, split as
// a collection would see them.
struct UnreachableSplit {
    std::vector<uint32_t> all;
    // Cyclic garbage: every reference to these is accounted for by other unreachable objects, so
    // the next collection would free them.
    std::vector<uint32_t> garbage;
    // Held from outside the Python heap: a reference count that no Python referrer explains
    // (a leaked reference, a C static, a C local), and what those objects reach.
    std::vector<uint32_t> held;
};

// Splits nodes [first, graph.nodes.size()) — the unreachable part of the graph — by comparing
// each object's reference count with the references the other unreachable objects hold, as
// CPython's cycle detection does (subtract internal references, keep what still has some).
UnreachableSplit split_unreachable(cpython::ObjectDecoder& decoder, const ObjectGraph& graph,
                                   uint32_t first);

} // namespace heapy::heap
