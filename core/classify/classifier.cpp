#include "core/classify/classifier.hpp"

#include "core/classify/render.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "core/report/pyrepr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

namespace heapy::classify {

namespace {

constexpr ClassifierInfo kClassifiers[] = {
    {Classifier::Clodo, "clodo", "Kind (class / dict of class)"},
    {Classifier::Type, "type", "Type"},
    {Classifier::Class, "class", "Class"},
    {Classifier::Size, "size", "Individual Size"},
    {Classifier::Module, "module", "Module"},
    {Classifier::Unity, "unity", "<unclassified>"},
    {Classifier::Via, "via", "Referred Via:"},
    {Classifier::Rcs, "rcs", "Referrers by Kind (class / dict of class)"},
    {Classifier::Idset, "idset", "by identity set"},
    {Classifier::Id, "id", ""},
};

// heapy's Clodo name for its own root object, which our root stands for.
constexpr std::string_view kRootKind = "guppy.heapy.heapyc.RootStateType";

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

std::string clodo_key_name(const ClassifyContext& context, uint64_t key) {
    if (key == kRootKey) return std::string(kRootKind);
    if (key == kDictNoOwner) return "dict (no owner)";
    if (key & kDictOfBit) return "dict of " + context.names.name(uint32_t(key & ~kDictOfBit));
    return context.names.name(uint32_t(key));
}

// Kind names made of strings (Via, Rcs, Module, ...) are interned so rows group by name.
class Interner {
  public:
    uint64_t id(const std::string& text) {
        auto [it, inserted] = ids_.emplace(text, names_.size());
        if (inserted) names_.push_back(text);
        return it->second;
    }
    const std::string& name(uint64_t id) const { return names_[id]; }

  private:
    std::unordered_map<std::string, uint64_t> ids_;
    std::vector<std::string> names_;
};

// Referrers heapy would count for `node`: for a reachable object only reachable referrers (and
// the root); for an unreachable one, every referrer the graph has.
template <class F> void for_each_referrer(const ClassifyContext& context, uint32_t node, F&& f) {
    bool reachable = node < context.reachable_end;
    for (uint32_t referrer : context.referrers->of(node))
        if (!reachable || referrer < context.reachable_end) f(referrer);
}

// A relation's identity: relations with equal keys have equal texts, so each text is made once.
struct RelationKey {
    uint64_t kind_index;
    uint64_t name;
    uint64_t object;
    bool operator==(const RelationKey&) const = default;
};
struct RelationKeyHash {
    size_t operator()(const RelationKey& k) const {
        uint64_t h =
            k.kind_index * 0x9e3779b97f4a7c15ULL ^ k.name * 0xc2b2ae3d27d4eb4fULL ^ k.object;
        return size_t(h ^ (h >> 29));
    }
};

RelationKey relation_key(const heap::NamedEdge& edge) {
    const cpython::Relation& r = edge.relation;
    uint64_t name = r.kind == cpython::RelationKind::Root
                        ? uint64_t(uintptr_t(edge.root_name.data()))
                        : uint64_t(uintptr_t(r.name));
    return {uint64_t(r.kind) << 32 | r.index, name, r.object};
}

// Via: for every node, the sorted set of relation texts its referrers refer to it by.
std::vector<uint64_t> via_keys(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                               Interner& names) {
    const heap::ObjectGraph& graph = context.graph;
    std::vector<uint32_t> position(graph.nodes.size(), UINT32_MAX);
    for (uint32_t i = 0; i < nodes.size(); ++i) position[nodes[i]] = i;
    std::vector<bool> decoded(graph.nodes.size(), false);
    std::vector<uint32_t> to_decode;
    for (uint32_t node : nodes)
        for_each_referrer(context, node, [&](uint32_t referrer) {
            if (!decoded[referrer]) {
                decoded[referrer] = true;
                to_decode.push_back(referrer);
            }
        });
    std::sort(to_decode.begin(), to_decode.end());
    std::unordered_map<RelationKey, uint32_t, RelationKeyHash> text_of;
    std::vector<std::string> texts;
    std::vector<std::pair<uint32_t, uint32_t>> found; // (position in nodes, text number)
    std::vector<heap::NamedEdge> edges;
    for (uint32_t referrer : to_decode) {
        heap::named_edges(*context.decoder, graph, referrer, edges);
        for (const heap::NamedEdge& edge : edges) {
            uint32_t at = position[edge.target];
            if (at == UINT32_MAX) continue;
            if (edge.target < context.reachable_end && referrer >= context.reachable_end) continue;
            // heapy's Via leaves out the class pointer of instances.
            if (edge.relation.kind == cpython::RelationKind::InterAttribute && edge.relation.name &&
                std::string_view(edge.relation.name) == "ob_type")
                continue;
            auto [it, inserted] = text_of.emplace(relation_key(edge), uint32_t(texts.size()));
            if (inserted)
                texts.push_back(report::py_repr_str(heap::via_text(*context.decoder, edge)));
            found.emplace_back(at, it->second);
        }
    }
    // Rank the texts once so each node's set can be sorted as numbers.
    std::vector<uint32_t> order(texts.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return texts[a] < texts[b]; });
    std::vector<uint32_t> rank(texts.size());
    for (uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
    // Group by node with a counting sort (E entries, few per node), then sort each node's ranks.
    std::vector<uint32_t> begin(nodes.size() + 1, 0);
    for (const auto& f : found) ++begin[f.first + 1];
    for (size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
    std::vector<uint32_t> grouped(found.size());
    {
        std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
        for (const auto& f : found) grouped[fill[f.first]++] = rank[f.second];
    }
    found.clear();
    found.shrink_to_fit();

    std::vector<uint64_t> keys(nodes.size(), names.id(""));
    // Most objects have one referrer: their set is one text, named without a lookup by set.
    constexpr uint64_t kUnnamed = UINT64_MAX;
    std::vector<uint64_t> single_ids(texts.size(), kUnnamed);
    std::map<std::vector<uint32_t>, uint64_t> set_ids;
    std::vector<uint32_t> ranks;
    for (size_t node = 0; node < nodes.size(); ++node) {
        if (begin[node] == begin[node + 1]) continue;
        if (begin[node + 1] - begin[node] == 1) {
            uint64_t& id = single_ids[grouped[begin[node]]];
            if (id == kUnnamed) id = names.id(texts[order[grouped[begin[node]]]]);
            keys[node] = id;
            continue;
        }
        ranks.assign(grouped.begin() + begin[node], grouped.begin() + begin[node + 1]);
        std::sort(ranks.begin(), ranks.end());
        // Different relations can have the same text: keep each text once.
        ranks.erase(
            std::unique(ranks.begin(), ranks.end(),
                        [&](uint32_t a, uint32_t b) { return texts[order[a]] == texts[order[b]]; }),
            ranks.end());
        auto it = set_ids.find(ranks);
        if (it == set_ids.end()) {
            std::string name;
            for (uint32_t r : ranks) name += (name.empty() ? "" : ", ") + texts[order[r]];
            it = set_ids.emplace(ranks, names.id(name)).first;
        }
        keys[node] = it->second;
    }
    return keys;
}

// Rcs: for every node, the sorted set of the Clodo kinds of its referrers.
std::vector<uint64_t> rcs_keys(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                               Interner& names) {
    std::unordered_map<uint64_t, std::string> kind_names;
    std::vector<uint64_t> keys;
    keys.reserve(nodes.size());
    std::vector<uint64_t> referrer_kinds;
    std::map<std::vector<uint64_t>, uint64_t> set_ids;
    for (uint32_t node : nodes) {
        referrer_kinds.clear();
        for_each_referrer(context, node, [&](uint32_t referrer) {
            referrer_kinds.push_back(clodo_key(context, referrer));
        });
        std::sort(referrer_kinds.begin(), referrer_kinds.end());
        referrer_kinds.erase(std::unique(referrer_kinds.begin(), referrer_kinds.end()),
                             referrer_kinds.end());
        auto it = set_ids.find(referrer_kinds);
        if (it == set_ids.end()) {
            std::vector<std::string> parts;
            for (uint64_t kind : referrer_kinds) {
                auto [name, inserted] = kind_names.emplace(kind, std::string());
                if (inserted) name->second = clodo_key_name(context, kind);
                parts.push_back(name->second);
            }
            std::sort(parts.begin(), parts.end());
            std::string text =
                parts.empty() ? "<Nothing>" : fmt::format("{}", fmt::join(parts, ", "));
            it = set_ids.emplace(referrer_kinds, names.id(text)).first;
        }
        keys.push_back(it->second);
    }
    return keys;
}

std::string module_name(const ClassifyContext& context, uint32_t node) {
    cpython::ObjectDecoder& decoder = *context.decoder;
    uint64_t address = context.graph.nodes[node].address();
    uint64_t dict = decoder.reader().pointer(address + decoder.layout().module_dict);
    if (dict)
        if (uint64_t name = decoder.dict_lookup(dict, "__name__"))
            if (auto text = decoder.read_str(name, 4096)) return *text;
    return decoder.read_str(decoder.reader().pointer(address + decoder.layout().module_name), 4096)
        .value_or("?");
}

} // namespace

uint64_t clodo_key(const ClassifyContext& context, uint32_t node) {
    const heap::Node& n = context.graph.nodes[node];
    if (n.kind() == heap::NodeKind::Root) return kRootKey;
    bool dict = n.kind() == heap::NodeKind::ManagedValues ||
                (n.kind() == heap::NodeKind::Object && n.type() == context.dict_type);
    if (!dict) return n.type();
    uint32_t owner = context.graph.dict_owner[node];
    if (owner == heap::ObjectGraph::kNoOwner) return kDictNoOwner;
    return kDictOfBit | context.graph.nodes[owner].type();
}

std::optional<ClassifierInfo> find_classifier(std::string_view name) {
    for (const auto& info : kClassifiers)
        if (iequals(info.name, name)) return info;
    return std::nullopt;
}

std::optional<ClassifierInfo> find_classifier_by_header(std::string_view header) {
    for (const auto& info : kClassifiers)
        if (info.header == header) return info;
    return std::nullopt;
}

std::string classifier_names() {
    std::string out;
    for (const auto& info : kClassifiers) {
        if (!out.empty()) out += ", ";
        out += info.name;
    }
    return out;
}

bool needs_referrers(Classifier classifier) {
    return classifier == Classifier::Via || classifier == Classifier::Rcs;
}

std::string clodo_name(const ClassifyContext& context, uint32_t node) {
    return clodo_key_name(context, clodo_key(context, node));
}

PartitionResult partition(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                          const ClassifierInfo& classifier) {
    // Kind keys: numbers for the kinds named from types, interned strings for the others.
    Interner interned;
    std::vector<uint64_t> keys;
    bool string_keys = true;
    switch (classifier.classifier) {
    case Classifier::Via:
        keys = via_keys(context, nodes, interned);
        break;
    case Classifier::Rcs:
        keys = rcs_keys(context, nodes, interned);
        break;
    case Classifier::Unity:
        keys.assign(nodes.size(), interned.id("<Anything>"));
        break;
    case Classifier::Size: {
        std::unordered_map<uint64_t, uint64_t> by_size;
        for (uint32_t node : nodes) {
            uint64_t size = context.graph.size_of(node);
            auto [it, inserted] = by_size.emplace(size, 0);
            if (inserted) it->second = interned.id(fmt::format("{:9d}", size));
            keys.push_back(it->second);
        }
        break;
    }
    case Classifier::Module:
        for (uint32_t node : nodes) {
            const heap::Node& n = context.graph.nodes[node];
            bool module = n.kind() == heap::NodeKind::Object &&
                          context.decoder->types().at(n.type()).kind == cpython::Kind::Module;
            keys.push_back(interned.id(module ? module_name(context, node) : "~module"));
        }
        break;
    case Classifier::Idset:
    case Classifier::Id: {
        // Rows are named by the brief of each singleton (`<1 int: 1>`); the node number after a
        // NUL keeps objects with equal briefs apart and is cut from the name below.
        Renderer renderer(context);
        for (uint32_t node : nodes)
            keys.push_back(interned.id(renderer.brief({node}) + '\0' + std::to_string(node)));
        break;
    }
    case Classifier::Type:
    case Classifier::Class:
        string_keys = false;
        for (uint32_t node : nodes) keys.push_back(context.graph.nodes[node].type());
        break;
    case Classifier::Clodo:
        string_keys = false;
        for (uint32_t node : nodes) keys.push_back(clodo_key(context, node));
        break;
    }

    struct Row {
        uint64_t count = 0;
        uint64_t size = 0;
        std::vector<uint32_t> members;
    };
    std::unordered_map<uint64_t, Row> rows;
    PartitionResult out;
    out.table.classifier = std::string(classifier.name);
    out.table.header = std::string(classifier.header);
    for (size_t i = 0; i < nodes.size(); ++i) {
        uint64_t size = context.graph.size_of(nodes[i]);
        Row& row = rows[keys[i]];
        ++row.count;
        row.size += size;
        row.members.push_back(nodes[i]);
        ++out.table.count;
        out.table.size += size;
    }
    struct Named {
        std::string name;
        Row* row;
    };
    std::vector<Named> named;
    named.reserve(rows.size());
    for (auto& [key, row] : rows) {
        std::string name;
        if (string_keys)
            name = interned.name(key);
        else if (classifier.classifier == Classifier::Clodo)
            name = clodo_key_name(context, key);
        else
            name = context.names.name(uint32_t(key));
        if (classifier.classifier == Classifier::Idset || classifier.classifier == Classifier::Id)
            name.resize(std::min(name.size(), name.find('\0')));
        named.push_back({std::move(name), &row});
    }
    std::sort(named.begin(), named.end(), [](const Named& a, const Named& b) {
        return a.row->size != b.row->size ? a.row->size > b.row->size : a.name < b.name;
    });
    for (Named& n : named) {
        out.table.rows.push_back({std::move(n.name), n.row->count, n.row->size});
        out.members.push_back(std::move(n.row->members));
    }
    return out;
}

} // namespace heapy::classify
