#include "core/classify/via_edges.hpp"

#include "core/heap/named_edges.hpp"
#include "core/heap/second_thread.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>

namespace heapy::classify {

namespace {

constexpr size_t kChunkRelations = 16384;
constexpr size_t kBlockReferrers = 1024;
constexpr size_t kChunksAhead = 4;

// heapy's Via leaves out the class pointer of instances.
bool is_class_pointer(const cpython::Relation& r) {
    return r.kind == cpython::RelationKind::InterAttribute && r.name &&
           std::string_view(r.name) == "ob_type";
}

} // namespace

// Decodes referrers with one decoder, a block at a time: the blocks are claimed from a cursor
// shared by both threads.
struct ViaEdges::Decoding {
    Decoding(const ClassifyContext& context, cpython::ObjectDecoder& decoder,
             std::span<const uint32_t> referrers, const heap::BigVector<uint32_t>* position,
             std::atomic<size_t>& cursor)
        : graph(context.graph), decoder(decoder), reachable_end(context.reachable_end),
          referrers(referrers), position(position), cursor(cursor) {}

    // The relations of the next blocks of referrers, about kChunkRelations of them; false when
    // every referrer was claimed.
    bool fill(std::vector<FoundRelation>& chunk) {
        chunk.clear();
        bool claimed = false;
        while (chunk.size() < kChunkRelations) {
            const size_t begin = cursor.fetch_add(kBlockReferrers, std::memory_order_relaxed);
            if (begin >= referrers.size()) break;
            claimed = true;
            const size_t end = std::min(begin + kBlockReferrers, referrers.size());
            for (size_t i = begin; i < end; ++i) add_relations(referrers[i], chunk);
        }
        return claimed;
    }

    void add_relations(uint32_t referrer, std::vector<FoundRelation>& chunk) {
        heap::named_edges(decoder, graph, referrer, edges);
        const bool unreachable_referrer = referrer >= reachable_end;
        for (const heap::NamedEdge& edge : edges) {
            const uint32_t at = position_of(edge.target);
            if (at == UINT32_MAX || (unreachable_referrer && edge.target < reachable_end) ||
                is_class_pointer(edge.relation))
                continue;
            chunk.push_back({at, edge.relation, edge.root_name});
        }
    }

    uint32_t position_of(uint32_t target) const {
        if (position) return (*position)[target];
        return target != 0 && target < reachable_end ? target - 1 : UINT32_MAX;
    }

    const heap::ObjectGraph& graph;
    cpython::ObjectDecoder& decoder;
    const uint32_t reachable_end;
    const std::span<const uint32_t> referrers;
    const heap::BigVector<uint32_t>* const position;
    std::atomic<size_t>& cursor;
    std::vector<heap::NamedEdge> edges;
};

// A second thread that decodes with a reader and decoder of its own, up to kChunksAhead chunks
// ahead of the caller (which decodes too when none is ready).
struct ViaEdges::Worker {
    Worker(const ClassifyContext& context, std::span<const uint32_t> referrers,
           const heap::BigVector<uint32_t>* position, std::atomic<size_t>& cursor)
        : reader(context.decoder->reader().memory()),
          decoder(reader, context.decoder->layout(), context.decoder->types()),
          decoding(context, decoder, referrers, position, cursor) {
        decoder.set_interpreter(context.decoder->interpreter());
    }
    ~Worker() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        changed.notify_all();
        if (thread.joinable()) thread.join();
    }

    bool start() {
        thread = heap::start_quiet_thread([this] { run(); });
        return thread.joinable();
    }

    void run() {
        std::vector<FoundRelation> chunk;
        try {
            for (;;) {
                {
                    std::unique_lock lock(mutex);
                    changed.wait(lock, [&] { return stopping || ready.size() < kChunksAhead; });
                    if (stopping) return;
                    if (!spare.empty()) {
                        chunk = std::move(spare.back());
                        spare.pop_back();
                    }
                }
                const bool more = decoding.fill(chunk);
                std::lock_guard lock(mutex);
                if (!more) break;
                ready.push_back(std::move(chunk));
                changed.notify_all();
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            error = std::current_exception();
        }
        std::lock_guard lock(mutex);
        ended = true;
        changed.notify_all();
    }

    // Swaps `chunk` for a decoded one: when one is ready, or (`wait`) once one is, and false when
    // the thread ended without one.
    bool take(std::vector<FoundRelation>& chunk, bool wait) {
        std::unique_lock lock(mutex);
        if (wait) changed.wait(lock, [&] { return !ready.empty() || ended; });
        if (ready.empty()) {
            if (error) std::rethrow_exception(error);
            return false;
        }
        if (chunk.capacity() != 0) spare.push_back(std::move(chunk));
        chunk = std::move(ready.front());
        ready.pop_front();
        changed.notify_all();
        return true;
    }

    cpython::Reader reader;
    cpython::ObjectDecoder decoder;
    Decoding decoding;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<FoundRelation>> ready;  // decoded, in order
    std::vector<std::vector<FoundRelation>> spare; // handed back, to be filled again
    bool stopping = false;
    bool ended = false;
    std::exception_ptr error;
};

ViaEdges::ViaEdges(const ClassifyContext& context, std::span<const uint32_t> referrers,
                   const heap::BigVector<uint32_t>* position)
    : context_(context), referrer_count_(referrers.size()),
      own_(std::make_unique<Decoding>(context, *context.decoder, referrers, position, cursor_)) {
    if (heap::second_thread_allowed(context.decoder->reader().memory())) {
        worker_ = std::make_unique<Worker>(context, referrers, position, cursor_);
        if (!worker_->start()) worker_.reset();
    }
}

ViaEdges::~ViaEdges() = default;

bool ViaEdges::next(std::vector<FoundRelation>& chunk) {
    context_.checkpoint("finding how objects are referred to",
                        std::min(cursor_.load(std::memory_order_relaxed), referrer_count_),
                        referrer_count_);
    if (!worker_) return own_->fill(chunk);
    return worker_->take(chunk, false) || own_->fill(chunk) || worker_->take(chunk, true);
}

} // namespace heapy::classify
