#include "core/classify/via_edges.hpp"

#include "core/classify/via_relations.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/second_thread.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string_view>
#include <vector>

namespace heapy::classify {

namespace {

constexpr size_t kBlockReferrers = 1024;
constexpr size_t kBlocksPerCheckpoint = 16;
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

// heapy's Via leaves out the class pointer of instances.
bool is_class_pointer(const cpython::Relation& r) {
    return r.kind == cpython::RelationKind::InterAttribute && r.name &&
           std::string_view(r.name) == "ob_type";
}

// One thread's share: blocks of referrers claimed from a cursor shared by both threads, decoded
// with one decoder, the relations found numbered by this share's own RelationIds and each new
// one named at once (its key object was just read).
struct Share {
    Share(const ClassifyContext& context, cpython::ObjectDecoder& decoder,
          std::span<const uint32_t> referrers, const heap::BigVector<uint32_t>* position,
          std::atomic<size_t>& cursor, size_t edges)
        : graph(context.graph), decoder(decoder), texter(*context.decoder, decoder.reader()),
          reachable_end(context.reachable_end), referrers(referrers), position(position),
          cursor(cursor), recorded(context.graph.recorded.get()) {
        found.reserve(edges); // address space only: untouched pages cost nothing
    }

    // Decodes the next block; false when every block was claimed.
    bool next_block() {
        const size_t begin = cursor.fetch_add(kBlockReferrers, std::memory_order_relaxed);
        if (begin >= referrers.size()) return false;
        const size_t end = std::min(begin + kBlockReferrers, referrers.size());
        for (size_t i = begin; i < end; ++i) add_relations(referrers[i]);
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
            const RelationKey key = RelationKey::of(edge.relation, edge.root_name);
            const uint32_t id = ids.id(key);
            if (id == texts.size()) texter.add(key, texts);
            found.emplace_back(at, id);
        }
    }

    // From what the walk recorded, when it says every edge of `referrer` plainly.
    bool add_recorded_relations(uint32_t referrer) {
        const auto range = recorded->edges_of(referrer);
        if (!range || !plainly_recorded(range->first, range->second)) return false;
        const bool unreachable_referrer = referrer >= reachable_end;
        for (uint32_t i = range->first; i < range->second; ++i) {
            const uint32_t target = recorded->targets[i];
            if (target == heap::AddressIndex::kMissing) continue;
            const uint32_t at = position_of(target);
            if (at == UINT32_MAX || (unreachable_referrer && target < reachable_end)) continue;
            const uint64_t relation = recorded->relations[i] & ~Records::kOwnedDict;
            if (inter_names.is_class_pointer(relation)) continue;
            found.emplace_back(at, id_of(relation));
        }
        return true;
    }

    // Whether the edges [first, last) are recorded whole, no field twice to one target (which
    // named_edges() counts once, when it is the same field).
    bool plainly_recorded(uint32_t first, uint32_t last) {
        field_targets.clear();
        for (uint32_t i = first; i < last; ++i) {
            const uint64_t relation = recorded->relations[i];
            const uint32_t target = recorded->targets[i];
            if (relation == Records::kUnpacked || target == Records::kDecodeAgain) return false;
            if (target == heap::AddressIndex::kMissing || !inter_names.names_a_field(relation))
                continue;
            if (std::ranges::find(field_targets, target) != field_targets.end()) return false;
            field_targets.push_back(target);
        }
        return true;
    }

    // The number of a packed relation: most are few and repeated (an attribute of every
    // instance), looked up in a small cache before RelationIds.
    uint32_t id_of(uint64_t relation) {
        CachedId& cached = cached_ids[(relation * 0x9e3779b97f4a7c15ULL) >> (64 - kCachedIdBits)];
        if (cached.relation == relation) return cached.id;
        const RelationKey key = RelationKey::of(Records::unpack(relation), {});
        const uint32_t id = ids.id(key);
        if (id == texts.size()) texter.add(key, texts);
        cached = {relation, id};
        return id;
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
};

// The second thread's share, with a reader and decoder of its own.
struct SecondShare {
    SecondShare(const ClassifyContext& context, std::span<const uint32_t> referrers,
                const heap::BigVector<uint32_t>* position, std::atomic<size_t>& cursor,
                size_t edges)
        : reader(context.decoder->reader().memory()),
          decoder(reader, context.decoder->layout(), context.decoder->types()),
          share(context, decoder, referrers, position, cursor, edges),
          thread([this, interpreter = context.decoder->interpreter()](const auto& stop) {
              decoder.set_interpreter(interpreter);
              while (!stop.load(std::memory_order_relaxed) && share.next_block()) {
              }
          }) {}

    cpython::Reader reader;
    cpython::ObjectDecoder decoder;
    Share share;
    heap::SecondThread thread; // last: it uses the others
};

// What `own` and `other` found, `other`'s numbers made `own`'s.
NumberedRelations merged(Share& own, Share& other) {
    NumberedRelations out;
    const heap::BigVector<RelationKey> keys = other.ids.take_keys();
    out.renumbered.resize(keys.size());
    for (uint32_t i = 0; i < keys.size(); ++i) {
        out.renumbered[i] = own.ids.id(keys[i]);
        if (out.renumbered[i] == own.texts.size()) own.texts.add(other.texts[i]);
    }
    out.found = std::move(own.found);
    out.found_apart = std::move(other.found);
    out.texts = std::move(own.texts);
    return out;
}

} // namespace

NumberedRelations find_relations(const ClassifyContext& context,
                                 std::span<const uint32_t> referrers,
                                 const heap::BigVector<uint32_t>* position) {
    size_t edges = 0;
    for (uint32_t referrer : referrers)
        edges += context.graph.edge_begin[referrer + 1] - context.graph.edge_begin[referrer];
    std::atomic<size_t> cursor{0};
    Share own(context, *context.decoder, referrers, position, cursor, edges);
    std::optional<SecondShare> second;
    if (heap::second_thread_allowed(context.decoder->reader().memory())) {
        second.emplace(context, referrers, position, cursor, edges);
        if (!second->thread.started()) second.reset();
    }
    for (size_t blocks = 0;; ++blocks) {
        if (blocks % kBlocksPerCheckpoint == 0)
            context.checkpoint("finding how objects are referred to",
                               std::min(cursor.load(std::memory_order_relaxed), referrers.size()),
                               referrers.size());
        if (!own.next_block()) break;
    }
    if (second) {
        second->thread.finish();
        NumberedRelations out = merged(own, second->share);
        return out;
    }
    return {std::move(own.found), {}, {}, std::move(own.texts)};
}

} // namespace heapy::classify
