#include "core/commands/report_tree.hpp"

#include "core/heap/dominator_summary.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"

#include <fmt/format.h>

#include <unordered_map>

namespace heapy::commands {

namespace {

// How a box's objects hang from their dominators: the relation of a direct edge from the
// dominator ('.cache', "['orders']", a root name), "" when the dominator holds it indirectly.
class RelationNamer {
  public:
    explicit RelationNamer(Analysis& a) : a_(a) {}

    std::string box_relation(const heap::SummaryBox& box) {
        std::string out;
        std::string first;
        bool differ = false;
        for (size_t i = 0; i < box.samples.size(); ++i) {
            std::string text = relation(box.samples[i]);
            if (i == 0) {
                first = text;
                out = text;
            } else if (text != first) {
                differ = true;
            }
            if (i > 0 && !text.empty()) out += ", " + text;
        }
        if (first.empty()) return "";
        if (!differ) return first;
        return box.count > box.samples.size() ? out + ", \u2026" : out;
    }

  private:
    std::string relation(uint32_t node) {
        const uint32_t dominator = a_.dominators().idom[node];
        if (dominator == heap::DominatorTree::kNone) return "";
        auto [it, added] = edges_of_.try_emplace(dominator);
        if (added)
            for (const heap::NamedEdge& edge :
                 heap::named_edges(a_.decoder(), a_.graph(), dominator))
                it->second.try_emplace(edge.target, edge);
        auto found = it->second.find(node);
        if (found == it->second.end()) return "";
        const heap::NamedEdge& edge = found->second;
        return edge.root_name.empty() ? heap::via_text(a_.decoder(), edge)
                                      : std::string(edge.root_name);
    }

    Analysis& a_;
    // Each dominator's direct edges by their targets, decoded once per dominator.
    std::unordered_map<uint32_t, std::unordered_map<uint32_t, heap::NamedEdge>> edges_of_;
};

} // namespace

nlohmann::json retained_tree_json(Analysis& a, const classify::ClassifyContext& context,
                                  size_t max_boxes) {
    heap::SummaryOptions options;
    options.max_boxes = max_boxes;
    const auto boxes = heap::summarize_dominator_tree(
        a.graph(), a.reachable_end(), a.dominators(),
        [&](uint32_t node) { return classify::clodo_key(context, node); }, options,
        context.interrupted);

    nlohmann::json kinds = nlohmann::json::array();
    std::unordered_map<uint64_t, size_t> kind_index;
    nlohmann::json rows = nlohmann::json::array();
    RelationNamer relations(a);
    for (size_t i = 0; i < boxes.size(); ++i) {
        const heap::SummaryBox& box = boxes[i];
        context.checkpoint("naming the report's boxes", i, boxes.size());
        int64_t kind = -1;
        std::string relation;
        if (i == 0) {
            kinds.push_back("root");
            kind = 0;
        } else if (!box.folded) {
            auto [it, added] = kind_index.try_emplace(box.kind, kinds.size());
            if (added) kinds.push_back(classify::clodo_name(context, box.samples.front()));
            kind = int64_t(it->second);
            relation = relations.box_relation(box);
        }
        nlohmann::json row = {box.parent == heap::SummaryBox::kNoParent ? -1 : int64_t(box.parent),
                              kind,
                              relation,
                              box.count,
                              box.size,
                              box.retained,
                              box.retained_count};
        if (i > 0 && !box.folded && box.count == 1)
            row.push_back(fmt::format("0x{:x}", a.graph().nodes[box.samples.front()].address()));
        rows.push_back(std::move(row));
    }
    return {{"kinds", std::move(kinds)}, {"boxes", std::move(rows)}};
}

} // namespace heapy::commands
