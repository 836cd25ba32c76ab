#include "core/heap/dominator_summary.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <queue>
#include <unordered_map>

namespace heapy::heap {

namespace {

constexpr uint32_t kPollInterval = 1 << 16;

// The dominator tree's children of every node, in compressed rows.
struct DominatedChildren {
    std::vector<uint32_t> begin; // children of n: nodes[begin[n] .. begin[n + 1])
    std::vector<uint32_t> nodes;

    DominatedChildren(const DominatorTree& tree, uint32_t end) : begin(size_t(end) + 1, 0) {
        for (uint32_t node = 1; node < end; ++node)
            if (tree.idom[node] < end) ++begin[tree.idom[node] + 1];
        for (uint32_t i = 0; i < end; ++i) begin[i + 1] += begin[i];
        nodes.resize(begin[end]);
        std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
        for (uint32_t node = 1; node < end; ++node)
            if (tree.idom[node] < end) nodes[next[tree.idom[node]]++] = node;
    }
    bool has_children(uint32_t node) const { return begin[node + 1] > begin[node]; }
};

struct Group {
    uint64_t kind = 0;
    uint64_t size = 0;
    uint64_t retained = 0;
    uint64_t retained_count = 0;
    std::vector<uint32_t> members;
};

// Moves the members of `g` that retain at least `bytes` into groups of their own.
void split_big_members(Group& g, const DominatorTree& tree, const ObjectGraph& graph,
                       uint64_t bytes, std::vector<Group>& out) {
    auto small_end = std::partition(g.members.begin(), g.members.end(),
                                    [&](uint32_t node) { return tree.retained[node] < bytes; });
    if (small_end == g.members.begin()) small_end = std::next(small_end); // one stays
    for (auto it = small_end; it != g.members.end(); ++it) {
        Group own;
        own.kind = g.kind;
        own.size = graph.size_of(*it);
        own.retained = tree.retained[*it];
        own.retained_count = tree.retained_count[*it];
        own.members = {*it};
        g.size -= own.size;
        g.retained -= own.retained;
        g.retained_count -= own.retained_count;
        out.push_back(std::move(own));
    }
    g.members.erase(small_end, g.members.end());
}

} // namespace

std::vector<SummaryBox> summarize_dominator_tree(const ObjectGraph& graph, uint32_t end,
                                                 const DominatorTree& tree,
                                                 const std::function<uint64_t(uint32_t)>& kind_of,
                                                 const SummaryOptions& options,
                                                 const std::function<bool()>& interrupted) {
    end = std::min<uint32_t>(end, uint32_t(graph.nodes.size()));
    std::vector<SummaryBox> boxes;
    if (end == 0) return boxes;
    const uint64_t own_box_bytes = std::max<uint64_t>(
        1, uint64_t(double(tree.retained[ObjectGraph::kRoot]) * options.own_box_share));
    const DominatedChildren children(tree, end);
    uint64_t steps = 0;
    auto poll = [&] {
        if (interrupted && ++steps % kPollInterval == 0 && interrupted()) throw Interrupted();
    };

    SummaryBox root;
    root.count = end - 1;
    root.retained = tree.retained[ObjectGraph::kRoot];
    root.retained_count = end - 1;
    root.samples = {ObjectGraph::kRoot};
    boxes.push_back(root);
    // The members of boxes not expanded yet, and those boxes, largest retained first.
    std::unordered_map<uint32_t, std::vector<uint32_t>> members{{0, {ObjectGraph::kRoot}}};
    auto smaller = [&](uint32_t a, uint32_t b) {
        return boxes[a].retained != boxes[b].retained ? boxes[a].retained < boxes[b].retained
                                                      : a > b;
    };
    std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(smaller)> waiting(smaller);
    waiting.push(0);

    while (!waiting.empty() && boxes.size() < options.max_boxes) {
        const uint32_t box = waiting.top();
        waiting.pop();
        const std::vector<uint32_t> parents = std::move(members[box]);
        members.erase(box);

        std::unordered_map<uint64_t, Group> by_kind;
        for (uint32_t parent : parents)
            for (uint32_t i = children.begin[parent]; i < children.begin[parent + 1]; ++i) {
                poll();
                const uint32_t child = children.nodes[i];
                const uint64_t kind = kind_of(child);
                Group& g = by_kind[kind];
                g.kind = kind;
                g.size += graph.size_of(child);
                g.retained += tree.retained[child];
                g.retained_count += tree.retained_count[child];
                g.members.push_back(child);
            }
        std::vector<Group> groups;
        groups.reserve(by_kind.size());
        for (auto& [kind, g] : by_kind) {
            if (g.members.size() > 1) split_big_members(g, tree, graph, own_box_bytes, groups);
            groups.push_back(std::move(g));
        }
        for (Group& g : groups) std::sort(g.members.begin(), g.members.end());
        std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
            if (a.retained != b.retained) return a.retained > b.retained;
            return a.kind != b.kind ? a.kind < b.kind : a.members.front() < b.members.front();
        });

        SummaryBox other;
        other.parent = box;
        other.folded = true;
        for (size_t i = 0; i < groups.size(); ++i) {
            Group& g = groups[i];
            if (i >= options.max_children) {
                other.count += g.members.size();
                other.size += g.size;
                other.retained += g.retained;
                other.retained_count += g.retained_count;
                continue;
            }
            SummaryBox child;
            child.parent = box;
            child.kind = g.kind;
            child.count = g.members.size();
            child.size = g.size;
            child.retained = g.retained;
            child.retained_count = g.retained_count;
            child.samples.assign(g.members.begin(),
                                 g.members.begin() + std::ptrdiff_t(std::min(
                                                         g.members.size(), SummaryBox::kSamples)));
            const uint32_t index = uint32_t(boxes.size());
            boxes.push_back(std::move(child));
            if (std::any_of(g.members.begin(), g.members.end(),
                            [&](uint32_t n) { return children.has_children(n); })) {
                members.emplace(index, std::move(g.members));
                waiting.push(index);
            }
        }
        if (other.count) boxes.push_back(std::move(other));
    }
    return boxes;
}

} // namespace heapy::heap
