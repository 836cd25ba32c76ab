#include "core/heap/referrers.hpp"

#include "core/errors.hpp"

namespace heapy::heap {

Referrers::Referrers(const ObjectGraph& graph, const std::function<bool()>& interrupted) {
    // Each pass polls at every kNodesPerPoll-th node: a mask test, nothing else, per node.
    auto poll = [&interrupted](size_t node) {
        if (node % kNodesPerPoll == 0 && interrupted && interrupted()) throw Interrupted();
    };
    const size_t n = graph.edge_begin.empty() ? 0 : graph.edge_begin.size() - 1;
    begin_.assign(n + 1, 0);
    for (uint32_t source = 0; source < n; ++source) {
        poll(source);
        for (uint32_t e = graph.edge_begin[source]; e < graph.edge_begin[source + 1]; ++e)
            ++begin_[graph.targets[e] + 1];
    }
    for (size_t i = 1; i <= n; ++i) begin_[i] += begin_[i - 1];
    sources_.resize(begin_[n]);
    std::vector<uint32_t> fill(begin_.begin(), begin_.end() - 1);
    for (uint32_t source = 0; source < n; ++source) {
        poll(source);
        for (uint32_t e = graph.edge_begin[source]; e < graph.edge_begin[source + 1]; ++e) {
            uint32_t target = graph.targets[e];
            // Sources arrive in increasing order, so a repeat is the last one written.
            if (fill[target] > begin_[target] && sources_[fill[target] - 1] == source) continue;
            sources_[fill[target]++] = source;
        }
    }
    // Repeated edges were skipped above: close the gaps they left.
    std::vector<uint32_t> compact_begin(n + 1, 0);
    size_t out = 0;
    for (size_t node = 0; node < n; ++node) {
        poll(node);
        compact_begin[node] = uint32_t(out);
        for (uint32_t i = begin_[node]; i < fill[node]; ++i) sources_[out++] = sources_[i];
    }
    compact_begin[n] = uint32_t(out);
    sources_.resize(out);
    begin_ = std::move(compact_begin);
}

} // namespace heapy::heap
