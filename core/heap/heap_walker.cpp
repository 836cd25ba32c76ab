#include "core/heap/heap_walker.hpp"

#include "core/errors.hpp"
#include "core/heap/memory_limit.hpp"

#include <fmt/format.h>

#include <unordered_set>

namespace heapy::heap {

namespace {

using cpython::EdgeSink;
using cpython::Kind;
using cpython::Referent;
using cpython::Relation;
using cpython::TypeInfo;

constexpr uint64_t kPollInterval = 1 << 14;
// How many nodes ahead of the one being decoded the walk asks the CPU to load: by the time it
// gets there, the object's first cache line is no longer a miss.
constexpr uint32_t kPrefetchDistance = 16;
constexpr int64_t kMaxPlausibleRefcount = int64_t{1} << 40;
// Referents of one object that may fail to be objects before the object counts as corrupt (an
// array read past its end) and its decoder is told to stop.
constexpr uint32_t kMaxRejectsPerObject = 16;

} // namespace

class HeapWalker::Walker final : public EdgeSink {
  public:
    Walker(cpython::ObjectDecoder& decoder, ObjectGraph& graph)
        : decoder_(decoder), reader_(decoder.reader()), types_(decoder.types()), graph_(graph) {
        if (const TypeInfo* dict = types_.get(types_.address_of(Kind::Dict)))
            dict_type_ = dict->index;
        if (const TypeInfo* frame = types_.get(types_.address_of(Kind::Frame))) {
            frame_type_ = frame->index;
            have_frame_type_ = true;
        }
    }

    void prefetch(uint64_t address) { reader_.prefetch(address); }

    void set_current(uint32_t node) {
        current_ = node;
        rejected_here_ = 0;
    }

    void corrupt() override {
        if (bad_.insert(graph_.nodes[current_].address()).second) ++graph_.unreadable;
    }

    bool saturated() const override {
        return current_ != ObjectGraph::kRoot && rejected_here_ >= kMaxRejectsPerObject;
    }

    void edge(uint64_t address, const Relation& relation, Referent referent,
              uint64_t aux) override {
        (void)aux;
        const size_t nodes_before = graph_.nodes.size();
        uint32_t target = resolve(address, referent);
        if (target == AddressIndex::kMissing) return;
        uint32_t first = graph_.edge_begin[current_];
        if (graph_.targets.size() > first && graph_.targets.back() == target) return;
        graph_.targets.push_back(target);
        if (!relation.owned_dict) return;
        if (graph_.nodes.size() != nodes_before) {
            graph_.dict_owners.add_new(target, current_); // made by this edge
            return;
        }
        const uint32_t owner = graph_.dict_owner(target);
        if (owner == ObjectGraph::kNoOwner ||
            graph_.nodes[current_].address() < graph_.nodes[owner].address())
            graph_.dict_owners.set(target, current_);
    }

    void decode(uint32_t node) {
        const Node n = graph_.nodes[node];
        switch (n.kind()) {
        case NodeKind::Object: {
            const TypeInfo& type = types_.at(graph_.type_of(node));
            graph_.set_size(node, decoder_.size(n.address(), type));
            decoder_.referents(n.address(), type, *this);
            break;
        }
        case NodeKind::ManagedValues: {
            uint32_t owner = graph_.dict_owner(node);
            if (owner == ObjectGraph::kNoOwner) break;
            const TypeInfo& owner_type = types_.at(graph_.type_of(owner));
            graph_.set_size(node, decoder_.managed_values_size(n.address(), owner_type));
            decoder_.managed_values_referents(n.address(), owner_type, *this);
            break;
        }
        case NodeKind::InterpreterFrame:
            graph_.set_size(node, decoder_.interpreter_frame_size(n.address()));
            decoder_.interpreter_frame_referents(n.address(), *this);
            break;
        case NodeKind::Root:
            break;
        }
        graph_.total_size += graph_.size_of(node);
    }

    // Adds `address` as an object node unless known; false when it is not a readable object.
    bool seed(uint64_t address) {
        return resolve(address, Referent::Object) != AddressIndex::kMissing;
    }

  private:
    uint32_t add(uint64_t address, uint32_t type, NodeKind kind) {
        const uint32_t node = graph_.add_node(address, type, kind);
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
            return add(address, dict_type_, NodeKind::ManagedValues);
        }
        case Referent::InterpreterFrame:
            if (!have_frame_type_) return AddressIndex::kMissing;
            if (!Node::fits(address)) return reject(address, false);
            return add(address, frame_type_, NodeKind::InterpreterFrame);
        case Referent::Object:
        case Referent::Guess:
            break;
        }
        const bool guess = referent == Referent::Guess;
        if (!Node::fits(address)) return reject(address, guess);
        int64_t header[2];
        if (!reader_.read_bytes(address, header, sizeof header))
            return reject(address, guess, plausible_address(address));
        if (guess && (header[0] <= 0 || header[0] > kMaxPlausibleRefcount))
            return AddressIndex::kMissing;
        const TypeInfo* type = types_.get(uint64_t(header[1]));
        if (!type) return reject(address, guess);
        return add(address, type->index, NodeKind::Object);
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
        ++rejected_here_;
        return AddressIndex::kMissing;
    }

    cpython::ObjectDecoder& decoder_;
    cpython::Reader& reader_;
    cpython::TypeRegistry& types_;
    ObjectGraph& graph_;
    uint32_t current_ = 0;
    uint32_t rejected_here_ = 0;
    uint32_t dict_type_ = 0;
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

void HeapWalker::walk_roots(const std::vector<cpython::RootEdge>& roots, const WalkHooks& hooks) {
    walker_->set_current(ObjectGraph::kRoot);
    for (const cpython::RootEdge& root : roots) {
        size_t before = graph_.targets.size();
        walker_->edge(root.address, Relation{cpython::RelationKind::Root}, root.referent, 0);
        if (graph_.targets.size() != before) graph_.root_names.push_back(root.name);
    }
    graph_.edge_begin.push_back(uint32_t(graph_.targets.size())); // the root is decoded
    drain(hooks);
}

void HeapWalker::walk_more(const std::vector<uint64_t>& seeds, const WalkHooks& hooks) {
    for (uint64_t address : seeds) walker_->seed(address);
    drain(hooks);
}

// Decodes every node that has no edges yet, in order, appending the nodes they reach. Invariant:
// edge_begin holds one entry per decoded node plus the end of the last one's edges.
void HeapWalker::drain(const WalkHooks& hooks) {
    const uint64_t memory_limit = analysis_memory_limit();
    for (uint32_t node = uint32_t(graph_.edge_begin.size() - 1); node < graph_.nodes.size();
         ++node) {
        if (node + kPrefetchDistance < graph_.nodes.size())
            walker_->prefetch(graph_.nodes[node + kPrefetchDistance].address());
        walker_->set_current(node);
        walker_->decode(node);
        graph_.edge_begin.push_back(uint32_t(graph_.targets.size()));
        if (node % kPollInterval == 0) {
            if (hooks.interrupted && hooks.interrupted()) throw Interrupted();
            if (hooks.progress) hooks.progress(graph_.nodes.size());
            if (graph_.memory_bytes() > memory_limit)
                throw Error(fmt::format(
                    "the analysis reached its memory limit of {} MiB after {} objects; set "
                    "HEAPY_MEMORY_LIMIT (e.g. HEAPY_MEMORY_LIMIT=32G) to allow more",
                    memory_limit >> 20, graph_.nodes.size()));
        }
        if (graph_.targets.size() >= UINT32_MAX)
            throw Error("the heap has more than 4 billion references; heapy cannot hold it");
    }
    graph_.dict_owners.freeze(uint32_t(graph_.nodes.size()));
}

ObjectGraph walk_heap(cpython::ObjectDecoder& decoder, const std::vector<cpython::RootEdge>& roots,
                      const WalkHooks& hooks) {
    ObjectGraph graph;
    HeapWalker walker(decoder, graph);
    walker.walk_roots(roots, hooks);
    return graph;
}

} // namespace heapy::heap
