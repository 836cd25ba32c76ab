#include "core/classify/classifier.hpp"

#include "core/classify/id_hash_set.hpp"
#include "core/classify/render.hpp"
#include "core/errors.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "core/report/pyrepr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <numeric>
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

// The kind of every node: keys[i] for nodes[i], names[key] its name. `ordered`: the keys are
// ranks, names sorted and distinct.
struct Kinds {
    std::vector<uint32_t> keys;
    std::vector<std::string> names;
    bool ordered = false;
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

// Bytes [offset, offset + 8) of `text`, big-endian and zero-padded: ordered as the texts are
// wherever they differ in those bytes.
uint64_t text_key(std::string_view text, size_t offset) {
    uint64_t key = 0;
    for (size_t i = offset; i < offset + 8; ++i)
        key = key << 8 | (i < text.size() ? uint8_t(text[i]) : 0);
    return key;
}

// A text's number and 8 of its bytes as a number.
struct Keyed {
    uint64_t key;
    uint32_t id;
};

// Sorts `items` by key; equal keys keep their order. Long runs go by radix, 16 bits a pass,
// skipping the passes where every key has the same digit (keys of texts with a common start).
void sort_by_key(std::span<Keyed> items, std::vector<Keyed>& scratch) {
    constexpr size_t kRadixFrom = 4096;
    if (items.size() < kRadixFrom) {
        std::stable_sort(items.begin(), items.end(),
                         [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
        return;
    }
    scratch.resize(items.size());
    Keyed* from = items.data();
    Keyed* to = scratch.data();
    std::vector<uint32_t> start(size_t{1} << 16);
    for (unsigned shift = 0; shift < 64; shift += 16) {
        std::fill(start.begin(), start.end(), 0);
        for (size_t i = 0; i < items.size(); ++i) ++start[(from[i].key >> shift) & 0xffff];
        if (start[(from[0].key >> shift) & 0xffff] == items.size()) continue;
        uint32_t sum = 0;
        for (uint32_t& s : start) sum += std::exchange(s, sum);
        for (size_t i = 0; i < items.size(); ++i)
            to[start[(from[i].key >> shift) & 0xffff]++] = from[i];
        std::swap(from, to);
    }
    if (from != items.data()) std::copy(from, from + items.size(), items.data());
}

// The numbers 0..n-1 ordered by `text_of` (equal texts by number). Millions of texts, many with
// a long common start (`"['customer-`), are sorted 8 bytes at a time as numbers: each run of
// equal bytes so far is sorted again by its next 8 (a run is in number order, and the sort
// keeps equal keys in order).
template <class TextOf> std::vector<uint32_t> order_by_text(size_t n, TextOf&& text_of) {
    struct Run {
        size_t begin, end, offset; // texts [begin, end) agree on their bytes before offset
    };
    std::vector<Keyed> keyed(n);
    for (uint32_t i = 0; i < n; ++i) keyed[i] = {0, i};
    std::vector<Run> runs{{0, n, 0}};
    std::vector<Keyed> scratch;
    while (!runs.empty()) {
        const Run run = runs.back();
        runs.pop_back();
        const auto first = keyed.begin() + std::ptrdiff_t(run.begin);
        const auto last = keyed.begin() + std::ptrdiff_t(run.end);
        for (auto it = first; it != last; ++it) it->key = text_key(text_of(it->id), run.offset);
        sort_by_key({keyed.data() + run.begin, run.end - run.begin}, scratch);
        for (auto a = first; a != last;) {
            auto b = a + 1;
            while (b != last && b->key == a->key) ++b;
            if (b - a > 1) {
                const bool longer = std::any_of(a, b, [&](const Keyed& k) {
                    return std::string_view(text_of(k.id)).size() > run.offset + 8;
                });
                if (longer) {
                    runs.push_back(
                        {size_t(a - keyed.begin()), size_t(b - keyed.begin()), run.offset + 8});
                } else { // equal but for trailing NULs: the shorter first
                    std::sort(a, b, [&](const Keyed& x, const Keyed& y) {
                        const size_t xs = std::string_view(text_of(x.id)).size();
                        const size_t ys = std::string_view(text_of(y.id)).size();
                        return xs != ys ? xs < ys : x.id < y.id;
                    });
                }
            }
            a = b;
        }
    }
    std::vector<uint32_t> order(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = keyed[i].id;
    return order;
}

// Strings stored end to end, numbered in the order added.
class TextArena {
  public:
    uint32_t add(std::string_view text) {
        bytes_.append(text);
        ends_.push_back(bytes_.size());
        return uint32_t(ends_.size() - 1);
    }
    std::string_view operator[](uint32_t id) const {
        size_t begin = id == 0 ? 0 : ends_[id - 1];
        return std::string_view(bytes_).substr(begin, ends_[id] - begin);
    }
    size_t size() const { return ends_.size(); }

  private:
    std::string bytes_;
    std::vector<size_t> ends_;
};

uint64_t hash_words(std::span<const uint32_t> words) {
    uint64_t h = words.size();
    for (uint32_t w : words) h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h;
}

// Via: for every node, the sorted set of relation texts its referrers refer to it by. Millions
// of distinct texts are normal (every list index, every dict key): each is made once, sorted
// once, and the kinds come out already ranked in name order.
// `whole_heap`: `nodes` is the reachable heap, 1..reachable_end-1, whose referrers are every
// reachable node with edges (no referrers index needed, nor a table of positions).
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
    auto position_of = [&](uint32_t target) -> uint32_t {
        if (!whole_heap) return position[target];
        return target != 0 && target < context.reachable_end ? target - 1 : UINT32_MAX;
    };

    // Each distinct relation gets a text number; its text is made once.
    std::vector<RelationKey> relations;
    IdHashSet relation_ids;
    TextArena texts;
    std::vector<std::pair<uint32_t, uint32_t>> found; // (position in nodes, text number)
    std::vector<heap::NamedEdge> edges;
    for (uint32_t referrer : to_decode) {
        heap::named_edges(*context.decoder, graph, referrer, edges);
        for (const heap::NamedEdge& edge : edges) {
            const uint32_t at = position_of(edge.target);
            if (at == UINT32_MAX) continue;
            if (edge.target < context.reachable_end && referrer >= context.reachable_end) continue;
            // heapy's Via leaves out the class pointer of instances.
            if (edge.relation.kind == cpython::RelationKind::InterAttribute && edge.relation.name &&
                std::string_view(edge.relation.name) == "ob_type")
                continue;
            const RelationKey key = relation_key(edge);
            auto [id, added] = relation_ids.insert(
                RelationKeyHash{}(key), [&](uint32_t known) { return relations[known] == key; },
                uint32_t(relations.size()));
            if (added) {
                relations.push_back(key);
                texts.add(report::py_repr_str(heap::via_text(*context.decoder, edge)));
            }
            found.emplace_back(at, id);
        }
    }
    relation_ids = {};
    relations = {};
    position = {};
    to_decode = {};

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

    // Most objects have one class; the others a set of them, named "a, b" and kept apart in
    // `extra` (with "" for objects nothing refers to) until merged into the order below.
    constexpr uint32_t kExtra = uint32_t{1} << 31;
    std::vector<uint32_t> keys(nodes.size());
    std::vector<std::string> extra;
    std::vector<uint32_t> set_classes; // the classes of every distinct set, end to end
    std::vector<uint32_t> set_begin{0};
    std::vector<uint32_t> set_extra; // each set's number in `extra`
    IdHashSet set_ids;
    uint32_t nothing = UINT32_MAX;
    for (size_t node = 0; node < nodes.size(); ++node) {
        if (begin[node] == begin[node + 1]) {
            if (nothing == UINT32_MAX) {
                nothing = uint32_t(extra.size());
                extra.emplace_back();
            }
            keys[node] = kExtra | nothing;
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
            [&](uint32_t known) {
                return std::ranges::equal(
                    classes, std::span<const uint32_t>(set_classes.data() + set_begin[known],
                                                       set_begin[known + 1] - set_begin[known]));
            },
            uint32_t(set_extra.size()));
        if (added) {
            std::string name;
            for (uint32_t c : classes) {
                if (!name.empty()) name += ", ";
                name += texts[class_text[c]];
            }
            set_begin.push_back(uint32_t(set_classes.size()));
            set_extra.push_back(uint32_t(extra.size()));
            extra.push_back(std::move(name));
        } else {
            set_classes.resize(first);
        }
        keys[node] = kExtra | set_extra[id];
    }
    set_ids = {};
    set_classes = {};

    // Merge the extra names into the class names' order; equal names become one kind.
    const std::vector<uint32_t> extra_order =
        order_by_text(extra.size(), [&](uint32_t i) -> std::string_view { return extra[i]; });
    std::vector<uint32_t> class_rank(class_text.size()), extra_rank(extra.size());
    Kinds kinds;
    kinds.ordered = true;
    kinds.names.reserve(class_text.size() + extra.size());
    size_t c = 0, e = 0;
    while (c < class_text.size() || e < extra.size()) {
        const bool take_extra = c == class_text.size() ||
                                (e < extra.size() && extra[extra_order[e]] < texts[class_text[c]]);
        std::string_view name = take_extra ? extra[extra_order[e]] : texts[class_text[c]];
        if (kinds.names.empty() || kinds.names.back() != name) kinds.names.emplace_back(name);
        const uint32_t rank = uint32_t(kinds.names.size() - 1);
        if (take_extra)
            extra_rank[extra_order[e++]] = rank;
        else
            class_rank[c++] = rank;
    }
    for (uint32_t& key : keys) key = key & kExtra ? extra_rank[key & ~kExtra] : class_rank[key];
    kinds.keys = std::move(keys);
    return kinds;
}

// Rcs: for every node, the sorted set of the Clodo kinds of its referrers.
std::vector<uint32_t> rcs_keys(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                               Interner& names) {
    std::unordered_map<uint64_t, std::string> kind_names;
    std::vector<uint32_t> keys;
    keys.reserve(nodes.size());
    std::vector<uint64_t> referrer_kinds;
    std::map<std::vector<uint64_t>, uint32_t> set_ids;
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
    bool dict =
        n.kind() == heap::NodeKind::ManagedValues ||
        (n.kind() == heap::NodeKind::Object && context.graph.type_of(node) == context.dict_type);
    if (!dict) return context.graph.type_of(node);
    uint32_t owner = context.graph.dict_owner(node);
    if (owner == heap::ObjectGraph::kNoOwner) return kDictNoOwner;
    return kDictOfBit | context.graph.type_of(owner);
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

Kinds interned_kinds(std::vector<uint32_t> keys, Interner& interned) {
    Kinds kinds;
    kinds.keys = std::move(keys);
    kinds.names = interned.take_names();
    return kinds;
}

// Puts `names` in order and returns the new number of each old one (equal names stay apart:
// they are different kinds).
std::vector<uint32_t> sort_names(std::vector<std::string>& names) {
    const std::vector<uint32_t> order =
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
    std::vector<uint32_t> keys; // interned names' numbers
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

// Table rows for the kinds that have nodes, in heapy's order: size descending, then name
// (`names` are in name order). Returns the row of each kind.
std::vector<uint32_t> add_rows(report::Partition& table, std::vector<std::string>& names,
                               const std::vector<uint64_t>& size_of_kind,
                               const std::vector<uint32_t>& count_of_kind, bool by_identity) {
    std::vector<uint32_t> rows;
    for (uint32_t k = 0; k < names.size(); ++k)
        if (count_of_kind[k] != 0) rows.push_back(k);
    std::sort(rows.begin(), rows.end(), [&](uint32_t a, uint32_t b) {
        return size_of_kind[a] != size_of_kind[b] ? size_of_kind[a] > size_of_kind[b] : a < b;
    });
    table.rows.reserve(rows.size());
    std::vector<uint32_t> row_of_kind(names.size());
    for (uint32_t r = 0; r < rows.size(); ++r) {
        const uint32_t k = rows[r];
        row_of_kind[k] = r;
        std::string& name = names[k];
        if (by_identity) name.resize(std::min(name.size(), name.find('\0')));
        table.rows.push_back({std::move(name), count_of_kind[k], size_of_kind[k]});
    }
    return row_of_kind;
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
    for_each_node(set.get(), context.reachable_end, [&](uint32_t node) {
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
    const std::vector<uint32_t> row_of_kind =
        add_rows(out.table, names, ranked_sizes, ranked_counts, false);
    std::unordered_map<uint64_t, uint32_t> row_of_key;
    for (size_t k = 0; k < keys.size(); ++k) row_of_key.emplace(keys[k], row_of_kind[rank[k]]);
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
        const size_t kind_count = kinds.names.size();
        std::vector<uint64_t> size_of_kind(kind_count, 0);
        std::vector<uint32_t> count_of_kind(kind_count, 0);
        for (size_t i = 0; i < nodes.size(); ++i) {
            uint64_t size = context.graph.size_of(nodes[i]);
            size_of_kind[kinds.keys[i]] += size;
            ++count_of_kind[kinds.keys[i]];
            out.table.size += size;
        }
        out.table.count = nodes.size();
        const bool by_identity =
            classifier.classifier == Classifier::Idset || classifier.classifier == Classifier::Id;
        const std::vector<uint32_t> row_of_kind =
            add_rows(out.table, kinds.names, size_of_kind, count_of_kind, by_identity);
        for (uint32_t& key : kinds.keys) key = row_of_kind[key];
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
