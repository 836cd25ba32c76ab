#include "core/classify/via.hpp"

#include "core/classify/id_hash_set.hpp"
#include "core/classify/text_order.hpp"
#include "core/classify/via_edges.hpp"
#include "core/classify/via_relations.hpp"
#include "core/errors.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace heapy::classify {

namespace {

// The relations grouped by the object they refer to.
constexpr std::string_view kGroupingByNode = "grouping the ways objects are referred to by object";

// The kinds put in name order: the sets of relations (first half), then every object's kind.
constexpr std::string_view kRanking = "putting the kinds in order";

// The referrers whose relations count for `nodes`, in node order; for a listed set also the
// position of each node in it (`position`, UINT32_MAX for the others).
heap::BigVector<uint32_t> referrers_of(const ClassifyContext& context,
                                       const std::vector<uint32_t>& nodes, bool whole_heap,
                                       heap::BigVector<uint32_t>& position) {
    const heap::ObjectGraph& graph = context.graph;
    heap::BigVector<uint32_t> referrers;
    if (whole_heap) {
        referrers.reserve(context.reachable_end); // address space: only what is filled is touched
        for (uint32_t node = 0; node < context.reachable_end; ++node)
            if (graph.edge_begin[node] != graph.edge_begin[node + 1]) referrers.push_back(node);
        return referrers;
    }
    if (!context.referrers) throw Error("internal error: by via without referrers");
    position.assign(graph.nodes.size(), UINT32_MAX);
    for (uint32_t i = 0; i < nodes.size(); ++i) position[nodes[i]] = i;
    std::vector<bool> listed(graph.nodes.size(), false);
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (i % kPollEvery == 0)
            context.checkpoint("finding the referrers of the objects", i, nodes.size());
        for_each_referrer(context, nodes[i], [&](uint32_t referrer) {
            if (!listed[referrer]) {
                listed[referrer] = true;
                referrers.push_back(referrer);
            }
        });
    }
    std::sort(referrers.begin(), referrers.end());
    return referrers;
}

// Relations with equal texts (from different keys) are one class; classes are numbered in text
// order.
struct Classes {
    heap::BigVector<uint32_t> of_relation;
    heap::BigVector<uint32_t> text; // the text (a relation number) of each class
};

Classes classes_by_text(const ClassifyContext& context, const TextArena& texts) {
    Classes out;
    const auto order = order_by_text(
        texts.size(), [&](uint32_t i) { return texts[i]; },
        [&](size_t sorted) {
            context.checkpoint("sorting the ways objects are referred to",
                               std::min(sorted, texts.size()), texts.size());
        });
    out.of_relation.resize(texts.size());
    for (uint32_t i = 0; i < order.size(); ++i) {
        if (i == 0 || texts[order[i]] != texts[out.text.back()]) out.text.push_back(order[i]);
        out.of_relation[order[i]] = uint32_t(out.text.size() - 1);
    }
    return out;
}

// The relations each node is referred to by (relations.values[begin[i], begin[i + 1]) for
// node i), and their classes.
struct ClassesByNode {
    Grouped relations;
    Classes classes;
    uint32_t class_at(uint32_t i) const { return classes.of_relation[relations.values[i]]; }
};

template <class Stop>
Grouped group_by_node(size_t node_count, const NumberedRelations& found, Stop&& stop) {
    return group_by(
        found.size(), node_count, [&](size_t i) { return found.position(i); },
        [&](size_t i) { return found.number(i); }, stop);
}

// The relations grouped by node and the classes of relations: the two do not depend on each
// other, and with many relations a second thread groups while this one sorts the texts.
ClassesByNode classes_by_node(const ClassifyContext& context, size_t node_count,
                              const NumberedRelations& relations) {
    ClassesByNode out;
    std::optional<heap::SecondThread> second;
    std::atomic<bool> grouped{false};
    if (relations.size() >= kNodesForTwoThreads && heap::second_thread_allowed()) {
        second.emplace([&](const std::atomic<bool>& stop) {
            struct Done {
                std::atomic<bool>& flag;
                ~Done() { flag.store(true, std::memory_order_release); }
            } done{grouped};
            out.relations = group_by_node(node_count, relations,
                                          [&stop] { return stop.load(std::memory_order_relaxed); });
        });
        if (!second->started()) second.reset();
    }
    out.classes = classes_by_text(context, relations.texts);
    if (second) {
        // The grouping may take longer than the sort: wait for it polling for Ctrl-C (which
        // stops it too).
        while (!grouped.load(std::memory_order_acquire)) {
            context.checkpoint(kGroupingByNode, 0, 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        second->finish();
    } else {
        out.relations = group_by_node(node_count, relations, [&, i = size_t{0}]() mutable {
            context.checkpoint(kGroupingByNode, std::min(i, 2 * relations.size()),
                               2 * relations.size());
            i += size_t{1} << 16;
            return false;
        });
    }
    return out;
}

uint64_t hash_words(std::span<const uint32_t> words) {
    uint64_t h = words.size();
    for (uint32_t w : words) h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h;
}

// Distinct sets of classes, numbered as found.
class SetTable {
  public:
    size_t size() const { return begin_.size() - 1; }
    std::span<const uint32_t> of(uint32_t set) const {
        return {classes_.data() + begin_[set], begin_[set + 1] - begin_[set]};
    }
    // The number of the set `members` (sorted, distinct; `hash` = hash_words(members)), added
    // when new.
    uint32_t number(std::span<const uint32_t> members, uint64_t hash) {
        auto [id, added] = ids_.insert(
            hash, [&](uint32_t known) { return std::ranges::equal(members, of(known)); },
            uint32_t(size()));
        if (added) {
            classes_.insert(classes_.end(), members.begin(), members.end());
            begin_.push_back(uint32_t(classes_.size()));
        }
        return id;
    }
    void prefetch(uint64_t hash) const { ids_.prefetch(hash); }
    // Keeps the sets, drops what finds them.
    void freeze() { ids_ = IdHashSet(); }
    // Adds a set to a frozen table, known to be distinct from those in it.
    void append(std::span<const uint32_t> members) {
        classes_.insert(classes_.end(), members.begin(), members.end());
        begin_.push_back(uint32_t(classes_.size()));
    }

  private:
    heap::BigVector<uint32_t> classes_; // of every set, in order, end to end
    heap::BigVector<uint32_t> begin_{0};
    IdHashSet ids_;
};

// Most nodes are referred to by one class; the others by a distinct set of classes (the empty
// set for nodes nothing refers to). keys[i]: node i's class, or kSet | its set.
struct Sets {
    static constexpr uint32_t kSet = uint32_t{1} << 31;
    heap::BigVector<uint32_t> keys;
    SetTable table;
};

// Sorts a few numbers (a node's classes: mostly 2 or 3) without std::sort's set-up.
template <class It> void sort_few(It first, It last) {
    if (last - first > 16) return std::sort(first, last);
    if (first == last) return;
    for (It i = first + 1; i < last; ++i) {
        const auto value = *i;
        It j = i;
        for (; j != first && value < j[-1]; --j) *j = j[-1];
        *j = value;
    }
}

// The sets of several classes of some nodes, waiting to be numbered: their classes end to end.
struct PendingSets {
    struct Entry {
        uint32_t node;
        uint32_t begin, end; // in `members`
        uint64_t hash;
    };
    std::vector<Entry> entries;
    std::vector<uint32_t> members;
};

// Keys the nodes [first, last): a node of one class by it in `keys`; the set of classes (sorted,
// distinct) of any other into `pending`. `stop(done)` is asked every kNodesPerCheckpoint nodes,
// and true ends the work early.
template <class Stop>
void key_nodes(const ClassesByNode& by_node, uint32_t first, uint32_t last,
               heap::BigVector<uint32_t>& keys, PendingSets& pending, Stop&& stop) {
    constexpr uint32_t kSortedUpTo = 32;
    std::vector<uint64_t> seen; // a bit per class
    std::vector<uint32_t>& members = pending.members;
    const size_t class_count = by_node.classes.text.size();
    for (uint32_t node = first; node < last; ++node) {
        if ((node - first) % kNodesPerCheckpoint == 0 && stop(node - first)) return;
        const uint32_t begin = by_node.relations.begin[node];
        const uint32_t end = by_node.relations.begin[node + 1];
        if (begin + 1 == end) { // most nodes: one referrer, one relation
            keys[node] = by_node.class_at(begin);
            continue;
        }
        const auto start = members.size();
        if (end - begin <= kSortedUpTo) {
            for (uint32_t i = begin; i < end; ++i) members.push_back(by_node.class_at(i));
            sort_few(members.begin() + std::ptrdiff_t(start), members.end());
            members.erase(std::unique(members.begin() + std::ptrdiff_t(start), members.end()),
                          members.end());
        } else {
            // Objects referred to by millions (None, a dict key every instance has) have few
            // distinct classes: marked, not sorted.
            if (seen.empty()) seen.resize((class_count + 63) / 64);
            for (uint32_t i = begin; i < end; ++i) {
                const uint32_t c = by_node.class_at(i);
                if (!(seen[c / 64] >> (c % 64) & 1)) {
                    seen[c / 64] |= uint64_t{1} << (c % 64);
                    members.push_back(c);
                }
            }
            for (auto c = members.begin() + std::ptrdiff_t(start); c != members.end(); ++c)
                seen[*c / 64] &= ~(uint64_t{1} << (*c % 64));
            sort_few(members.begin() + std::ptrdiff_t(start), members.end());
        }
        const std::span<const uint32_t> set(members.data() + start, members.size() - start);
        if (set.size() == 1) {
            keys[node] = set.front();
            members.resize(start);
            continue;
        }
        pending.entries.push_back(
            {node, uint32_t(start), uint32_t(members.size()), hash_words(set)});
    }
}

// Which pending sets a pass numbers: every one, or those whose hash has its top bit 0 or 1. Two
// threads split the sets so, each numbering its sets apart from the other's.
enum class SetShare { Every, TopBitZero, TopBitOne };

// Numbers the sets of `share` in `parts` in `table`, telling `set_key(node, set)`; `poll(done,
// total)` is told every kPollEvery sets looked at (of every share).
template <class SetKey, class Poll>
void number_sets(std::span<const PendingSets> parts, SetShare share, SetTable& table,
                 SetKey&& set_key, Poll&& poll) {
    size_t total = 0, done = 0;
    for (const PendingSets& part : parts) total += part.entries.size();
    // In batches, the table slots of a batch loaded ahead together: millions of distinct sets
    // make a table far bigger than the caches.
    constexpr size_t kBatch = 16;
    std::array<std::pair<const PendingSets*, const PendingSets::Entry*>, kBatch> batch;
    size_t batched = 0;
    auto number_batch = [&] {
        for (size_t i = 0; i < batched; ++i) {
            const auto& [part, entry] = batch[i];
            const std::span<const uint32_t> members(part->members.data() + entry->begin,
                                                    entry->end - entry->begin);
            set_key(entry->node, table.number(members, entry->hash));
        }
        batched = 0;
    };
    for (const PendingSets& part : parts)
        for (const PendingSets::Entry& entry : part.entries) {
            if (done++ % kPollEvery == 0) poll(done, total);
            if (share != SetShare::Every && (entry.hash >> 63) != (share == SetShare::TopBitOne))
                continue;
            table.prefetch(entry.hash);
            batch[batched++] = {&part, &entry};
            if (batched == kBatch) number_batch();
        }
    number_batch();
}

Sets sets_of_nodes(const ClassifyContext& context, const ClassesByNode& by_node) {
    constexpr std::string_view kStep = "grouping objects by how they are referred to";
    const size_t node_count = by_node.relations.begin.size() - 1;
    // The objects keyed are the first half of the step, their sets numbered the second.
    ClassifyContext keying = context;
    keying.progress = [&context](std::string_view what, uint64_t done, uint64_t total) {
        if (context.progress) context.progress(what, done / 2, total);
    };
    auto numbering = [&](size_t done, size_t total) {
        context.checkpoint(
            kStep, node_count / 2 + node_count / 2 * done / std::max<size_t>(total, 1), node_count);
    };
    Sets sets;
    sets.keys.resize(node_count);
    auto set_key = [&](uint32_t node, uint32_t set) { sets.keys[node] = Sets::kSet | set; };
    // From many nodes, two threads: each keys the nodes of half the relations, then each numbers
    // the sets whose hash has its top bit 0 (this one) or 1, whichever half they came from.
    std::array<PendingSets, 2> pending;
    const heap::BigVector<uint32_t>& begin = by_node.relations.begin;
    const auto half_the_relations =
        size_t(std::upper_bound(begin.begin(), begin.end(), begin.back() / 2) - begin.begin() - 1);
    const bool two =
        in_two_halves(
            keying, node_count, kStep,
            [&](size_t half, size_t first, size_t last, auto&& stop) {
                key_nodes(by_node, uint32_t(first), uint32_t(last), sets.keys, pending[half], stop);
            },
            half_the_relations) < node_count;
    SetTable second_sets;
    heap::BigVector<std::pair<uint32_t, uint32_t>> second_keys; // a node, its set
    std::optional<heap::SecondThread> second;
    if (two) {
        second.emplace([&](const std::atomic<bool>&) {
            number_sets(
                pending, SetShare::TopBitOne, second_sets,
                [&](uint32_t node, uint32_t set) { second_keys.emplace_back(node, set); },
                [](size_t, size_t) {});
        });
        if (!second->started()) second.reset();
    }
    number_sets(pending, second ? SetShare::TopBitZero : SetShare::Every, sets.table, set_key,
                numbering);
    sets.table.freeze();
    if (second) {
        second->finish();
        const auto first = uint32_t(sets.table.size());
        for (uint32_t set = 0; set < second_sets.size(); ++set)
            sets.table.append(second_sets.of(set));
        for (const auto& [node, set] : second_keys) set_key(node, first + set);
    }
    context.checkpoint(kStep, node_count, node_count);
    return sets;
}

// What names the kinds: a class its text, a set its classes' texts joined by ", ".
struct KindNames {
    TextArena texts;
    heap::BigVector<uint32_t> class_text;
    SetTable sets;
    heap::BigVector<uint32_t> of_rank; // a class, or Sets::kSet | a set

    std::string name(uint32_t rank) const {
        const uint32_t kind = of_rank[rank];
        if (!(kind & Sets::kSet)) return std::string(texts[class_text[kind]]);
        std::string name;
        for (uint32_t member : sets.of(kind & ~Sets::kSet)) {
            if (!name.empty()) name += ", ";
            name += texts[class_text[member]];
        }
        return name;
    }
};

// The sets grouped by the class they start with, each group in name order: group 0 the empty
// set, group c + 1 the sets that start with class c. A counting sort: millions of sets, mostly
// one to a group.
Grouped group_sets(const ClassifyContext& context, const SetTable& sets, size_t class_count) {
    constexpr size_t kSortedUpTo = 64;
    Grouped out = group_by(
        sets.size(), class_count + 1,
        [&](size_t set) {
            const std::span<const uint32_t> members = sets.of(uint32_t(set));
            return members.empty() ? 0 : members.front() + 1;
        },
        [](size_t set) { return uint32_t(set); });
    // Within a group, by the classes after the first (a set that ends sooner first).
    const auto part_bits = unsigned(std::bit_width(class_count + 1));
    const size_t parts_per_key = 64 / part_bits;
    for (size_t g = 1; g + 1 < out.begin.size(); ++g) {
        if (g % kPollEvery == 0) context.checkpoint(kRanking, g, 2 * out.begin.size());
        const std::span<uint32_t> members(out.values.data() + out.begin[g],
                                          out.begin[g + 1] - out.begin[g]);
        if (members.size() < 2) continue;
        if (members.size() <= kSortedUpTo) {
            std::sort(members.begin(), members.end(), [&](uint32_t a, uint32_t b) {
                return std::ranges::lexicographical_compare(sets.of(a).subspan(1),
                                                            sets.of(b).subspan(1));
            });
            continue;
        }
        // As many classes to a radix key as fit: fewer bits to sort by.
        const auto order = order_by_parts(
            members.size(), parts_per_key,
            [&](uint32_t i, size_t offset) {
                const std::span<const uint32_t> classes = sets.of(members[i]);
                uint64_t key = 0;
                for (size_t at = 1 + offset; at < 1 + offset + parts_per_key; ++at)
                    key = key << part_bits | (at < classes.size() ? classes[at] + 1 : 0);
                return key;
            },
            [&](uint32_t i) { return sets.of(members[i]).size() - 1; });
        const std::vector<uint32_t> unordered(members.begin(), members.end());
        for (size_t i = 0; i < order.size(); ++i) members[i] = unordered[order[i]];
    }
    return out;
}

// The kinds in name order, named only when shown. The texts are reprs of strings, so none is the
// start of another: set names compare as their class numbers do, a set after the sets and the
// class it starts with (and the empty set first). Equal names do not occur.
Kinds ranked_kinds(const ClassifyContext& context, TextArena&& texts, Classes&& classes,
                   Sets&& nodes) {
    SetTable& sets = nodes.table;
    const Grouped groups = group_sets(context, sets, classes.text.size());
    auto names = std::make_shared<KindNames>();
    heap::BigVector<uint32_t> rank_of_class(classes.text.size()), rank_of_set(sets.size());
    names->of_rank.reserve(classes.text.size() + sets.size());
    auto rank_group = [&](size_t g) {
        for (uint32_t i = groups.begin[g]; i < groups.begin[g + 1]; ++i) {
            rank_of_set[groups.values[i]] = uint32_t(names->of_rank.size());
            names->of_rank.push_back(Sets::kSet | groups.values[i]);
        }
    };
    rank_group(0);
    for (uint32_t c = 0; c < classes.text.size(); ++c) {
        rank_of_class[c] = uint32_t(names->of_rank.size());
        names->of_rank.push_back(c);
        rank_group(c + 1);
    }
    Kinds kinds;
    kinds.ordered = true;
    kinds.count = uint32_t(names->of_rank.size());
    kinds.keys = std::move(nodes.keys);
    for (size_t i = 0; i < kinds.keys.size(); ++i) {
        if (i % kPollEvery == 0)
            context.checkpoint(kRanking, kinds.keys.size() + i, 2 * kinds.keys.size());
        uint32_t& key = kinds.keys[i];
        key = key & Sets::kSet ? rank_of_set[key & ~Sets::kSet] : rank_of_class[key];
    }
    names->texts = std::move(texts);
    names->class_text = std::move(classes.text);
    names->sets = std::move(sets);
    kinds.name_of = [names = std::shared_ptr<const KindNames>(std::move(names))](uint32_t key) {
        return names->name(key);
    };
    return kinds;
}

} // namespace

// Millions of distinct relations are normal (every list index, every dict key): each text is
// made once, sorted once, and the kinds come out already ranked in name order.
Kinds via_kinds(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                bool whole_heap) {
    heap::BigVector<uint32_t> position;
    heap::BigVector<uint32_t> referrers = referrers_of(context, nodes, whole_heap, position);
    NumberedRelations relations =
        find_relations(context, referrers, whole_heap ? nullptr : &position);
    referrers = {};
    position = {};
    ClassesByNode by_node = classes_by_node(context, nodes.size(), relations);
    relations.found = {};
    relations.found_apart = {};
    Sets sets = sets_of_nodes(context, by_node);
    Classes classes = std::move(by_node.classes);
    classes.of_relation = {};
    by_node = {};
    return ranked_kinds(context, std::move(relations.texts), std::move(classes), std::move(sets));
}

} // namespace heapy::classify
