#pragma once

#include "core/heap/address_index.hpp"
#include "core/heap/node_map.hpp"
#include "core/heap/pod_array.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::heap {

// What a node stands for.
enum class NodeKind : uint8_t {
    Object,           // a real PyObject
    ManagedValues,    // an instance's inline attribute values, shown as heapy's `dict of X`
    InterpreterFrame, // an interpreter frame without a frame object, shown as `types.FrameType`
    Root,             // heapy's root (hp.Root); never part of a result
};

// One node, 16 bytes: millions of these are normal.
class Node {
  public:
    Node() = default;
    Node(uint64_t address, uint32_t type, NodeKind kind)
        : address_(address), type_and_kind_(type | (uint32_t(kind) << kKindShift)) {}

    uint64_t address() const { return address_; }
    uint32_t type() const { return type_and_kind_ & kTypeMask; }
    NodeKind kind() const { return NodeKind(type_and_kind_ >> kKindShift); }
    uint32_t small_size() const { return size_; }
    void set_small_size(uint32_t size) { size_ = size; }

    static constexpr uint32_t kMaxTypes = uint32_t{1} << 30;
    static constexpr uint32_t kBigSize = UINT32_MAX; // the real size is in ObjectGraph::big_sizes

  private:
    static constexpr uint32_t kKindShift = 30;
    static constexpr uint32_t kTypeMask = (uint32_t{1} << kKindShift) - 1;
    uint64_t address_ = 0;
    uint32_t size_ = 0;
    uint32_t type_and_kind_ = 0;
};
static_assert(sizeof(Node) == 16);

// The object graph of the reachable heap: flat arrays, edges in compressed rows (the edges of
// node n are targets[edge_begin[n] .. edge_begin[n + 1])). Node 0 is heapy's root.
struct ObjectGraph {
    static constexpr uint32_t kNoOwner = UINT32_MAX;
    static constexpr uint32_t kRoot = 0;

    PodArray<Node> nodes;
    PodArray<uint32_t> edge_begin;
    PodArray<uint32_t> targets;
    NodeMap<uint32_t> dict_owners; // dict or values node -> the node whose __dict__ it is
    NodeMap<uint64_t> big_sizes;
    std::vector<std::string> root_names; // names of the root's edges, in edge order
    AddressIndex index;

    uint64_t unreadable = 0; // referents that could not be read or were not objects
    uint64_t total_size = 0; // sum of node sizes, root excluded

    size_t object_count() const { return nodes.empty() ? 0 : nodes.size() - 1; }
    // What the graph holds in memory, roughly (the big tables only).
    uint64_t memory_bytes() const {
        return nodes.size() * sizeof(Node) + (edge_begin.size() + targets.size()) * 4 +
               dict_owners.memory_bytes() + big_sizes.memory_bytes() + index.memory_bytes();
    }
    // The node whose __dict__ (or inline values) `node` is, or kNoOwner.
    uint32_t dict_owner(uint32_t node) const {
        const uint32_t* owner = dict_owners.find(node);
        return owner ? *owner : kNoOwner;
    }
    uint64_t size_of(uint32_t node) const {
        uint32_t small = nodes[node].small_size();
        return small == Node::kBigSize ? *big_sizes.find(node) : small;
    }
    void set_size(uint32_t node, uint64_t size) {
        if (size >= Node::kBigSize) {
            nodes[node].set_small_size(Node::kBigSize);
            big_sizes.insert(node, size) = size;
        } else {
            nodes[node].set_small_size(uint32_t(size));
        }
    }
};

} // namespace heapy::heap
