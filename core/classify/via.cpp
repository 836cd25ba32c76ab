#include "core/classify/via.hpp"

#include "core/classify/id_hash_set.hpp"
#include "core/classify/text_order.hpp"
#include "core/classify/via_edges.hpp"
#include "core/classify/via_relations.hpp"
#include "core/errors.hpp"

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace heapy::classify {

namespace {

constexpr size_t kNodesPerCheckpoint = size_t{1} << 16;

uint64_t hash_words(std::span<const uint32_t> words) {
    uint64_t h = words.size();
    for (uint32_t w : words) h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h;
}

} // namespace

// Millions of distinct texts are normal (every list index, every dict key): each is made once,
// sorted once, and the kinds come out already ranked in name order.
Kinds via_kinds(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                bool whole_heap) {
    const heap::ObjectGraph& graph = context.graph;
    std::vector<uint32_t> position;
    std::vector<uint32_t> to_decode;
    if (whole_heap) {
        for (uint32_t node = 0; node < context.reachable_end; ++node)
            if (graph.edge_begin[node] != graph.edge_begin[node + 1]) to_decode.push_back(node);
    } else {
        if (!context.referrers) throw Error("internal error: by via without referrers");
        position.assign(graph.nodes.size(), UINT32_MAX);
        for (uint32_t i = 0; i < nodes.size(); ++i) position[nodes[i]] = i;
        std::vector<bool> decoded(graph.nodes.size(), false);
        for (uint32_t node : nodes)
            for_each_referrer(context, node, [&](uint32_t referrer) {
                if (!decoded[referrer]) {
                    decoded[referrer] = true;
                    to_decode.push_back(referrer);
                }
            });
        std::sort(to_decode.begin(), to_decode.end());
    }

    // Each distinct relation gets a number; its text is made once, after.
    RelationIds relations;
    std::vector<std::pair<uint32_t, uint32_t>> found; // (position in nodes, relation number)
    size_t edges = 0;
    for (uint32_t referrer : to_decode)
        edges += graph.edge_begin[referrer + 1] - graph.edge_begin[referrer];
    found.reserve(edges);
    {
        ViaEdges relations_found(context, to_decode, whole_heap ? nullptr : &position);
        std::vector<FoundRelation> chunk;
        while (relations_found.next(chunk)) {
            constexpr size_t kAhead = 8;
            for (size_t i = 0; i < chunk.size(); ++i) {
                if (i + kAhead < chunk.size()) relations.prefetch(chunk[i + kAhead]);
                found.emplace_back(chunk[i].at, relations.id(chunk[i]));
            }
        }
    }
    position = {};
    to_decode = {};
    const TextArena texts = relation_texts(context, relations.keys());
    relations = {};

    // Equal texts (from different relations) are one class; classes are numbered in text order.
    std::vector<uint32_t> order = order_by_text(texts.size(), [&](uint32_t i) { return texts[i]; });
    std::vector<uint32_t> class_of(texts.size());
    std::vector<uint32_t> class_text; // a text number of each class
    for (uint32_t i = 0; i < order.size(); ++i) {
        if (i == 0 || texts[order[i]] != texts[class_text.back()]) class_text.push_back(order[i]);
        class_of[order[i]] = uint32_t(class_text.size() - 1);
    }
    order = {};

    // Group by node with a counting sort (E entries, few per node).
    std::vector<uint32_t> begin(nodes.size() + 1, 0);
    for (const auto& f : found) ++begin[f.first + 1];
    for (size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
    std::vector<uint32_t> grouped(found.size());
    {
        std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
        for (const auto& f : found) grouped[fill[f.first]++] = class_of[f.second];
    }
    found = {};
    class_of = {};

    // Most objects have one class; the others a distinct set of them, its classes end to end in
    // `set_classes` (the empty set for objects nothing refers to).
    constexpr uint32_t kSet = uint32_t{1} << 31;
    std::vector<uint32_t> keys(nodes.size()); // a class, or kSet | a set
    std::vector<uint32_t> set_classes;
    std::vector<uint32_t> set_begin{0};
    auto set_of = [&](uint32_t set) {
        return std::span<const uint32_t>(set_classes.data() + set_begin[set],
                                         set_begin[set + 1] - set_begin[set]);
    };
    IdHashSet set_ids;
    uint32_t nothing = UINT32_MAX;
    for (size_t node = 0; node < nodes.size(); ++node) {
        if (node % kNodesPerCheckpoint == 0)
            context.checkpoint("grouping objects by how they are referred to", node, nodes.size());
        if (begin[node] == begin[node + 1]) {
            if (nothing == UINT32_MAX) {
                nothing = uint32_t(set_begin.size() - 1);
                set_begin.push_back(uint32_t(set_classes.size()));
            }
            keys[node] = kSet | nothing;
            continue;
        }
        if (begin[node] + 1 == begin[node + 1]) { // most objects: one referrer, one relation
            keys[node] = grouped[begin[node]];
            continue;
        }
        const size_t first = set_classes.size();
        set_classes.insert(set_classes.end(), grouped.begin() + begin[node],
                           grouped.begin() + begin[node + 1]);
        std::sort(set_classes.begin() + first, set_classes.end());
        set_classes.erase(std::unique(set_classes.begin() + first, set_classes.end()),
                          set_classes.end());
        std::span<const uint32_t> classes(set_classes.data() + first, set_classes.size() - first);
        if (classes.size() == 1) {
            keys[node] = classes.front();
            set_classes.resize(first);
            continue;
        }
        auto [id, added] = set_ids.insert(
            hash_words(classes),
            [&](uint32_t known) { return std::ranges::equal(classes, set_of(known)); },
            uint32_t(set_begin.size() - 1));
        if (added)
            set_begin.push_back(uint32_t(set_classes.size()));
        else
            set_classes.resize(first);
        keys[node] = kSet | id;
    }
    set_ids = {};
    context.checkpoint("grouping objects by how they are referred to", nodes.size(), nodes.size());

    // A set is named by its class texts in order, joined by ", ". The texts are reprs of strings,
    // so none is the start of another: names compare as their class numbers do, a set before the
    // sets it is the start of (and the empty set first).
    const size_t set_count = set_begin.size() - 1;
    const std::vector<uint32_t> set_order = order_by_parts(
        set_count, 2,
        [&](uint32_t set, size_t offset) {
            const std::span<const uint32_t> classes = set_of(set);
            auto part = [&](size_t i) -> uint64_t {
                return i < classes.size() ? classes[i] + 1 : 0;
            };
            return part(offset) << 32 | part(offset + 1);
        },
        [&](uint32_t set) { return size_t(set_begin[set + 1] - set_begin[set]); });
    // Sets merge into the classes' order: a set goes before a class when its first class does.
    std::vector<uint32_t> class_rank(class_text.size()), set_rank(set_count);
    Kinds kinds;
    kinds.ordered = true;
    kinds.names.reserve(class_text.size() + set_count);
    size_t c = 0, e = 0;
    while (c < class_text.size() || e < set_count) {
        if (c == class_text.size() ||
            (e < set_count && (set_of(set_order[e]).empty() || set_of(set_order[e])[0] < c))) {
            std::string& name = kinds.names.emplace_back();
            for (uint32_t member : set_of(set_order[e])) {
                if (!name.empty()) name += ", ";
                name += texts[class_text[member]];
            }
            set_rank[set_order[e++]] = uint32_t(kinds.names.size() - 1);
        } else {
            kinds.names.emplace_back(texts[class_text[c]]);
            class_rank[c++] = uint32_t(kinds.names.size() - 1);
        }
    }
    for (uint32_t& key : keys) key = key & kSet ? set_rank[key & ~kSet] : class_rank[key];
    kinds.keys = std::move(keys);
    return kinds;
}

} // namespace heapy::classify
