#include "core/classify/via_relations.hpp"

#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "core/heap/second_thread.hpp"
#include "core/report/pyrepr.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <string_view>
#include <thread>

namespace heapy::classify {

namespace {

// Below this many texts a second thread costs more than it saves.
constexpr size_t kTextsForTwoThreads = size_t{1} << 16;
constexpr size_t kTextsPerCheckpoint = size_t{1} << 14;

size_t hash_of(const RelationKey& k) {
    const uint64_t h =
        k.kind_index * 0x9e3779b97f4a7c15ULL ^ k.name * 0xc2b2ae3d27d4eb4fULL ^ k.object;
    return size_t(h ^ (h >> 29));
}

RelationKey key_of(const FoundRelation& found) {
    const cpython::Relation& r = found.relation;
    const char* name = r.kind == cpython::RelationKind::Root ? found.root_name.data() : r.name;
    return {uint64_t(r.kind) << 32 | r.index, uint64_t(uintptr_t(name)), r.object};
}

// The relation a key stands for (root names are NUL-terminated: the graph's strings, or "??").
heap::NamedEdge edge_of(const RelationKey& key) {
    cpython::Relation r;
    r.kind = cpython::RelationKind(key.kind_index >> 32);
    r.index = uint32_t(key.kind_index);
    r.object = key.object;
    const char* name = reinterpret_cast<const char*>(uintptr_t(key.name));
    if (r.kind == cpython::RelationKind::Root)
        return {0, r, name ? std::string_view(name) : std::string_view()};
    r.name = name;
    return {0, r, {}};
}

// Texts [begin, end) of `keys` into `out`; stops early once `stop` is set.
void make_texts(cpython::ObjectDecoder& decoder, const heap::BigVector<RelationKey>& keys,
                size_t begin, size_t end, TextArena& out, const std::atomic<bool>& stop) {
    for (size_t i = begin; i < end; ++i) {
        if (i % kTextsPerCheckpoint == 0 && stop.load(std::memory_order_relaxed)) return;
        out.add(report::py_repr_str(heap::via_text(decoder, edge_of(keys[i]))));
    }
}

// The second half of the texts, made in a thread of its own.
struct TextWorker {
    TextWorker(cpython::ObjectDecoder& main, const heap::BigVector<RelationKey>& keys, size_t begin)
        : reader(main.reader().memory()), types(main.types().fork(reader)),
          decoder(reader, main.layout(), *types) {
        decoder.set_interpreter(main.interpreter());
        thread = heap::start_quiet_thread([this, &keys, begin] {
            try {
                make_texts(decoder, keys, begin, keys.size(), texts, stop);
            } catch (...) {
                error = std::current_exception();
            }
        });
    }
    ~TextWorker() {
        stop.store(true, std::memory_order_relaxed);
        if (thread.joinable()) thread.join();
    }
    // Waits for the texts; rethrows what the thread threw.
    const TextArena& finish() {
        if (thread.joinable()) thread.join();
        if (error) std::rethrow_exception(error);
        return texts;
    }

    cpython::Reader reader;
    std::unique_ptr<cpython::TypeRegistry> types;
    cpython::ObjectDecoder decoder;
    TextArena texts;
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::thread thread;
};

} // namespace

size_t RelationIds::numbered_kind(cpython::RelationKind kind) {
    switch (kind) {
    case cpython::RelationKind::Index:
        return 0;
    case cpython::RelationKind::DictKey:
        return 1;
    case cpython::RelationKind::Stack:
        return 2;
    case cpython::RelationKind::SetMember:
        return 3;
    default:
        return kNumberedKinds;
    }
}

uint32_t RelationIds::id(const FoundRelation& found) {
    const cpython::Relation& r = found.relation;
    const size_t numbered = numbered_kind(r.kind);
    if (numbered < kNumberedKinds && !r.name && !r.object && r.index < kMaxNumbered) {
        heap::BigVector<uint32_t>& ids = by_index_[numbered];
        if (r.index >= ids.size()) ids.resize(std::max<size_t>(r.index + 1, ids.size() * 2), kNone);
        uint32_t& id = ids[r.index];
        if (id == kNone) {
            id = uint32_t(keys_.size());
            keys_.push_back(key_of(found));
        }
        return id;
    }
    const RelationKey key = key_of(found);
    auto [id, added] = ids_.insert(
        hash_of(key), [&](uint32_t known) { return keys_[known] == key; }, uint32_t(keys_.size()));
    if (added) keys_.push_back(key);
    return id;
}

TextArena relation_texts(const ClassifyContext& context, const heap::BigVector<RelationKey>& keys) {
    cpython::ObjectDecoder& decoder = *context.decoder;
    size_t split = keys.size();
    std::unique_ptr<TextWorker> worker;
    if (keys.size() >= kTextsForTwoThreads &&
        heap::second_thread_allowed(decoder.reader().memory())) {
        split = keys.size() / 2;
        worker = std::make_unique<TextWorker>(decoder, keys, split);
        if (!worker->thread.joinable()) {
            worker.reset();
            split = keys.size();
        }
    }
    TextArena texts;
    const std::atomic<bool> never{false};
    for (size_t begin = 0; begin < split; begin += kTextsPerCheckpoint) {
        context.checkpoint("naming relations", begin, keys.size());
        make_texts(decoder, keys, begin, std::min(begin + kTextsPerCheckpoint, split), texts,
                   never);
    }
    if (worker) texts.append(worker->finish());
    return texts;
}

} // namespace heapy::classify
