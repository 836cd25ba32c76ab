#include "core/heap/dominators.hpp"

#include "core/errors.hpp"
#include "core/heap/referrers.hpp"

#include <algorithm>

namespace heapy::heap {

namespace {
constexpr uint32_t kNone = DominatorTree::kNone;
constexpr uint32_t kPollInterval = 1 << 16;
} // namespace

DominatorTree dominator_tree(const ObjectGraph& graph, uint32_t end,
                             const std::function<bool()>& interrupted) {
    auto poll = [&](uint64_t step) {
        if (interrupted && step % kPollInterval == 0 && interrupted()) throw Interrupted();
    };
    const uint32_t n = std::min<uint32_t>(end, uint32_t(graph.nodes.size()));
    DominatorTree tree;
    tree.idom.assign(graph.nodes.size(), kNone);
    tree.retained.assign(graph.nodes.size(), 0);
    if (n == 0) return tree;

    // Depth-first numbering from the root; arrays below are indexed by that number.
    std::vector<uint32_t> number(n, kNone), vertex, parent;
    vertex.reserve(n);
    parent.reserve(n);
    {
        std::vector<std::pair<uint32_t, uint32_t>> stack; // (node, next edge)
        number[0] = 0;
        vertex.push_back(0);
        parent.push_back(kNone);
        stack.emplace_back(0, graph.edge_begin[0]);
        while (!stack.empty()) {
            auto& [node, edge] = stack.back();
            if (edge == graph.edge_begin[node + 1]) {
                stack.pop_back();
                continue;
            }
            uint32_t target = graph.targets[edge++];
            if (target >= n || number[target] != kNone) continue;
            number[target] = uint32_t(vertex.size());
            parent.push_back(number[node]);
            vertex.push_back(target);
            poll(vertex.size());
            stack.emplace_back(target, graph.edge_begin[target]);
        }
    }
    const uint32_t count = uint32_t(vertex.size());
    Referrers referrers(graph);

    std::vector<uint32_t> semi(count), label(count), ancestor(count, kNone), idom(count, kNone);
    std::vector<uint32_t> bucket_head(count, kNone), bucket_next(count, kNone), path;
    for (uint32_t i = 0; i < count; ++i) semi[i] = label[i] = i;

    // eval with iterative path compression.
    auto eval = [&](uint32_t v) {
        if (ancestor[v] == kNone) return v;
        path.clear();
        for (uint32_t x = v; ancestor[ancestor[x]] != kNone; x = ancestor[x]) path.push_back(x);
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            uint32_t x = *it, a = ancestor[x];
            if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
            ancestor[x] = ancestor[a];
        }
        return label[v];
    };

    for (uint32_t w = count - 1; w >= 1; --w) {
        poll(w);
        for (uint32_t pred : referrers.of(vertex[w])) {
            if (pred >= n || number[pred] == kNone) continue;
            uint32_t u = eval(number[pred]);
            if (semi[u] < semi[w]) semi[w] = semi[u];
        }
        bucket_next[w] = bucket_head[semi[w]];
        bucket_head[semi[w]] = w;
        const uint32_t p = parent[w];
        ancestor[w] = p; // link
        for (uint32_t v = bucket_head[p]; v != kNone; v = bucket_next[v]) {
            uint32_t u = eval(v);
            idom[v] = semi[u] < semi[v] ? u : p;
        }
        bucket_head[p] = kNone;
    }
    for (uint32_t w = 1; w < count; ++w)
        if (idom[w] != semi[w]) idom[w] = idom[idom[w]];

    // Retained sizes: children come after their dominators in depth-first order.
    std::vector<uint64_t> retained(count, 0);
    std::vector<uint32_t> objects(count, 0);
    for (uint32_t w = count - 1; w >= 1; --w) {
        retained[w] += graph.size_of(vertex[w]);
        objects[w] += 1;
        retained[idom[w]] += retained[w];
        objects[idom[w]] += objects[w];
    }
    tree.retained_count.assign(graph.nodes.size(), 0);
    for (uint32_t w = 1; w < count; ++w) {
        tree.idom[vertex[w]] = vertex[idom[w]];
        tree.retained[vertex[w]] = retained[w];
        tree.retained_count[vertex[w]] = objects[w];
    }
    tree.retained[0] = retained[0];
    tree.retained_count[0] = objects[0];
    return tree;
}

std::vector<uint32_t> dominated_by(const ObjectGraph& graph, uint32_t end,
                                   const std::vector<uint32_t>& set) {
    const uint32_t n = std::min<uint32_t>(end, uint32_t(graph.nodes.size()));
    std::vector<uint8_t> mark(n, 0); // 1 = in X, 2 = reached from the root avoiding X, 4 = result
    for (uint32_t node : set)
        if (node < n && node != ObjectGraph::kRoot) mark[node] = 1;
    std::vector<uint32_t> queue;
    if (n) {
        mark[0] |= 2;
        queue.push_back(0);
    }
    for (size_t i = 0; i < queue.size(); ++i) {
        uint32_t node = queue[i];
        for (uint32_t e = graph.edge_begin[node]; e < graph.edge_begin[node + 1]; ++e) {
            uint32_t target = graph.targets[e];
            if (target >= n || mark[target] != 0) continue;
            mark[target] = 2;
            queue.push_back(target);
        }
    }
    std::vector<uint32_t> result;
    for (uint32_t node : set)
        if (node < n && mark[node] == 1) {
            mark[node] |= 4;
            result.push_back(node);
        }
    for (size_t i = 0; i < result.size(); ++i) {
        uint32_t node = result[i];
        for (uint32_t e = graph.edge_begin[node]; e < graph.edge_begin[node + 1]; ++e) {
            uint32_t target = graph.targets[e];
            if (target >= n || (mark[target] & 6) != 0 || target == ObjectGraph::kRoot) continue;
            mark[target] |= 4;
            result.push_back(target);
        }
    }
    std::sort(result.begin(), result.end());
    return result;
}

} // namespace heapy::heap
