#include "core/commands/refpat_source.hpp"

#include "core/commands/node_sets.hpp"

#include <algorithm>

namespace heapy::commands {

namespace {
constexpr std::string_view kStep = "finding the referrers of the pattern's sets";
} // namespace

ClassifiedSource::ClassifiedSource(classify::ClassifyContext context,
                                   const heap::Referrers& referrers)
    : context_(context), renderer_(context_), referrers_(referrers),
      clodo_(*classify::find_classifier("clodo")) {
    // The root's referents, read from the graph's rows directly: the root row is everything
    // before node 1's (see shortest_paths.cpp), whatever edge_begin[0] says.
    const heap::ObjectGraph& graph = context_.graph;
    held_by_root_.assign(graph.nodes.size(), 0);
    if (graph.edge_begin.size() > 1)
        for (uint32_t e = 0; e < graph.edge_begin[1]; ++e) held_by_root_[graph.targets[e]] = 1;
}

heap::NodeList ClassifiedSource::referrers(const heap::NodeList& set) {
    // heapy's X.referrers: the reachable referrers (the root included) of reachable objects.
    // Unreachable objects have none in heapy; we show who holds them among the unreachable.
    heap::NodeList out;
    for (size_t i = 0; i < set.size(); ++i) {
        if (i % kNodesPerPoll == 0) context_.checkpoint(kStep, i, set.size());
        const uint32_t node = set[i];
        const bool reachable = node < context_.reachable_end;
        for (uint32_t referrer : referrers_.of(node))
            if (!reachable || referrer < context_.reachable_end) out.push_back(referrer);
        if (node < held_by_root_.size() && held_by_root_[node])
            out.push_back(heap::ObjectGraph::kRoot);
    }
    return sorted_unique(std::move(out));
}

heap::NodeList ClassifiedSource::sorted_unique(heap::NodeList nodes) const {
    context_.checkpoint(kStep, 0, 0);
    FrontEnd polls;
    polls.interrupted = context_.interrupted ? context_.interrupted : [] { return false; };
    return commands::sorted_unique(std::move(nodes), context_.graph.nodes.size(), polls);
}

std::vector<heap::NodeList> ClassifiedSource::partition(const heap::NodeList& set) {
    context_.checkpoint("classifying the pattern's sets", 0, 0);
    auto members = classify::partition(context_, set, clodo_).all_members();
    for (auto& row : members)
        if (!std::is_sorted(row.begin(), row.end())) std::sort(row.begin(), row.end());
    return members;
}

bool ClassifiedSource::stops(const heap::NodeList& set) {
    return std::all_of(set.begin(), set.end(), [this](uint32_t node) {
        return classify::refpat_stop_kind(context_, node);
    });
}

std::string ClassifiedSource::summary(const heap::NodeList& set, long max_length) {
    context_.checkpoint("summing up the pattern's sets", 0, 0);
    return renderer_.refpat_summary(set, max_length);
}

} // namespace heapy::commands
