#include "core/heap/shortest_paths.hpp"

#include "core/cpython/object_repr.hpp"
#include "core/errors.hpp"
#include "core/heap/relation_text.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace heapy::heap {

using cpython::RelationKind;

namespace {

constexpr uint32_t kUnseen = UINT32_MAX;
// On-path nodes whose edges are kept from the count for listing paths; past this many (a path
// through a linked list of millions), listing decodes them again instead of holding them all.
constexpr size_t kMaxKeptNodes = size_t{1} << 18;

uint64_t saturating_add(uint64_t a, uint64_t b, bool& saturated) {
    uint64_t out = 0;
    if (__builtin_add_overflow(a, b, &out)) {
        saturated = true;
        return UINT64_MAX;
    }
    return out;
}

// The edges of `node` in the graph: [first, last) of graph.targets. The root's edges are taken
// as everything before node 1's, which also holds for graphs whose edge_begin[0] was not left
// at 0 by the walker (root edges recorded before the first node's row was opened).
std::pair<uint32_t, uint32_t> edge_range(const ObjectGraph& graph, uint32_t node) {
    if (node == ObjectGraph::kRoot) return {0, graph.edge_begin[1]};
    return {graph.edge_begin[node], graph.edge_begin[node + 1]};
}

// heapy's relation codes, with its "no relation" first (code -1).
int heapy_code(RelationKind kind) {
    return kind == RelationKind::Unknown ? -1 : relation_code(kind);
}

} // namespace

RelatorKey RelatorKey::of_text(int code, uint64_t type, std::string text) {
    RelatorKey key;
    key.code = code;
    key.type = type;
    key.cls = Text;
    key.text = std::move(text);
    return key;
}

RelatorKey RelatorKey::of_int(int code, uint64_t type, int64_t value) {
    RelatorKey key;
    key.code = code;
    key.type = type;
    key.cls = Int;
    key.negative = value < 0;
    key.text = std::to_string(value < 0 ? -uint64_t(value) : uint64_t(value));
    return key;
}

bool operator<(const RelatorKey& a, const RelatorKey& b) {
    if (a.code != b.code) return a.code < b.code;
    if (a.type != b.type) return a.type < b.type;
    if (a.cls != b.cls) return a.cls < b.cls;
    switch (a.cls) {
    case RelatorKey::Text:
        return a.text < b.text;
    case RelatorKey::Int: {
        if (a.negative != b.negative) return a.negative;
        // Magnitudes: decimal digits without leading zeros.
        int c = a.text.size() != b.text.size() ? (a.text.size() < b.text.size() ? -1 : 1)
                                               : a.text.compare(b.text);
        return a.negative ? c > 0 : c < 0;
    }
    case RelatorKey::Float:
        if (std::isnan(a.number) || std::isnan(b.number))
            return !std::isnan(a.number) && std::isnan(b.number);
        return a.number < b.number;
    case RelatorKey::Identity:
        return a.address < b.address;
    }
    return false;
}

DecodedRelations::DecodedRelations(cpython::ObjectDecoder& decoder, const ObjectGraph& graph)
    : decoder_(decoder), graph_(graph), str_type_(decoder.types().address_of(cpython::Kind::Str)),
      int_type_(decoder.types().address_of(cpython::Kind::Int)) {}

std::vector<NamedEdge> DecodedRelations::edges(uint32_t node) {
    if (node != ObjectGraph::kRoot) return named_edges(decoder_, graph_, node);
    // The root's relations are its attribute names, one per edge (see edge_range).
    std::vector<NamedEdge> out;
    auto [first, last] = edge_range(graph_, node);
    for (uint32_t e = first; e < last; ++e) {
        cpython::Relation relation{RelationKind::Root};
        relation.index = e - first;
        std::string_view name = e - first < graph_.root_names.size()
                                    ? std::string_view(graph_.root_names[e - first])
                                    : "??";
        out.push_back({graph_.targets[e], relation, name});
    }
    return out;
}

std::string DecodedRelations::apply(const NamedEdge& edge, std::string_view prefix) {
    return apply_relation(decoder_, edge, prefix, true);
}

RelatorKey DecodedRelations::key(const NamedEdge& edge) {
    const cpython::Relation& r = edge.relation;
    const int code = heapy_code(r.kind);
    switch (r.kind) {
    case RelationKind::Attribute:
    case RelationKind::InterAttribute:
        return RelatorKey::of_text(code, str_type_, r.name ? r.name : "");
    case RelationKind::AttributeCName:
        return RelatorKey::of_text(code, str_type_,
                                   decoder_.reader().c_string(r.object, 256).value_or(""));
    case RelationKind::AttributeKey:
    case RelationKind::LocalVar:
        return RelatorKey::of_text(code, str_type_, decoder_.read_str(r.object, 4096).value_or(""));
    case RelationKind::Root:
        return RelatorKey::of_text(code, str_type_, std::string(edge.root_name));
    case RelationKind::Index:
    case RelationKind::DictKey:
    case RelationKind::Stack:
    case RelationKind::SetMember:
        return RelatorKey::of_int(code, int_type_, int64_t(r.index));
    case RelationKind::DictValue: {
        // The key object itself is the relator.
        const cpython::Layout& l = decoder_.layout();
        RelatorKey key;
        key.code = code;
        key.type = decoder_.reader().pointer(r.object + l.object_type);
        key.address = r.object;
        const cpython::TypeInfo* type = decoder_.types().get(key.type);
        if (!type) return key;
        switch (type->kind) {
        case cpython::Kind::Str:
            if (auto text = decoder_.read_str(r.object, 1u << 16)) {
                key.cls = RelatorKey::Text;
                key.text = std::move(*text);
            }
            break;
        case cpython::Kind::Bytes: {
            int64_t size = decoder_.ob_size(r.object);
            if (size >= 0 && size <= (int64_t{1} << 16)) {
                std::string bytes(size_t(size), '\0');
                if (decoder_.reader().read_bytes(r.object + l.bytes_sval, bytes.data(),
                                                 bytes.size())) {
                    key.cls = RelatorKey::Text;
                    key.text = std::move(bytes);
                }
            }
            break;
        }
        case cpython::Kind::Int:
        case cpython::Kind::Bool:
            if (auto text = cpython::int_decimal(decoder_, r.object)) {
                key.cls = RelatorKey::Int;
                key.negative = !text->empty() && (*text)[0] == '-';
                key.text = key.negative ? text->substr(1) : *text;
            }
            break;
        case cpython::Kind::Float:
            if (decoder_.reader().read(r.object + l.float_value, key.number))
                key.cls = RelatorKey::Float;
            break;
        default:
            break; // no order heapy could use: by address
        }
        return key;
    }
    case RelationKind::Unknown:
        break;
    }
    RelatorKey key;
    key.code = code;
    return key;
}

ShortestPaths::ShortestPaths(const ObjectGraph& graph, uint32_t reachable_end,
                             const std::vector<uint32_t>& targets, RelationSource& relations,
                             const std::function<bool()>& interrupted)
    : graph_(graph), relations_(relations) {
    // Called for every node the search meets: a mask test, and a poll at every kNodesPerPoll-th.
    size_t met = 0;
    auto poll = [&] {
        if (++met % kNodesPerPoll == 0 && interrupted && interrupted()) throw Interrupted();
    };
    const uint32_t n = std::min<uint32_t>(reachable_end, uint32_t(graph.nodes.size()));
    if (n == 0 || graph.edge_begin.size() < size_t(n) + 1) return;
    std::vector<uint8_t> is_target(n, 0);
    bool any = false;
    for (uint32_t t : targets)
        if (t != ObjectGraph::kRoot && t < n) {
            is_target[t] = 1;
            any = true;
        }
    if (!any) return;

    // Breadth-first from the root, level by level, until a level holds a target.
    std::vector<uint32_t>& level = level_;
    level.assign(n, kUnseen);
    std::vector<uint32_t> order{ObjectGraph::kRoot};
    std::vector<size_t> level_begin{0};
    level[ObjectGraph::kRoot] = 0;
    uint32_t depth = 0;
    for (;;) {
        const size_t begin = level_begin[depth], end = order.size();
        if (begin == end) return; // no target is reachable
        for (size_t i = begin; i < end; ++i)
            if (is_target[order[i]]) found_.push_back(order[i]);
        if (!found_.empty()) break;
        level_begin.push_back(end);
        for (size_t i = begin; i < end; ++i) {
            poll();
            const uint32_t u = order[i];
            auto [first, last] = edge_range(graph, u);
            for (uint32_t e = first; e < last; ++e) {
                const uint32_t t = graph.targets[e];
                if (t < n && level[t] == kUnseen) {
                    level[t] = depth + 1;
                    order.push_back(t);
                }
            }
        }
        ++depth;
    }
    length_ = depth;
    std::sort(found_.begin(), found_.end());

    // Back from the targets: the nodes of each level with an edge to a node on a path, and the
    // number of paths from each (one per relation of each such edge).
    paths_.assign(n, 0);
    for (uint32_t t : found_) paths_[t] = 1;
    for (uint32_t d = depth; d-- > 0;) {
        for (size_t i = level_begin[d]; i < level_begin[d + 1]; ++i) {
            poll();
            const uint32_t u = order[i];
            bool on_path = false;
            auto [first, last] = edge_range(graph, u);
            for (uint32_t e = first; e < last && !on_path; ++e)
                on_path = leads_on(u, graph.targets[e]);
            if (!on_path) continue;
            std::vector<NamedEdge> edges = dag_edges(u);
            uint64_t total = 0;
            for (const NamedEdge& edge : edges)
                total = saturating_add(total, paths_[edge.target], saturated_);
            paths_[u] = total;
            if (dag_edges_.size() < kMaxKeptNodes) dag_edges_.emplace(u, std::move(edges));
        }
    }
    count_ = paths_[ObjectGraph::kRoot];
}

bool ShortestPaths::leads_on(uint32_t from, uint32_t to) const {
    return to < paths_.size() && level_[to] == level_[from] + 1 && paths_[to] != 0;
}

// The edges of `node` to nodes of the next level on a path, with their relations.
std::vector<NamedEdge> ShortestPaths::dag_edges(uint32_t node) {
    std::vector<NamedEdge> kept;
    for (NamedEdge& edge : relations_.edges(node))
        if (leads_on(node, edge.target)) kept.push_back(std::move(edge));
    // An edge the graph has but no relation names: heapy's `.??`.
    auto [first, last] = edge_range(graph_, node);
    for (uint32_t e = first; e < last; ++e) {
        const uint32_t t = graph_.targets[e];
        if (!leads_on(node, t)) continue;
        bool named = std::any_of(kept.begin(), kept.end(),
                                 [t](const NamedEdge& k) { return k.target == t; });
        if (!named) kept.push_back({t, cpython::Relation{}, {}});
    }
    return kept;
}

uint64_t ShortestPaths::paths_from(uint32_t node) const {
    return node < paths_.size() ? paths_[node] : 0;
}

// Only nodes with more than one choice are kept: a path of ten million single steps (a linked
// list) is listed without holding ten million vectors.
const std::vector<ShortestPaths::Choice>& ShortestPaths::sorted_choices(uint32_t node) {
    auto found = sorted_.find(node);
    if (found != sorted_.end()) return found->second;
    std::vector<Choice> choices;
    // heapy's sortedrels: children in address order, each with its relations in the order
    // relate() finds them, then stably sorted by relation.
    auto kept = dag_edges_.find(node);
    std::vector<NamedEdge> edges = kept != dag_edges_.end() ? kept->second : dag_edges(node);
    std::stable_sort(edges.begin(), edges.end(), [this](const NamedEdge& a, const NamedEdge& b) {
        return graph_.nodes[a.target].address() < graph_.nodes[b.target].address();
    });
    choices.reserve(edges.size());
    for (NamedEdge& edge : edges) {
        RelatorKey key = relations_.key(edge);
        choices.push_back({std::move(edge), std::move(key)});
    }
    std::stable_sort(choices.begin(), choices.end(),
                     [](const Choice& a, const Choice& b) { return a.key < b.key; });
    if (choices.size() <= 1) {
        single_choice_ = std::move(choices);
        return single_choice_;
    }
    return sorted_.emplace(node, std::move(choices)).first->second;
}

std::vector<ShortestPaths::Step> ShortestPaths::steps(uint64_t index) {
    if (index >= count_) throw std::out_of_range("no such path");
    std::vector<Step> out;
    uint32_t node = ObjectGraph::kRoot;
    for (uint32_t d = 0; d < length_; ++d) {
        const Choice* chosen = nullptr;
        for (const Choice& choice : sorted_choices(node)) {
            const uint64_t through = paths_from(choice.edge.target);
            if (index < through) {
                chosen = &choice;
                break;
            }
            index -= through;
        }
        if (!chosen) throw std::out_of_range("no such path");
        out.push_back({chosen->edge, node});
        node = chosen->edge.target;
    }
    return out;
}

std::string ShortestPaths::text(uint64_t index, std::string_view source) {
    // Each relation is applied to a placeholder: most only append to it (`.attr`, `[key]`), which
    // keeps a path of a million steps linear; the others wrap it and take the whole path so far.
    constexpr char kPlaceholder = '\x01';
    std::string out(source);
    for (const Step& step : steps(index)) {
        const std::string applied = relations_.apply(step.edge, std::string_view(&kPlaceholder, 1));
        const size_t at = applied.find(kPlaceholder);
        if (at == 0) {
            out.append(applied, 1);
        } else if (at != std::string::npos) {
            out = applied.substr(0, at) + out + applied.substr(at + 1);
        } else {
            out = relations_.apply(step.edge, out);
        }
    }
    return out;
}

} // namespace heapy::heap
