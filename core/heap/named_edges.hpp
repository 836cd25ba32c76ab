#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace heapy::heap {

// One edge of a node with the relation it goes through.
struct NamedEdge {
    uint32_t target = 0;
    cpython::Relation relation;
    std::string_view root_name; // for edges of the root: heapy's RootState attribute name
};

// The edges of `node` with their relations, in the order the decoders produce them. The graph
// stores edges without relations; this decodes the node again. Edges to objects that are not
// in the graph are left out; duplicates are kept (an object can be referred to twice).
std::vector<NamedEdge> named_edges(cpython::ObjectDecoder& decoder, const ObjectGraph& graph,
                                   uint32_t node);
// The same into `out` (cleared first), for loops over many nodes.
void named_edges(cpython::ObjectDecoder& decoder, const ObjectGraph& graph, uint32_t node,
                 std::vector<NamedEdge>& out);

// The referents of `node` as the decoders produce them, each with its multiplicity (a tuple
// holding x twice gives x twice), for reference counting. Only edges that hold a reference.
std::vector<uint32_t> counted_referents(cpython::ObjectDecoder& decoder, const ObjectGraph& graph,
                                        uint32_t node);

} // namespace heapy::heap
