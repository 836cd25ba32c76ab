#include "core/heap/named_edges.hpp"

#include <string>

namespace heapy::heap {

namespace {

using cpython::Referent;
using cpython::Relation;
using cpython::RelationKind;

// Whether a relation names a field of the referrer (`.name`, `->name`): the ones a decoder can
// report twice for one field.
bool names_a_field(const Relation& r) {
    switch (r.kind) {
    case RelationKind::Attribute:
    case RelationKind::AttributeCName:
        return true;
    case RelationKind::InterAttribute:
        return r.name && std::string_view(r.name) != "??"; // `??`: conservative scans, one per slot
    default:
        return false;
    }
}

// Re-decodes a node, resolving referents to nodes already in the graph. One field is one
// reference even when the decoders report it twice: a built-in kind's fields are decoded by name,
// and then again from its type's C member table (functools.partial's `args`, a namespace's
// `__dict__`); counting both would make a reference count look explained when it is not
// (heapu's garbage/held split) and print every path through the field twice.
class Collector final : public cpython::EdgeSink {
  public:
    Collector(cpython::ObjectDecoder& decoder, const ObjectGraph& graph, uint32_t node,
              bool references_only, std::vector<NamedEdge>& edges)
        : edges(edges), decoder_(decoder), graph_(graph), references_only_(references_only) {
        if (node + 1 < graph.edge_begin.size()) {
            begin_ = next_ = graph.targets.begin() + graph.edge_begin[node];
            end_ = graph.targets.begin() + graph.edge_begin[node + 1];
        }
    }

    void edge(uint64_t address, const Relation& relation, Referent referent, uint64_t) override {
        if (address == 0) return;
        // Names shared through a type's cached keys are held by the keys object, not the type.
        if (references_only_ && relation.kind == RelationKind::InterAttribute && relation.name &&
            std::string_view(relation.name) == "ht_cached_keys")
            return;
        (void)referent;
        const uint32_t target = find(address);
        if (target != AddressIndex::kMissing) add(target, relation);
    }

    // An edge to `target`, unless it is a field already reported.
    void add(uint32_t target, const Relation& relation) {
        if (names_a_field(relation)) {
            // Few per object: compared only with the earlier fields naming the same target.
            for (size_t i : fields_)
                if (edges[i].target == target && same_field(edges[i].relation, relation)) return;
            fields_.push_back(edges.size());
        }
        edges.push_back({target, relation, {}});
    }

    std::vector<NamedEdge>& edges;

  private:
    // The node at `address`: most often the next of the edges the walk stored for this node (in
    // the decoders' order; a referent repeated at once is stored once), else found by address.
    uint32_t find(uint64_t address) {
        if (next_ != end_ && graph_.nodes[*next_].address() == address) return *next_++;
        if (next_ != begin_ && graph_.nodes[next_[-1]].address() == address) return next_[-1];
        return graph_.index.find(address);
    }

    std::string field_name(const Relation& r) {
        if (r.kind == RelationKind::AttributeCName)
            return decoder_.reader().c_string(r.object, 256).value_or("");
        return r.name ? r.name : "";
    }

    bool same_field(const Relation& a, const Relation& b) {
        const bool a_inter = a.kind == RelationKind::InterAttribute;
        if (a_inter != (b.kind == RelationKind::InterAttribute)) return false;
        std::string name = field_name(a);
        return !name.empty() && name == field_name(b);
    }

    cpython::ObjectDecoder& decoder_;
    const ObjectGraph& graph_;
    bool references_only_;
    const uint32_t* begin_ = nullptr; // the node's stored edges
    const uint32_t* next_ = nullptr;
    const uint32_t* end_ = nullptr;
    std::vector<size_t> fields_; // positions in `edges` of relations that name a field
};

void decode(cpython::ObjectDecoder& decoder, const ObjectGraph& graph, uint32_t node,
            Collector& sink) {
    const Node& n = graph.nodes[node];
    switch (n.kind()) {
    case NodeKind::Object:
        decoder.referents(n.address(), decoder.types().at(graph.type_of(node)), sink);
        break;
    case NodeKind::ManagedValues: {
        uint32_t owner = graph.dict_owner(node);
        if (owner != ObjectGraph::kNoOwner)
            decoder.managed_values_referents(n.address(), decoder.types().at(graph.type_of(owner)),
                                             sink);
        break;
    }
    case NodeKind::InterpreterFrame:
        decoder.interpreter_frame_referents(n.address(), sink);
        break;
    case NodeKind::Root:
        break;
    }
}

// The edges of `node` from the relations the walk recorded; false when they do not say them all
// (the node must be decoded again).
bool from_records(const RecordedRelations& recorded, uint32_t node, Collector& sink) {
    const auto edges = recorded.edges_of(node);
    if (!edges) return false;
    for (uint32_t i = edges->first; i < edges->second; ++i) {
        if (!recorded.whole(i)) return false;
        const uint32_t target = recorded.targets[i];
        if (target != AddressIndex::kMissing)
            sink.add(target, RecordedRelations::unpack(recorded.relations[i]));
    }
    return true;
}

} // namespace

void named_edges(cpython::ObjectDecoder& decoder, const ObjectGraph& graph, uint32_t node,
                 std::vector<NamedEdge>& out) {
    out.clear();
    if (node == ObjectGraph::kRoot) {
        uint32_t begin = graph.edge_begin[0], end = graph.edge_begin[1];
        for (uint32_t e = begin; e < end; ++e) {
            Relation relation{RelationKind::Root};
            relation.index = e - begin;
            std::string_view name = e - begin < graph.root_names.size()
                                        ? std::string_view(graph.root_names[e - begin])
                                        : "??";
            out.push_back({graph.targets[e], relation, name});
        }
        return;
    }
    if (graph.recorded) {
        Collector recorded(decoder, graph, node, false, out);
        if (from_records(*graph.recorded, node, recorded)) return;
        out.clear();
    }
    Collector sink(decoder, graph, node, false, out);
    decode(decoder, graph, node, sink);
}

std::vector<NamedEdge> named_edges(cpython::ObjectDecoder& decoder, const ObjectGraph& graph,
                                   uint32_t node) {
    std::vector<NamedEdge> out;
    named_edges(decoder, graph, node, out);
    return out;
}

std::vector<uint32_t> counted_referents(cpython::ObjectDecoder& decoder, const ObjectGraph& graph,
                                        uint32_t node) {
    std::vector<NamedEdge> edges;
    Collector sink(decoder, graph, node, true, edges);
    if (node != ObjectGraph::kRoot) decode(decoder, graph, node, sink);
    std::vector<uint32_t> out;
    out.reserve(edges.size());
    for (const NamedEdge& edge : edges) out.push_back(edge.target);
    return out;
}

} // namespace heapy::heap
