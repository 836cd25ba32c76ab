#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/heap/found_ring.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <deque>
#include <utility>

namespace heapy::heap {

// The decoding half of the heap walk: decodes nodes in node order, appends their sizes to
// `sizes`, and hands every referent (and every complaint) to `Out`, in the decoders' order.
// `Out` is the resolving half itself, or the ring to the thread that runs it; it has
// `push(const Found&)` and `saturated()`. The stage reads the nodes it is given and writes only
// `sizes` and itself: the graph belongs to the resolver.
template <class Out> class DecodeStage final : public cpython::EdgeSink {
  public:
    DecodeStage(cpython::ObjectDecoder& decoder, NodeSizes& sizes, Out& out)
        : decoder_(decoder), sizes_(sizes), out_(out) {}

    // Decodes `node` (`type`: the type of an Object node, else unused) and marks its end.
    void decode(const Node& node, const cpython::TypeInfo* type) {
        uint64_t size = 0;
        const uint64_t address = node.address();
        current_type_ = nullptr;
        switch (node.kind()) {
        case NodeKind::Object:
            current_type_ = type;
            size = decoder_.size(address, *type);
            decoder_.referents(address, *type, *this);
            break;
        case NodeKind::ManagedValues:
            if (const cpython::TypeInfo* owner = owner_of_values(address)) {
                size = decoder_.managed_values_size(address, *owner);
                decoder_.managed_values_referents(address, *owner, *this);
            }
            break;
        case NodeKind::InterpreterFrame:
            size = decoder_.interpreter_frame_size(address);
            decoder_.interpreter_frame_referents(address, *this);
            break;
        case NodeKind::Root:
            break;
        }
        sizes_.append(size);
        total_size_ += size;
        out_.push({0, cpython::Referent::Object, Found::What::End});
    }

    void edge(uint64_t address, const cpython::Relation& relation, cpython::Referent referent,
              uint64_t aux) override {
        (void)aux;
        if (referent == cpython::Referent::ManagedValues)
            pending_values_.emplace_back(address, current_type_);
        out_.push(
            {address, referent, relation.owned_dict ? Found::What::OwnedEdge : Found::What::Edge});
    }
    void corrupt() override { out_.push({0, cpython::Referent::Object, Found::What::Corrupt}); }
    bool saturated() const override { return out_.saturated(); }

    uint64_t total_size() const { return total_size_; }
    // The values arrays reported but not decoded yet, with their owners' types: a stage that
    // takes over from this one needs them.
    std::deque<std::pair<uint64_t, const cpython::TypeInfo*>>& pending_values() {
        return pending_values_;
    }

  private:
    // A values node is made by the edge from its instance, so values nodes come in the order
    // their edges were reported: the owner's type is at the front of the queue once the edges
    // that made no node (known already, or unreadable) are dropped.
    const cpython::TypeInfo* owner_of_values(uint64_t address) {
        while (!pending_values_.empty()) {
            const auto [values, owner] = pending_values_.front();
            pending_values_.pop_front();
            if (values == address) return owner;
        }
        return nullptr;
    }

    cpython::ObjectDecoder& decoder_;
    NodeSizes& sizes_;
    Out& out_;
    const cpython::TypeInfo* current_type_ = nullptr;
    uint64_t total_size_ = 0;
    std::deque<std::pair<uint64_t, const cpython::TypeInfo*>> pending_values_;
};

} // namespace heapy::heap
