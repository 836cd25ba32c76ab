// Placeholder renders (addresses only) until heapy's per-kind renders land.
#include "core/classify/render.hpp"

#include <fmt/format.h>

namespace heapy::classify {

Renderer::Renderer(const ClassifyContext& context) : context_(context) {}

std::string Renderer::render(uint32_t node, bool) {
    return fmt::format("0x{:x}", context_.graph.nodes[node].address());
}

report::IdTable Renderer::id_table(const std::vector<uint32_t>& nodes, std::vector<uint32_t>* order) {
    if (order) *order = nodes;
    report::IdTable table;
    table.kindname = "<mixed>";
    table.header = "Brief";
    for (uint32_t node : nodes) {
        uint64_t size = context_.graph.size_of(node);
        table.rows.push_back({size, clodo_name(context_, node) + ": " + render(node, true)});
        ++table.count;
        table.size += size;
    }
    return table;
}

std::string Renderer::brief(const std::vector<uint32_t>& nodes) {
    return fmt::format("<{} objects>", nodes.size());
}

} // namespace heapy::classify
