#include "core/heap/unreachable.hpp"

#include "core/cpython/refcount.hpp"
#include "core/heap/named_edges.hpp"

namespace heapy::heap {

UnreachableSplit split_unreachable(cpython::ObjectDecoder& decoder, const ObjectGraph& graph,
                                   uint32_t first) {
    const uint32_t end = uint32_t(graph.nodes.size());
    const uint32_t count = end > first ? end - first : 0;
    UnreachableSplit out;
    if (count == 0) return out;

    // gc_refs = refcount minus the references held by other unreachable objects.
    std::vector<int64_t> external(count, 0);
    for (uint32_t node = first; node < end; ++node) {
        const Node& n = graph.nodes[node];
        if (n.kind() == NodeKind::Object) {
            external[node - first] =
                cpython::read_refcount(decoder.reader(), decoder.layout(), n.address()).value_or(0);
        }
    }
    for (uint32_t node = first; node < end; ++node)
        for (uint32_t target : counted_referents(decoder, graph, node))
            if (target >= first && graph.nodes[target].kind() == NodeKind::Object)
                --external[target - first];

    // Whatever an externally held object reaches is held too.
    std::vector<bool> held(count, false);
    std::vector<uint32_t> stack;
    for (uint32_t i = 0; i < count; ++i)
        if (external[i] > 0) {
            held[i] = true;
            stack.push_back(first + i);
        }
    while (!stack.empty()) {
        uint32_t node = stack.back();
        stack.pop_back();
        for (uint32_t e = graph.edge_begin[node]; e < graph.edge_begin[node + 1]; ++e) {
            uint32_t target = graph.targets[e];
            if (target < first || held[target - first]) continue;
            held[target - first] = true;
            stack.push_back(target);
        }
    }
    for (uint32_t i = 0; i < count; ++i) {
        out.all.push_back(first + i);
        (held[i] ? out.held : out.garbage).push_back(first + i);
    }
    return out;
}

} // namespace heapy::heap
