#include "core/classify/classifier.hpp"

#include "core/classify/id_hash_set.hpp"
#include "core/classify/kinds.hpp"
#include "core/classify/render.hpp"
#include "core/classify/text_order.hpp"
#include "core/classify/via.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

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
    {Classifier::Prod, "prod", "Producer (line of allocation)"},
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
    uint32_t id(const std::string& text) {
        auto [it, inserted] = ids_.emplace(text, uint32_t(names_.size()));
        if (inserted) names_.push_back(text);
        return it->second;
    }
    std::vector<std::string> take_names() { return std::move(names_); }

  private:
    std::unordered_map<std::string, uint32_t> ids_;
    std::vector<std::string> names_;
};

// The distinct sets of Clodo kinds of the referrers of some nodes, numbered in the order met,
// and the number of each node's set.
struct ReferrerKindSets {
    std::vector<uint32_t> of_node;
    std::map<std::vector<uint64_t>, uint32_t> numbers;
    std::vector<const std::vector<uint64_t>*> sets; // by number

    // `stop`: polled between groups of nodes; true ends the work early.
    void add(const ClassifyContext& context, std::span<const uint32_t> nodes,
             const std::function<bool(size_t done)>& stop) {
        of_node.reserve(nodes.size());
        std::vector<uint64_t> kinds;
        for (uint32_t node : nodes) {
            if (of_node.size() % kNodesPerCheckpoint == 0 && stop(of_node.size())) return;
            kinds.clear();
            for_each_referrer(context, node, [&](uint32_t referrer) {
                kinds.push_back(clodo_key(context, referrer));
            });
            std::sort(kinds.begin(), kinds.end());
            kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
            auto [it, added] = numbers.emplace(kinds, uint32_t(sets.size()));
            if (added) sets.push_back(&it->first);
            of_node.push_back(it->second);
        }
    }
};

// Rcs: for every node, the sorted set of the Clodo kinds of its referrers. The sets are found in
// two threads when there are many nodes (the second takes the second half), then named here.
heap::BigVector<uint32_t> rcs_keys(const ClassifyContext& context,
                                   const std::vector<uint32_t>& nodes, Interner& names) {
    const std::span<const uint32_t> all(nodes);
    ReferrerKindSets halves[2];
    in_two_halves(context, nodes.size(), "grouping objects by their referrers' kinds",
                  [&](int half, size_t begin, size_t end, const auto& stop) {
                      halves[half].add(context, all.subspan(begin, end - begin), stop);
                  });

    std::unordered_map<uint64_t, std::string> kind_names;
    auto name_ids = [&](const ReferrerKindSets& found) {
        std::vector<uint32_t> ids;
        for (const std::vector<uint64_t>* kinds : found.sets) {
            std::vector<std::string> parts;
            for (uint64_t kind : *kinds) {
                auto [name, inserted] = kind_names.emplace(kind, std::string());
                if (inserted) name->second = clodo_key_name(context, kind);
                parts.push_back(name->second);
            }
            std::sort(parts.begin(), parts.end());
            ids.push_back(
                names.id(parts.empty() ? "<Nothing>" : fmt::format("{}", fmt::join(parts, ", "))));
        }
        return ids;
    };
    heap::BigVector<uint32_t> keys;
    keys.reserve(nodes.size());
    for (const ReferrerKindSets& found : halves) {
        const std::vector<uint32_t> ids = name_ids(found);
        for (uint32_t number : found.of_node) keys.push_back(ids[number]);
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
    bool dict =
        n.kind() == heap::NodeKind::ManagedValues ||
        (n.kind() == heap::NodeKind::Object && context.graph.type_of(node) == context.dict_type);
    if (!dict) return context.graph.type_of(node);
    uint32_t owner = context.graph.dict_owner(node);
    if (owner == heap::ObjectGraph::kNoOwner) return kDictNoOwner;
    return kDictOfBit | context.graph.type_of(owner);
}

void ClassifyContext::checkpoint(std::string_view what, uint64_t done, uint64_t total) const {
    if (interrupted && interrupted()) throw Interrupted();
    if (progress) progress(what, done, total);
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

bool needs_referrers(Classifier classifier, bool whole_heap) {
    return (classifier == Classifier::Via && !whole_heap) || classifier == Classifier::Rcs;
}

std::string clodo_name(const ClassifyContext& context, uint32_t node) {
    return clodo_key_name(context, clodo_key(context, node));
}

namespace {

Kinds interned_kinds(heap::BigVector<uint32_t> keys, Interner& interned) {
    Kinds kinds;
    kinds.keys = std::move(keys);
    kinds.names = interned.take_names();
    return kinds;
}

// Puts `names` in order and returns the new number of each old one (equal names stay apart:
// they are different kinds).
std::vector<uint32_t> sort_names(std::vector<std::string>& names) {
    const auto order =
        order_by_text(names.size(), [&](uint32_t i) -> std::string_view { return names[i]; });
    std::vector<uint32_t> rank(order.size());
    std::vector<std::string> sorted(order.size());
    for (uint32_t i = 0; i < order.size(); ++i) {
        rank[order[i]] = i;
        sorted[i] = std::move(names[order[i]]);
    }
    names = std::move(sorted);
    return rank;
}

// Renumbers the kinds in name order.
void rank_by_name(Kinds& kinds) {
    const std::vector<uint32_t> rank = sort_names(kinds.names);
    for (uint32_t& key : kinds.keys) key = rank[key];
    kinds.ordered = true;
}

Kinds kinds_of(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
               const ClassifierInfo& classifier, bool whole_heap) {
    Interner interned;
    heap::BigVector<uint32_t> keys; // interned names' numbers
    switch (classifier.classifier) {
    case Classifier::Via:
        return via_kinds(context, nodes, whole_heap);
    case Classifier::Rcs:
        return interned_kinds(rcs_keys(context, nodes, interned), interned);
    case Classifier::Unity:
        keys.assign(nodes.size(), interned.id("<Anything>"));
        return interned_kinds(std::move(keys), interned);
    case Classifier::Size: {
        std::unordered_map<uint64_t, uint32_t> by_size;
        for (uint32_t node : nodes) {
            uint64_t size = context.graph.size_of(node);
            auto [it, inserted] = by_size.emplace(size, 0);
            if (inserted) it->second = interned.id(fmt::format("{:9d}", size));
            keys.push_back(it->second);
        }
        return interned_kinds(std::move(keys), interned);
    }
    case Classifier::Module:
        for (uint32_t node : nodes) {
            const heap::Node& n = context.graph.nodes[node];
            bool module = n.kind() == heap::NodeKind::Object &&
                          context.decoder->types().at(context.graph.type_of(node)).kind ==
                              cpython::Kind::Module;
            keys.push_back(interned.id(module ? module_name(context, node) : "~module"));
        }
        return interned_kinds(std::move(keys), interned);
    case Classifier::Prod:
        for (uint32_t node : nodes) {
            const std::string producer = context.producer ? context.producer(node) : "";
            keys.push_back(interned.id(producer.empty() ? "unknown" : producer));
        }
        return interned_kinds(std::move(keys), interned);
    case Classifier::Idset:
    case Classifier::Id: {
        // Rows are named by the brief of each singleton (`<1 int: 1>`); the node number after a
        // NUL keeps objects with equal briefs apart and is cut from the name in partition().
        Renderer renderer(context);
        for (uint32_t node : nodes)
            keys.push_back(interned.id(renderer.brief({node}) + '\0' + std::to_string(node)));
        return interned_kinds(std::move(keys), interned);
    }
    case Classifier::Type:
    case Classifier::Class:
    case Classifier::Clodo:
        break; // numbered_partition
    }
    return {};
}

// The nodes of a partition's set: the list, or without one the reachable heap.
template <class F>
void for_each_node(const std::vector<uint32_t>* list, uint32_t reachable_end, F&& f) {
    if (list) {
        for (uint32_t node : *list) f(node);
    } else {
        for (uint32_t node = 1; node < reachable_end; ++node) f(node);
    }
}

// The rows of a table, and which kind each is.
struct Rows {
    heap::BigVector<uint32_t> kind_of_row;
    heap::BigVector<uint32_t> row_of_kind;
};

// The steps that end every partition, what each counts as it goes.
constexpr std::string_view kSumming = "adding up the objects of each kind";
constexpr std::string_view kOrdering = "ordering the kinds by size";

// Table rows, not yet named, for the kinds that have nodes, in heapy's order: size descending,
// then name (kinds are numbered in name order). Reports progress in kinds and polls for Ctrl-C.
Rows add_rows(const ClassifyContext& context, report::Partition& table,
              const std::vector<uint64_t>& size_of_kind,
              const std::vector<uint32_t>& count_of_kind) {
    const size_t kinds = size_of_kind.size();
    context.checkpoint(kOrdering, 0, 3 * kinds);
    // Kinds in name order, then stably by size descending: the kinds of a size below
    // kCountedSizes (nearly all of a big heap's millions) by a counting sort after the others.
    constexpr uint64_t kCountedSizes = uint64_t{1} << 16;
    heap::BigVector<Keyed> big;
    for (uint32_t k = 0; k < size_of_kind.size(); ++k)
        if (count_of_kind[k] != 0 && size_of_kind[k] >= kCountedSizes)
            big.push_back({~size_of_kind[k], k});
    heap::BigVector<Keyed> scratch;
    sort_by_key(big, scratch);
    context.checkpoint(kOrdering, kinds, 3 * kinds);
    // Group kCountedSizes - 1 - s holds the kinds of size s; the last group those left out.
    const Grouped small = group_by(
        size_of_kind.size(), kCountedSizes + 1,
        [&](size_t k) {
            return count_of_kind[k] == 0 || size_of_kind[k] >= kCountedSizes
                       ? kCountedSizes
                       : kCountedSizes - 1 - size_of_kind[k];
        },
        [](size_t k) { return uint32_t(k); });
    context.checkpoint(kOrdering, 2 * kinds, 3 * kinds);
    Rows rows;
    rows.kind_of_row.reserve(big.size() + small.begin[kCountedSizes]);
    for (const Keyed& kind : big) rows.kind_of_row.push_back(kind.id);
    rows.kind_of_row.insert(rows.kind_of_row.end(), small.values.begin(),
                            small.values.begin() + small.begin[kCountedSizes]);
    rows.row_of_kind.resize(size_of_kind.size());
    table.rows.resize(rows.kind_of_row.size());
    for (uint32_t r = 0; r < rows.kind_of_row.size(); ++r) {
        if (r % kNodesPerCheckpoint == 0) context.checkpoint(kOrdering, 2 * kinds + r, 3 * kinds);
        const uint32_t k = rows.kind_of_row[r];
        rows.row_of_kind[k] = r;
        table.rows[r].count = count_of_kind[k];
        table.rows[r].size = size_of_kind[k];
    }
    return rows;
}

// Names the rows by `names` (of the kinds), moved out; by identity, cut at the NUL.
void name_rows(report::Partition& table, const Rows& rows, std::vector<std::string>& names,
               bool by_identity) {
    table.kinds.resize(table.rows.size());
    for (size_t r = 0; r < table.rows.size(); ++r) {
        std::string& name = names[rows.kind_of_row[r]];
        if (by_identity) name.resize(std::min(name.size(), name.find('\0')));
        table.kinds[r] = std::move(name);
    }
}

// A partition by a number each node's kind is cheap to work out from (type, Clodo): counted in
// one pass without a kind per node, which `row_of_node` works out again when rows are listed.
template <class KeyOf, class NameOf>
PartitionResult numbered_partition(const ClassifyContext& context, SharedNodes set, KeyOf key_of,
                                   NameOf&& name_of) {
    PartitionResult out;
    IdHashSet kind_of_key;
    std::vector<uint64_t> keys;
    std::vector<uint64_t> size_of_kind;
    std::vector<uint32_t> count_of_kind;
    uint64_t last_key = 0;
    uint32_t last_kind = UINT32_MAX;
    const size_t total = set ? set->size() : context.reachable_end;
    size_t done = 0;
    for_each_node(set.get(), context.reachable_end, [&](uint32_t node) {
        if (done++ % kNodesPerCheckpoint == 0) context.checkpoint(kSumming, done, total);
        const uint64_t key = key_of(node);
        if (key != last_key || last_kind == UINT32_MAX) {
            auto [kind, added] = kind_of_key.insert(
                key, [&](uint32_t known) { return keys[known] == key; }, uint32_t(keys.size()));
            if (added) {
                keys.push_back(key);
                size_of_kind.push_back(0);
                count_of_kind.push_back(0);
            }
            last_key = key;
            last_kind = kind;
        }
        const uint64_t size = context.graph.size_of(node);
        size_of_kind[last_kind] += size;
        ++count_of_kind[last_kind];
        out.table.size += size;
        ++out.table.count;
    });

    std::vector<std::string> names;
    for (uint64_t key : keys) names.push_back(name_of(key));
    const std::vector<uint32_t> rank = sort_names(names);
    std::vector<uint64_t> ranked_sizes(keys.size());
    std::vector<uint32_t> ranked_counts(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) {
        ranked_sizes[rank[k]] = size_of_kind[k];
        ranked_counts[rank[k]] = count_of_kind[k];
    }
    const Rows rows = add_rows(context, out.table, ranked_sizes, ranked_counts);
    name_rows(out.table, rows, names, false);
    std::unordered_map<uint64_t, uint32_t> row_of_key;
    for (size_t k = 0; k < keys.size(); ++k) row_of_key.emplace(keys[k], rows.row_of_kind[rank[k]]);
    out.row_of_node = [key_of = std::move(key_of),
                       row_of_key = std::move(row_of_key)](uint32_t node) {
        auto it = row_of_key.find(key_of(node));
        return it == row_of_key.end() ? UINT32_MAX : it->second; // an owner found since
    };
    out.nodes = std::move(set);
    out.reachable_end = context.reachable_end;
    return out;
}

} // namespace

PartitionResult partition(const ClassifyContext& context, SharedNodes set,
                          const ClassifierInfo& classifier) {
    PartitionResult out;
    switch (classifier.classifier) {
    case Classifier::Type:
    case Classifier::Class:
        out = numbered_partition(
            context, std::move(set),
            [graph = &context.graph](uint32_t node) -> uint64_t { return graph->type_of(node); },
            [&](uint64_t key) { return context.names.name(uint32_t(key)); });
        break;
    case Classifier::Clodo:
        out = numbered_partition(
            context, std::move(set), [context](uint32_t node) { return clodo_key(context, node); },
            [&](uint64_t key) { return clodo_key_name(context, key); });
        break;
    default: {
        const bool whole_heap = !set;
        if (whole_heap) set = list_reachable(context.reachable_end);
        const std::vector<uint32_t>& nodes = *set;
        Kinds kinds = kinds_of(context, nodes, classifier, whole_heap);
        if (!kinds.ordered) rank_by_name(kinds);
        const size_t kind_count = kinds.size();
        std::vector<uint64_t> size_of_kind(kind_count, 0);
        std::vector<uint32_t> count_of_kind(kind_count, 0);
        for (size_t i = 0; i < nodes.size(); ++i) {
            if (i % kNodesPerCheckpoint == 0) context.checkpoint(kSumming, i, nodes.size());
            uint64_t size = context.graph.size_of(nodes[i]);
            size_of_kind[kinds.keys[i]] += size;
            ++count_of_kind[kinds.keys[i]];
            out.table.size += size;
        }
        out.table.count = nodes.size();
        const bool by_identity =
            classifier.classifier == Classifier::Idset || classifier.classifier == Classifier::Id;
        Rows rows = add_rows(context, out.table, size_of_kind, count_of_kind);
        if (kinds.name_of)
            out.table.name_row = [name_of = std::move(kinds.name_of),
                                  kind_of_row = std::make_shared<const heap::BigVector<uint32_t>>(
                                      std::move(rows.kind_of_row))](size_t row) {
                return name_of((*kind_of_row)[row]);
            };
        else
            name_rows(out.table, rows, kinds.names, by_identity);
        for (uint32_t& key : kinds.keys) key = rows.row_of_kind[key];
        out.row_of = std::move(kinds.keys);
        out.nodes = std::move(set);
        break;
    }
    }
    out.table.classifier = std::string(classifier.name);
    out.table.header = std::string(classifier.header);
    return out;
}

SharedNodes list_reachable(uint32_t reachable_end) {
    std::vector<uint32_t> nodes(reachable_end > 0 ? reachable_end - 1 : 0);
    std::iota(nodes.begin(), nodes.end(), 1u);
    return std::make_shared<const std::vector<uint32_t>>(std::move(nodes));
}

PartitionResult partition(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                          const ClassifierInfo& classifier) {
    return partition(context, std::make_shared<const std::vector<uint32_t>>(nodes), classifier);
}

template <class F> void PartitionResult::for_each_member(F&& f) const {
    if (!row_of_node) {
        for (size_t i = 0; i < row_of.size(); ++i) f((*nodes)[i], row_of[i]);
        return;
    }
    for_each_node(nodes.get(), reachable_end, [&](uint32_t node) { f(node, row_of_node(node)); });
}

std::vector<uint32_t> PartitionResult::members(size_t row) const {
    std::vector<uint32_t> out;
    if (row >= table.rows.size()) return out;
    out.reserve(table.rows[row].count);
    for_each_member([&](uint32_t node, uint32_t r) {
        if (r == row) out.push_back(node);
    });
    return out;
}

std::vector<std::vector<uint32_t>> PartitionResult::all_members() const {
    std::vector<std::vector<uint32_t>> out(table.rows.size());
    for (size_t r = 0; r < out.size(); ++r) out[r].reserve(table.rows[r].count);
    for_each_member([&](uint32_t node, uint32_t r) {
        if (r < out.size()) out[r].push_back(node);
    });
    return out;
}

} // namespace heapy::classify
