#include "core/commands/node_sets.hpp"

#include "core/errors.hpp"

#include <algorithm>

namespace heapy::commands {

void poll_interrupt(const FrontEnd& frontend) {
    if (frontend.interrupted()) throw Interrupted();
}

std::vector<uint32_t> sorted_unique(std::vector<uint32_t> nodes, size_t node_count,
                                    const FrontEnd& frontend) {
    poll_interrupt(frontend);
    if (nodes.size() < node_count / 16) {
        std::sort(nodes.begin(), nodes.end());
        nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
        return nodes;
    }
    std::vector<uint8_t> marked(node_count, 0);
    for (uint32_t node : nodes) marked[node] = 1;
    nodes.clear();
    for (size_t node = 0; node < node_count; ++node) {
        if (node % (kNodesPerPoll * 16) == 0) poll_interrupt(frontend);
        if (marked[node]) nodes.push_back(uint32_t(node));
    }
    return nodes;
}

} // namespace heapy::commands
