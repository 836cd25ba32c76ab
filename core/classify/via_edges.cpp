#include "core/classify/via_edges.hpp"

#include "core/classify/kinds.hpp"
#include "core/classify/relation_ids.hpp"
#include "core/classify/via_relations.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/second_thread.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <optional>
#include <string_view>
#include <vector>

namespace heapy::classify {

namespace {

constexpr size_t kBlockReferrers = 1024;
constexpr uint32_t kEdgesPerUnit = uint32_t{1} << 14;
constexpr size_t kUnitsPerCheckpoint = 16;
constexpr unsigned kCachedIdBits = 12;

using Records = heap::RecordedRelations;

// What the names of InterAttribute relations (`->name`) mean for via, by the name's address:
// few distinct static strings, compared once each.
class InterNames {
  public:
    bool is_class_pointer(uint64_t relation) {
        return is_inter(relation) && meaning(relation) == Meaning::ClassPointer;
    }
    // Whether the relation names a field, which the decoders may report twice (names_a_field
    // in named_edges.cpp).
    bool names_a_field(uint64_t relation) {
        switch (cpython::RelationKind(relation >> Records::kKindShift)) {
        case cpython::RelationKind::Attribute:
        case cpython::RelationKind::AttributeCName:
            return true;
        case cpython::RelationKind::InterAttribute:
            return meaning(relation) != Meaning::Unknown;
        default:
            return false;
        }
    }

  private:
    enum class Meaning { Field, ClassPointer, Unknown };
    static bool is_inter(uint64_t relation) {
        return cpython::RelationKind(relation >> Records::kKindShift) ==
               cpython::RelationKind::InterAttribute;
    }
    Meaning meaning(uint64_t relation) {
        const char* name = Records::unpack(relation).name;
        for (const auto& [known, meaning] : known_)
            if (known == name) return meaning;
        const std::string_view text = name ? name : "??";
        const Meaning meaning = text == "ob_type" ? Meaning::ClassPointer
                                : text == "??"    ? Meaning::Unknown
                                                  : Meaning::Field;
        known_.emplace_back(name, meaning);
        return meaning;
    }
    std::vector<std::pair<const char*, Meaning>> known_;
};

// A share of the work, claimed by one thread: referrers [first, last) whole, or (when split)
// the recorded edges [edge_first, edge_last) of referrer `first`.
struct Unit {
    uint32_t first = 0, last = 0;
    uint32_t edge_first = 0, edge_last = 0;
    bool split() const { return edge_last != 0; }
};

// Whether the recorded edges [first, last) say every relation plainly: each recorded whole, and
// no field twice to one target (which named_edges() counts once when it is the same field), nor
// more than a few fields. They can then be numbered in any parts, by either thread.
bool plainly_recorded(const heap::RecordedRelations& recorded, uint32_t first, uint32_t last,
                      InterNames& inter_names, std::vector<uint32_t>& field_targets) {
    constexpr size_t kMaxFields = 64;
    field_targets.clear();
    for (uint32_t i = first; i < last; ++i) {
        if (!recorded.whole(i)) return false;
        const uint32_t target = recorded.targets[i];
        if (target == heap::AddressIndex::kMissing ||
            !inter_names.names_a_field(recorded.relations[i]))
            continue;
        if (field_targets.size() == kMaxFields ||
            std::ranges::find(field_targets, target) != field_targets.end())
            return false;
        field_targets.push_back(target);
    }
    return true;
}

// The referrers in units of kBlockReferrers referrers or about kEdgesPerUnit edges; a referrer
// with more edges, recorded plainly (a list of millions), in units of kEdgesPerUnit of its
// edges, so that one thread is not left alone with it. `edges`: how many the graph has.
std::vector<Unit> units_of(const heap::ObjectGraph& graph, std::span<const uint32_t> referrers,
                           size_t& edges) {
    std::vector<Unit> units;
    InterNames inter_names;
    std::vector<uint32_t> field_targets;
    Unit block;
    size_t block_edges = 0;
    auto close_block = [&](uint32_t end) {
        if (end > block.first) units.push_back({block.first, end});
        block = {end, end};
        block_edges = 0;
    };
    for (uint32_t i = 0; i < referrers.size(); ++i) {
        const uint32_t referrer = referrers[i];
        const uint32_t count = graph.edge_begin[referrer + 1] - graph.edge_begin[referrer];
        edges += count;
        const auto range = graph.recorded && count > kEdgesPerUnit
                               ? graph.recorded->edges_of(referrer)
                               : std::nullopt;
        if (range && plainly_recorded(*graph.recorded, range->first, range->second, inter_names,
                                      field_targets)) {
            close_block(i);
            for (uint32_t e = range->first; e < range->second; e += kEdgesPerUnit)
                units.push_back({i, i + 1, e, std::min(e + kEdgesPerUnit, range->second)});
            block = {i + 1, i + 1};
            continue;
        }
        block_edges += count;
        if (i + 1 - block.first >= kBlockReferrers || block_edges >= kEdgesPerUnit)
            close_block(i + 1);
    }
    close_block(uint32_t(referrers.size()));
    return units;
}

// The kinds of relations by index alone, by slot (NumberedRelations::kIndexed).
constexpr std::array<cpython::RelationKind, NumberedRelations::kIndexedKinds> indexed_kinds = {
    cpython::RelationKind::Index, cpython::RelationKind::DictKey, cpython::RelationKind::Stack,
    cpython::RelationKind::SetMember};

// The slot of a relation by index alone (an index below 2^kIndexBits, no name or object).
std::optional<size_t> indexed_slot(const RelationKey& key) {
    if (key.name || key.object || uint32_t(key.kind_index) >> NumberedRelations::kIndexBits)
        return std::nullopt;
    const auto kind = cpython::RelationKind(key.kind_index >> 32);
    for (size_t slot = 0; slot < indexed_kinds.size(); ++slot)
        if (indexed_kinds[slot] == kind) return slot;
    return std::nullopt;
}

// heapy's Via leaves out the class pointer of instances.
bool is_class_pointer(const cpython::Relation& r) {
    return r.kind == cpython::RelationKind::InterAttribute && r.name &&
           std::string_view(r.name) == "ob_type";
}

// One thread's share: units of work claimed from a cursor shared by both threads, decoded
// with one decoder, the relations found numbered by this share's own RelationIds and each new
// one named at once (its key object was just read); those by index alone only marked.
struct Share {
    Share(const ClassifyContext& context, cpython::ObjectDecoder& decoder,
          std::span<const uint32_t> referrers, const std::vector<Unit>& units,
          const heap::BigVector<uint32_t>* position, std::atomic<size_t>& cursor, size_t edges)
        : graph(context.graph), decoder(decoder), texter(*context.decoder, decoder.reader()),
          reachable_end(context.reachable_end), referrers(referrers), units(units),
          position(position), cursor(cursor), recorded(context.graph.recorded.get()) {
        found.reserve(edges); // address space only: untouched pages cost nothing
    }

    // Does the next unit; false when every unit was claimed.
    bool next_unit() {
        const size_t next = cursor.fetch_add(1, std::memory_order_relaxed);
        if (next >= units.size()) return false;
        const Unit& unit = units[next];
        if (unit.split())
            add_recorded_edges(referrers[unit.first], unit.edge_first, unit.edge_last);
        else
            for (uint32_t i = unit.first; i < unit.last; ++i) add_relations(referrers[i]);
        return true;
    }

    void add_relations(uint32_t referrer) {
        if (recorded && add_recorded_relations(referrer)) return;
        heap::named_edges(decoder, graph, referrer, edges);
        const bool unreachable_referrer = referrer >= reachable_end;
        for (const heap::NamedEdge& edge : edges) {
            const uint32_t at = position_of(edge.target);
            if (at == UINT32_MAX || (unreachable_referrer && edge.target < reachable_end) ||
                is_class_pointer(edge.relation))
                continue;
            found.emplace_back(at, number_of(RelationKey::of(edge.relation, edge.root_name)));
        }
    }

    // From what the walk recorded, when it says every edge of `referrer` plainly.
    bool add_recorded_relations(uint32_t referrer) {
        const auto range = recorded->edges_of(referrer);
        if (!range ||
            !plainly_recorded(*recorded, range->first, range->second, inter_names, field_targets))
            return false;
        add_recorded_edges(referrer, range->first, range->second);
        return true;
    }

    // The relations of the recorded edges [first, last) of `referrer`.
    void add_recorded_edges(uint32_t referrer, uint32_t first, uint32_t last) {
        const bool unreachable_referrer = referrer >= reachable_end;
        for (uint32_t i = first; i < last; ++i) {
            const uint32_t target = recorded->targets[i];
            if (target == heap::AddressIndex::kMissing) continue;
            const uint32_t at = position_of(target);
            if (at == UINT32_MAX || (unreachable_referrer && target < reachable_end)) continue;
            const uint64_t relation = recorded->relations[i] & ~Records::kOwnedDict;
            if (inter_names.is_class_pointer(relation)) continue;
            found.emplace_back(at, id_of(relation));
        }
    }

    // The number of a packed relation: most are few and repeated (an attribute of every
    // instance), looked up in a small cache before RelationIds.
    uint32_t id_of(uint64_t relation) {
        CachedId& cached = cached_ids[(relation * 0x9e3779b97f4a7c15ULL) >> (64 - kCachedIdBits)];
        if (cached.relation == relation) return cached.id;
        const uint32_t id = number_of(RelationKey::of(Records::unpack(relation), {}));
        cached = {relation, id};
        return id;
    }

    // The number of a relation, its text made when new; by index alone, marked used.
    uint32_t number_of(const RelationKey& key) {
        const std::optional<size_t> slot = indexed_slot(key);
        if (!slot) {
            const uint32_t id = ids.id(key);
            if (id == texts.size()) texter.add(key, texts);
            return id;
        }
        const auto index = uint32_t(key.kind_index);
        std::vector<uint64_t>& used = used_indices[*slot];
        if (index / 64 >= used.size())
            used.resize(std::max<size_t>(index / 64 + 1, used.size() * 2));
        used[index / 64] |= uint64_t{1} << (index % 64);
        return NumberedRelations::kIndexed | uint32_t(*slot) << NumberedRelations::kIndexBits |
               index;
    }

    uint32_t position_of(uint32_t target) const {
        if (position) return (*position)[target];
        return target != 0 && target < reachable_end ? target - 1 : UINT32_MAX;
    }

    const heap::ObjectGraph& graph;
    cpython::ObjectDecoder& decoder;
    RelationTexter texter;
    const uint32_t reachable_end;
    const std::span<const uint32_t> referrers;
    const std::vector<Unit>& units;
    const heap::BigVector<uint32_t>* const position;
    std::atomic<size_t>& cursor;
    std::vector<heap::NamedEdge> edges;
    const Records* const recorded;
    InterNames inter_names;
    std::vector<uint32_t> field_targets;
    struct CachedId {
        uint64_t relation = Records::kUnpacked;
        uint32_t id = 0;
    };
    std::vector<CachedId> cached_ids = std::vector<CachedId>(size_t{1} << kCachedIdBits);
    heap::BigVector<std::pair<uint32_t, uint32_t>> found;
    RelationIds ids;
    TextArena texts; // of each number
    // Of each kind of relation by index alone: a bit per index found.
    std::array<std::vector<uint64_t>, NumberedRelations::kIndexedKinds> used_indices;
};

// The second thread's share, with a reader and decoder of its own.
struct SecondShare {
    SecondShare(const ClassifyContext& context, std::span<const uint32_t> referrers,
                const std::vector<Unit>& units, const heap::BigVector<uint32_t>* position,
                std::atomic<size_t>& cursor, size_t edges)
        : reader(context.decoder->reader().memory()),
          decoder(reader, context.decoder->layout(), context.decoder->types()),
          share(context, decoder, referrers, units, position, cursor, edges),
          thread([this, interpreter = context.decoder->interpreter()](const auto& stop) {
              decoder.set_interpreter(interpreter);
              while (!stop.load(std::memory_order_relaxed) && share.next_unit()) {
              }
          }) {}

    cpython::Reader reader;
    cpython::ObjectDecoder decoder;
    Share share;
    heap::SecondThread thread; // last: it uses the others
};

using UsedIndices = std::array<std::vector<uint64_t>, NumberedRelations::kIndexedKinds>;

// The words [first, last) of `slot`'s bits in `used`, part `part` of `parts` of them.
std::pair<size_t, size_t> words_of(const UsedIndices& used, size_t slot, size_t part,
                                   size_t parts) {
    const size_t words = used[slot].size();
    return {words * part / parts, words * (part + 1) / parts};
}

// Names the relations by index alone marked in `used`, part `part` of `parts` of each kind's
// bits: into `texts`, numbered in `numbers` from `first` on.
void name_indexed(
    const UsedIndices& used, size_t part, size_t parts, uint32_t first, RelationTexter& texter,
    TextArena& texts,
    std::array<heap::BigVector<uint32_t>, NumberedRelations::kIndexedKinds>& numbers) {
    for (size_t slot = 0; slot < used.size(); ++slot) {
        const uint64_t kind = uint64_t(indexed_kinds[slot]) << 32;
        const auto [begin, end] = words_of(used, slot, part, parts);
        for (size_t w = begin; w < end; ++w)
            for (uint64_t bits = used[slot][w]; bits != 0; bits &= bits - 1) {
                const auto index = uint32_t(w * 64 + size_t(std::countr_zero(bits)));
                numbers[slot][index] = first++;
                texter.add({kind | index, 0, 0}, texts);
            }
    }
}

// What `own` and `other` (if any) found, `other`'s numbers after `own`'s, then the relations by
// index alone that either found, numbered and named (by both, when there are many).
NumberedRelations merged(Share& own, Share* other) {
    NumberedRelations out;
    out.found = std::move(own.found);
    out.texts = std::move(own.texts);
    UsedIndices& used = own.used_indices;
    size_t used_words = 0;
    if (other) {
        out.apart_from = uint32_t(out.texts.size());
        out.texts.append(other->texts);
        out.found_apart = std::move(other->found);
        for (size_t slot = 0; slot < used.size(); ++slot) {
            const std::vector<uint64_t>& more = other->used_indices[slot];
            if (more.size() > used[slot].size()) used[slot].resize(more.size());
            for (size_t w = 0; w < more.size(); ++w) used[slot][w] |= more[w];
        }
    }
    for (size_t slot = 0; slot < used.size(); ++slot) {
        out.indexed[slot].resize(used[slot].size() * 64);
        used_words += used[slot].size();
    }
    // From many, the second half of each kind's bits in a second thread, its texts numbered on
    // after those of the first half.
    const auto first = uint32_t(out.texts.size());
    size_t in_first_half = 0;
    for (size_t slot = 0; slot < used.size(); ++slot) {
        const auto [begin, end] = words_of(used, slot, 0, 2);
        for (size_t w = begin; w < end; ++w) in_first_half += size_t(std::popcount(used[slot][w]));
    }
    TextArena second_texts;
    std::optional<heap::SecondThread> second;
    if (other && used_words * 64 >= kNodesForTwoThreads) {
        second.emplace([&](const std::atomic<bool>&) {
            name_indexed(used, 1, 2, first + uint32_t(in_first_half), other->texter, second_texts,
                         out.indexed);
        });
        if (!second->started()) second.reset();
    }
    name_indexed(used, 0, second ? 2 : 1, first, own.texter, out.texts, out.indexed);
    if (second) {
        second->finish();
        out.texts.append(second_texts);
    }
    return out;
}

} // namespace

NumberedRelations find_relations(const ClassifyContext& context,
                                 std::span<const uint32_t> referrers,
                                 const heap::BigVector<uint32_t>* position) {
    size_t edges = 0;
    const std::vector<Unit> units = units_of(context.graph, referrers, edges);
    std::atomic<size_t> cursor{0};
    Share own(context, *context.decoder, referrers, units, position, cursor, edges);
    std::optional<SecondShare> second;
    if (heap::second_thread_allowed(context.decoder->reader().memory())) {
        second.emplace(context, referrers, units, position, cursor, edges);
        if (!second->thread.started()) second.reset();
    }
    for (size_t done = 0;; ++done) {
        if (done % kUnitsPerCheckpoint == 0)
            context.checkpoint("finding how objects are referred to",
                               std::min(cursor.load(std::memory_order_relaxed), units.size()),
                               units.size());
        if (!own.next_unit()) break;
    }
    if (second) second->thread.finish();
    return merged(own, second ? &second->share : nullptr);
}

} // namespace heapy::classify
