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
          cursor(cursor) {
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

// Adds what `other` found to `into`, renumbered by `into`'s numbers.
void merge(Share& into, Share& other) {
    const heap::BigVector<RelationKey> keys = other.ids.take_keys();
    heap::BigVector<uint32_t> renumbered(keys.size());
    for (uint32_t i = 0; i < keys.size(); ++i) {
        renumbered[i] = into.ids.id(keys[i]);
        if (renumbered[i] == into.texts.size()) into.texts.add(other.texts[i]);
    }
    for (const auto& [at, id] : other.found) into.found.emplace_back(at, renumbered[id]);
    other.found = {};
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
        merge(own, second->share);
        second.reset();
    }
    return {std::move(own.found), std::move(own.texts)};
}

} // namespace heapy::classify
