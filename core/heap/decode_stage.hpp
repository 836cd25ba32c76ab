#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/heap/found_ring.hpp"
#include "core/heap/object_graph.hpp"
#include "core/heap/recorded_relations.hpp"

#include <cstdint>

namespace heapy::heap {

// The decoding half of the heap walk: decodes nodes in node order, appends their sizes to
// `sizes` (adding them to `total_size`), and hands every referent (and every complaint) to `Out`,
// in the decoders' order. `Out` is the resolving half itself, or the ring to the thread that runs
// it; it has `push(const Found&)` and `saturated()`. The stage reads the nodes it is given and
// writes only `sizes` and `total_size`, and when `recorded` is given its relations and ends: the
// rest of the graph belongs to the resolver.
template <class Out> class DecodeStage final : public cpython::EdgeSink {
  public:
    DecodeStage(cpython::ObjectDecoder& decoder, NodeSizes& sizes, uint64_t& total_size, Out& out,
                RecordedRelations* recorded)
        : decoder_(decoder), sizes_(sizes), total_size_(total_size), out_(out),
          recorded_(recorded) {}

    // Decodes `node` and marks its end. `type`: what the node's type field stands for (the type
    // of an Object node, the owner's type for a ManagedValues node), else unused.
    void decode(const Node& node, const cpython::TypeInfo* type) {
        uint64_t size = 0;
        const uint64_t address = node.address();
        switch (node.kind()) {
        case NodeKind::Object:
            size = decoder_.size(address, *type);
            if (decoder_.size_overran()) corrupt();
            decoder_.referents(address, *type, *this);
            break;
        case NodeKind::ManagedValues:
            size = decoder_.managed_values_size(address, *type);
            decoder_.managed_values_referents(address, *type, *this);
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
        if (recorded_) recorded_->end.push_back(uint32_t(recorded_->relations.size()));
        out_.push({0, cpython::Referent::Object, Found::What::End});
    }

    void edge(uint64_t address, const cpython::Relation& relation, cpython::Referent referent,
              uint64_t aux) override {
        (void)aux;
        if (recorded_) recorded_->relations.push_back(RecordedRelations::pack(relation));
        out_.push(
            {address, referent, relation.owned_dict ? Found::What::OwnedEdge : Found::What::Edge});
    }
    void corrupt() override { out_.push({0, cpython::Referent::Object, Found::What::Corrupt}); }
    bool saturated() const override {
        if (!out_.saturated()) return false;
        // The rest of the node is not decoded: an edge of no address marks it for decoding
        // again when its relations are named.
        if (recorded_) {
            recorded_->relations.push_back(RecordedRelations::kUnpacked);
            out_.push({0, cpython::Referent::Object, Found::What::Edge});
        }
        return true;
    }

  private:
    cpython::ObjectDecoder& decoder_;
    NodeSizes& sizes_;
    uint64_t& total_size_;
    Out& out_;
    RecordedRelations* recorded_;
};

} // namespace heapy::heap
