#include "core/heap/heap_walker.hpp"

#include "core/cpython/allocations.hpp"
#include "core/cpython/refcount.hpp"
#include "core/errors.hpp"
#include "core/heap/decode_stage.hpp"
#include "core/heap/found_ring.hpp"
#include "core/heap/memory_limit.hpp"
#include "core/heap/second_thread.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <thread>
#include <unordered_set>

namespace heapy::heap {

namespace {

using cpython::Kind;
using cpython::Referent;
using cpython::Relation;
using cpython::TypeInfo;

constexpr uint64_t kPollInterval = 1 << 14;
// How many nodes ahead of the one being decoded the walk asks the CPU to load: by the time it
// gets there, the object's first cache line is no longer a miss.
constexpr uint32_t kPrefetchDistance = 16;
// How many referents ahead of the one being resolved the resolver asks the CPU to load.
constexpr uint64_t kResolveLookahead = 16;
constexpr int64_t kMaxPlausibleRefcount = int64_t{1} << 40;
constexpr size_t kMaxHeaderSize = 32; // sizeof(PyObject) in free-threaded builds
// Referents of one object that may fail to be objects before the object counts as corrupt (an
// array read past its end) and its decoder is told to stop.
constexpr uint32_t kMaxRejectsPerObject = 16;

} // namespace

// The resolving half of the walk: turns the referents the decoders report into nodes and
// edges, in order.
class HeapWalker::Walker {
  public:
    Walker(cpython::ObjectDecoder& decoder, ObjectGraph& graph)
        : decoder_(decoder), reader_(decoder.reader()), types_(decoder.types()), graph_(graph) {
        if (header_size_ > kMaxHeaderSize)
            throw Error(
                fmt::format("an object header of {} bytes is more than heapy reads", header_size_));
        if (const TypeInfo* dict = types_.get(types_.address_of(Kind::Dict)))
            graph_.dict_type = dict->index;
        if (const TypeInfo* frame = types_.get(types_.address_of(Kind::Frame))) {
            frame_type_ = frame->index;
            have_frame_type_ = true;
        }
    }

    cpython::ObjectDecoder& decoder() { return decoder_; }

    // Asks the CPU to start loading what resolving `found` will read.
    void prefetch(const Found& found) {
        if (found.what != Found::What::Edge && found.what != Found::What::OwnedEdge) return;
        graph_.index.prefetch(found.address);
        reader_.prefetch(found.address);
    }

    void begin_node(uint32_t node) {
        current_ = node;
        rejected_here_ = 0;
        skipping_ = false;
    }

    void take(const Found& found) {
        switch (found.what) {
        case Found::What::Edge:
        case Found::What::OwnedEdge:
            take_edge(found);
            break;
        case Found::What::Corrupt:
            if (!skipping_) corrupt();
            break;
        case Found::What::Poll:
            // A decoder in another thread asked here whether to stop; it stops when told.
            if (!skipping_) skipping_ = saturated();
            break;
        case Found::What::End:
        case Found::What::Handoff:
            break;
        }
    }

    void take_edge(const Found& found) {
        uint32_t target = RecordedRelations::kDecodeAgain;
        if (!skipping_) {
            target = edge(found.address, found.referent, found.what == Found::What::OwnedEdge);
            // A guess turned down here may be an object that another edge leads to.
            if (found.referent == Referent::Guess || found.referent == Referent::Scanned) {
                if (target == AddressIndex::kMissing)
                    target = RecordedRelations::kDecodeAgain;
                else if (found.referent == Referent::Scanned)
                    ++graph_.guessed;
            }
        }
        if (graph_.recorded) graph_.recorded->targets.push_back(target);
    }

    bool saturated() const {
        return current_ != ObjectGraph::kRoot && rejected_here_ >= kMaxRejectsPerObject;
    }
    // The node a decoder in another thread should stop decoding, if any.
    void tell_saturated_to(std::atomic<uint32_t>* saturated_node) {
        saturated_node_ = saturated_node;
    }

    // Returns the target's node, or AddressIndex::kMissing.
    uint32_t edge(uint64_t address, Referent referent, bool owned_dict) {
        const size_t nodes_before = graph_.nodes.size();
        uint32_t target = resolve(address, referent);
        if (target == AddressIndex::kMissing) return target;
        uint32_t first = graph_.edge_begin[current_];
        // A field reported twice in a row is one edge, but its second report may say that it
        // is the owner's dict (a C type's `__dict__` member, then its tp_dictoffset slot).
        if (graph_.targets.size() <= first || graph_.targets.back() != target)
            graph_.targets.push_back(target);
        if (!owned_dict) return target;
        if (graph_.nodes.size() != nodes_before) {
            graph_.dict_owners.add_new(target, current_); // made by this edge
            return target;
        }
        const uint32_t owner = graph_.dict_owner(target);
        if (owner == ObjectGraph::kNoOwner ||
            graph_.nodes[current_].address() < graph_.nodes[owner].address())
            graph_.dict_owners.set(target, current_);
        return target;
    }

    // Adds `address` as an object node unless known; false when it is not a readable object.
    bool seed(uint64_t address) {
        return resolve(address, Referent::Object) != AddressIndex::kMissing;
    }

  private:
    void corrupt() {
        if (bad_.insert(graph_.nodes[current_].address()).second) ++graph_.unreadable;
    }

    uint32_t add(uint64_t address, uint32_t type, NodeKind kind) {
        const uint32_t node = graph_.append_node(address, type, kind);
        graph_.index.insert(address, node);
        return node;
    }

    uint32_t resolve(uint64_t address, Referent referent) {
        if (address == 0) return AddressIndex::kMissing;
        uint32_t known = graph_.index.find(address);
        if (known != AddressIndex::kMissing) return known;
        switch (referent) {
        case Referent::ManagedValues: {
            // The values array, and the prefix bytes before it that give its order and size.
            uint64_t around[2];
            if (!Node::fits(address) || !reader_.read_bytes(address - 8, around, sizeof around))
                return reject(address, false);
            return add(address, graph_.stored_type(current_), NodeKind::ManagedValues);
        }
        case Referent::InterpreterFrame:
            if (!have_frame_type_) return AddressIndex::kMissing;
            if (!Node::fits(address)) return reject(address, false);
            return add(address, frame_type_, NodeKind::InterpreterFrame);
        case Referent::Object:
        case Referent::Guess:
        case Referent::Scanned:
            break;
        }
        const bool guess = referent == Referent::Guess || referent == Referent::Scanned;
        if (!Node::fits(address)) return reject(address, guess);
        std::byte header[kMaxHeaderSize];
        if (!reader_.read_bytes(address, header, header_size_))
            return reject(address, guess, plausible_address(address));
        const int64_t refcount = cpython::header_refcount(decoder_.layout(), header);
        if (guess && !plausible_refcount(refcount)) return AddressIndex::kMissing;
        uint64_t type_address = 0;
        std::memcpy(&type_address, header + decoder_.layout().object_type, sizeof type_address);
        const TypeInfo* type = types_.get(type_address);
        if (!type) return reject(address, guess);
        if (guess && !allocated_object(address, *type) && !static_object(address, *type, referent))
            return AddressIndex::kMissing;
        return add(address, type->index, NodeKind::Object);
    }

    // Statically allocated objects (in a module's data, so no allocation) a guess may point
    // at: a type object, which passes the registry's checks of a type; and from a module's
    // state or a frame's stack (not from a C object of unknown layout), an object of a built-in
    // kind in a loaded image (3.12+'s static strings and ints, _Py_ID(lower)).
    bool static_object(uint64_t address, const TypeInfo& type, Referent referent) {
        if (type.kind == Kind::Type && types_.get(address)) return true;
        return referent == Referent::Guess && allocations_.in_static_image(address) &&
               type.kind != Kind::Unknown && type.kind != Kind::Object && !type.heap;
    }

    // A reference count a live object may have.
    static bool plausible_refcount(int64_t count) {
        return count > 0 && count <= kMaxPlausibleRefcount;
    }

    // The evidence a guessed pointer needs: it starts a live allocation (after the pre-header
    // its type gives it) big enough for its type, and its first word is not a pointer to
    // another object (C structs of pointers, such as a module's state, look like objects).
    bool allocated_object(uint64_t address, const TypeInfo& type) {
        const uint64_t before = cpython::allocation_offset(decoder_.layout(), type.flags);
        const auto usable = allocations_.at(address - before);
        // A compact str is allocated smaller than str's tp_basicsize (a legacy str's struct).
        const uint64_t smallest = type.kind == Kind::Str
                                      ? uint64_t(decoder_.layout().str_ascii_size) + 1
                                      : uint64_t(type.basicsize);
        if (!usable || *usable < before + smallest) return false;
        const uint64_t first_word = reader_.pointer(address);
        return !((first_word & 7) == 0 && first_word != 0 &&
                 types_.get(reader_.pointer(first_word + decoder_.layout().object_type)));
    }

    // A user-space address past the zero page: where memory a truncated core lacks would be.
    static bool plausible_address(uint64_t address) {
        return address >= (uint64_t{1} << 16) && address < (uint64_t{1} << 47);
    }

    // `missing`: a plausible address whose memory the target lacks (a truncated core), counted
    // always; otherwise not an object (a word past an array's end), counted up to the limit.
    uint32_t reject(uint64_t address, bool guess, bool missing = false) {
        if (guess) return AddressIndex::kMissing;
        if (missing) {
            if (bad_.insert(address).second) ++graph_.unreadable;
            return AddressIndex::kMissing;
        }
        // The root's referents are each counted; another object's only up to the limit.
        if (current_ == ObjectGraph::kRoot || rejected_here_ < kMaxRejectsPerObject) {
            if (bad_.insert(address).second) ++graph_.unreadable;
        } else if (rejected_here_ == kMaxRejectsPerObject) {
            corrupt();
        }
        if (++rejected_here_ == kMaxRejectsPerObject && saturated_node_)
            saturated_node_->store(current_, std::memory_order_relaxed);
        return AddressIndex::kMissing;
    }

    cpython::ObjectDecoder& decoder_;
    cpython::Reader& reader_;
    cpython::TypeRegistry& types_;
    ObjectGraph& graph_;
    cpython::Allocations allocations_{reader_, decoder_.layout(), types_.static_images()};
    const size_t header_size_ = cpython::object_header_size(decoder_.layout());
    uint32_t current_ = 0;
    uint32_t rejected_here_ = 0;
    bool skipping_ = false; // the rest of the current node's referents are ignored
    std::atomic<uint32_t>* saturated_node_ = nullptr;
    uint32_t frame_type_ = 0;
    bool have_frame_type_ = false;
    std::unordered_set<uint64_t> bad_;
};

HeapWalker::HeapWalker(cpython::ObjectDecoder& decoder, ObjectGraph& graph)
    : walker_(std::make_unique<Walker>(decoder, graph)), graph_(graph) {
    if (graph_.nodes.empty()) {
        graph_.add_node(0, 0, NodeKind::Root);
        graph_.edge_begin.push_back(0);
    }
}

HeapWalker::~HeapWalker() = default;

void HeapWalker::record_relations() {
    if (graph_.edge_begin.size() == 1 && !graph_.recorded)
        graph_.recorded = std::make_unique<RecordedRelations>();
}

void HeapWalker::walk_roots(const std::vector<cpython::RootEdge>& roots, const WalkHooks& hooks) {
    if (graph_.recorded) graph_.recorded->end.push_back(0); // the root's edges are named apart
    walker_->begin_node(ObjectGraph::kRoot);
    for (const cpython::RootEdge& root : roots) {
        size_t before = graph_.targets.size();
        walker_->edge(root.address, root.referent, false);
        if (graph_.targets.size() != before) graph_.root_names.push_back(root.name);
    }
    graph_.edge_begin.push_back(uint32_t(graph_.targets.size())); // the root is decoded
    drain(hooks);
}

void HeapWalker::walk_more(const std::vector<uint64_t>& seeds, const WalkHooks& hooks) {
    for (uint64_t address : seeds) walker_->seed(address);
    drain(hooks);
}

namespace {

// The resolver, as the decode stage's output when both run in one thread.
struct ResolveInPlace {
    HeapWalker::Walker& walker;
    void push(const Found& found) { walker.take(found); }
    bool saturated() const { return walker.saturated(); }
};

// The ring to the resolving thread, as the decode stage's output in the decoding thread.
struct ResolveElsewhere {
    FoundRing& ring;
    const std::atomic<bool>& stop;
    const std::atomic<uint32_t>& saturated_node;
    uint32_t current = 0;
    void push(const Found& found) { ring.push(found, stop); }
    bool saturated() {
        ring.push({0, Referent::Object, Found::What::Poll}, stop);
        return saturated_node.load(std::memory_order_relaxed) == current;
    }
};

// Whether the walk may decode in a second thread: second_thread_allowed(), and the node table
// can be pinned so that the decoding thread reads it while the resolver appends.
bool walk_in_two_threads(cpython::ObjectDecoder& decoder, ObjectGraph& graph) {
    return second_thread_allowed(decoder.reader().memory()) && graph.nodes.pin(size_t{1} << 32);
}

// What the two threads of a walk share.
struct TwoThreads {
    TwoThreads(cpython::ObjectDecoder& main_decoder, ObjectGraph& graph)
        : reader(main_decoder.reader().memory()),
          decoder(reader, main_decoder.layout(), main_decoder.types()),
          graph(graph), out{ring, stop, saturated_node}, sizes(std::move(graph.sizes)),
          stage(decoder, sizes, total_size, out, graph.recorded.get()) {
        decoder.set_interpreter(main_decoder.interpreter());
    }
    ~TwoThreads() { finish(); }

    // Decodes nodes [start, published) in order until told to stop, or until a node it cannot
    // decode here (a type numbered past Node::kTypeEscape, kept aside by the resolver).
    // False when no thread can be started (the walk then goes on in this one).
    bool start(uint32_t first) {
        published.store(first, std::memory_order_release);
        thread = start_quiet_thread([this, first] { run(first); });
        return thread.joinable();
    }
    // Stops the decoding thread (when it has not stopped) and waits for it.
    void finish() {
        if (thread.joinable()) {
            stop.store(true, std::memory_order_relaxed);
            thread.join();
        }
        if (sizes_returned) return;
        graph.sizes = std::move(sizes);
        graph.total_size += total_size;
        sizes_returned = true;
    }
    // After the decoding thread ended: its error, if it had one.
    void rethrow() {
        if (error) std::rethrow_exception(error);
    }

    // Each group on cache lines of its own (a thread rarely writes what the other reads): what
    // the decoding thread uses alone, the ring, the flags both read, the decoding thread's output.
    cpython::Reader reader;
    cpython::ObjectDecoder decoder;
    ObjectGraph& graph;
    alignas(64) FoundRing ring;
    alignas(64) std::atomic<uint32_t> published{0}; // nodes it may decode: up to here
    std::atomic<bool> stop{false};                  // the resolver wants no more
    std::atomic<bool> ended{false};                 // it has published its last item
    std::atomic<uint32_t> saturated_node{UINT32_MAX};
    alignas(64) ResolveElsewhere out;
    NodeSizes sizes;         // the graph's, while the thread appends to them
    uint64_t total_size = 0; // of those it appends
    DecodeStage<ResolveElsewhere> stage;
    std::exception_ptr error;
    std::thread thread;
    bool sizes_returned = false;

  private:
    void run(uint32_t first) {
        try {
            const Node* nodes = graph.nodes.begin();
            uint32_t available = first;
            for (uint32_t node = first;; ++node) {
                if (node >= available && !wait_for(node, available)) break;
                if (node + kPrefetchDistance < available)
                    reader.prefetch(nodes[node + kPrefetchDistance].address());
                const Node n = nodes[node];
                const TypeInfo* type = nullptr;
                if (n.kind() == NodeKind::Object || n.kind() == NodeKind::ManagedValues) {
                    if (n.type_field() == Node::kTypeEscape) {
                        ring.push({0, Referent::Object, Found::What::Handoff}, stop);
                        break;
                    }
                    type = &decoder.types().at(n.type_field());
                }
                out.current = node;
                stage.decode(n, type);
            }
        } catch (const RingStopped&) {
        } catch (...) {
            error = std::current_exception();
        }
        ring.publish();
        ended.store(true, std::memory_order_release);
    }

    // Waits until `node` is published; false when the walk is over or stopped.
    bool wait_for(uint32_t node, uint32_t& available) {
        available = published.load(std::memory_order_acquire);
        if (node < available) return true;
        ring.publish();
        Backoff backoff;
        while (node >= (available = published.load(std::memory_order_acquire))) {
            if (stop.load(std::memory_order_acquire)) return false;
            backoff.pause();
        }
        return true;
    }
};

} // namespace

// Decodes every node that has no edges yet, in order, appending the nodes they reach. Invariant:
// edge_begin holds one entry per decoded node plus the end of the last one's edges, and sizes
// one per decoded node.
void HeapWalker::drain(const WalkHooks& hooks) {
    const uint64_t memory_limit = analysis_memory_limit();
    uint32_t node = uint32_t(graph_.edge_begin.size() - 1);
    if (graph_.recorded) graph_.recorded->keep_nodes(node);
    // Whatever happens, every node ends with a size.
    struct Settle {
        ObjectGraph& graph;
        ~Settle() {
            while (graph.sizes.size() < graph.nodes.size()) graph.sizes.append(0);
        }
    } settle{graph_};

    if (node < graph_.nodes.size() && walk_in_two_threads(walker_->decoder(), graph_))
        node = drain_in_two_threads(node, hooks, memory_limit);

    ResolveInPlace in_place{*walker_};
    DecodeStage<ResolveInPlace> stage(walker_->decoder(), graph_.sizes, graph_.total_size, in_place,
                                      graph_.recorded.get());
    cpython::TypeRegistry& types = walker_->decoder().types();
    for (; node < graph_.nodes.size(); ++node) {
        if (node + kPrefetchDistance < graph_.nodes.size())
            walker_->decoder().reader().prefetch(graph_.nodes[node + kPrefetchDistance].address());
        walker_->begin_node(node);
        const Node n = graph_.nodes[node];
        const bool typed = n.kind() == NodeKind::Object || n.kind() == NodeKind::ManagedValues;
        stage.decode(n, typed ? &types.at(graph_.stored_type(node)) : nullptr);
        finish_node(node, hooks, memory_limit);
    }
    graph_.dict_owners.freeze(uint32_t(graph_.nodes.size()));
}

// The drain with the decoders in a second thread; returns the first node left to decode here
// (past the last node when none is).
uint32_t HeapWalker::drain_in_two_threads(uint32_t node, const WalkHooks& hooks,
                                          uint64_t memory_limit) {
    TwoThreads two(walker_->decoder(), graph_);
    walker_->tell_saturated_to(&two.saturated_node);
    struct Untell {
        Walker& walker;
        ~Untell() { walker.tell_saturated_to(nullptr); }
    } untell{*walker_};
    if (!two.start(node)) return node;
    auto publish = [&] {
        two.published.store(uint32_t(graph_.nodes.size()), std::memory_order_release);
    };
    auto next = [&] {
        try {
            return two.ring.next(publish, two.ended);
        } catch (const RingStopped&) {
            two.finish();
            two.rethrow();
            throw Error("the heap walk's decoding thread ended early");
        }
    };
    for (uint32_t since_publish = 0; node < graph_.nodes.size(); ++node) {
        walker_->begin_node(node);
        Found found = next();
        if (found.what == Found::What::Handoff) break; // the rest is decoded here
        for (; found.what != Found::What::End; found = next()) {
            if (const Found* later = two.ring.peek(kResolveLookahead)) walker_->prefetch(*later);
            walker_->take(found);
        }
        finish_node(node, hooks, memory_limit);
        if (++since_publish == 256) {
            publish();
            since_publish = 0;
        }
    }
    two.finish();
    two.rethrow();
    return node;
}

// After each node: the edge row's end, and every so often the hooks and the limits.
void HeapWalker::finish_node(uint32_t node, const WalkHooks& hooks, uint64_t memory_limit) {
    graph_.edge_begin.push_back(uint32_t(graph_.targets.size()));
    if (node % kPollInterval == 0) {
        if (hooks.interrupted && hooks.interrupted()) throw Interrupted();
        if (hooks.progress) hooks.progress(graph_.nodes.size());
        if (graph_.resolver_memory_bytes() > memory_limit)
            throw Error(
                fmt::format("the analysis reached its memory limit of {} MiB after {} objects; set "
                            "HEAPY_MEMORY_LIMIT (e.g. HEAPY_MEMORY_LIMIT=32G) to allow more",
                            memory_limit >> 20, graph_.nodes.size()));
    }
    if (graph_.targets.size() >= UINT32_MAX)
        throw Error("the heap has more than 4 billion references; heapy cannot hold it");
}

ObjectGraph walk_heap(cpython::ObjectDecoder& decoder, const std::vector<cpython::RootEdge>& roots,
                      const WalkHooks& hooks, bool record_relations) {
    ObjectGraph graph;
    HeapWalker walker(decoder, graph);
    if (record_relations) walker.record_relations();
    walker.walk_roots(roots, hooks);
    return graph;
}

} // namespace heapy::heap
