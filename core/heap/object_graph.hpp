#pragma once

#include "core/heap/address_index.hpp"
#include "core/heap/dict_owners.hpp"
#include "core/heap/node_map.hpp"
#include "core/heap/node_sizes.hpp"
#include "core/heap/pod_array.hpp"
#include "core/heap/recorded_relations.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
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

// One node in 8 bytes (millions of these are normal): the address (8-byte aligned, below
// 2^48), the kind and a TypeRegistry index, or kTypeEscape for an index past 2^17 - 2 that
// ObjectGraph keeps aside. The index is the node's type, except for a ManagedValues node (whose
// type is dict): there it is the type of the instance that owns the values, which says how to
// read them. Read types with ObjectGraph::type_of.
class Node {
  public:
    static constexpr uint32_t kTypeEscape = (uint32_t{1} << 17) - 1;

    Node() = default;
    Node(uint64_t address, uint32_t type_field, NodeKind kind)
        : bits_(address >> 3 | uint64_t(kind) << kKindShift | uint64_t(type_field) << kTypeShift) {}

    // Whether a node can stand at `address`.
    static bool fits(uint64_t address) { return (address & 7) == 0 && address < kAddressEnd; }

    uint64_t address() const { return (bits_ & kAddressMask) << 3; }
    NodeKind kind() const { return NodeKind((bits_ >> kKindShift) & 3); }
    uint32_t type_field() const { return uint32_t(bits_ >> kTypeShift); }

  private:
    static constexpr uint64_t kAddressEnd = uint64_t{1} << 48;
    static constexpr unsigned kKindShift = 45;
    static constexpr unsigned kTypeShift = 47;
    static constexpr uint64_t kAddressMask = (uint64_t{1} << kKindShift) - 1;
    uint64_t bits_ = 0;
};
static_assert(sizeof(Node) == 8);

// The object graph of the reachable heap: flat arrays, edges in compressed rows (the edges of
// node n are targets[edge_begin[n] .. edge_begin[n + 1])). Node 0 is heapy's root.
struct ObjectGraph {
    static constexpr uint32_t kNoOwner = DictOwners::kNone;
    static constexpr uint32_t kRoot = 0;

    PodArray<Node> nodes;
    NodeSizes sizes;
    PodArray<uint32_t> edge_begin;
    PodArray<uint32_t> targets;
    DictOwners dict_owners;              // dict or values node -> the node whose __dict__ it is
    NodeMap<uint32_t> big_types;         // type indices from Node::kTypeEscape on
    std::vector<std::string> root_names; // names of the root's edges, in edge order
    AddressIndex index;
    // The relations of the decoded edges, when the walk was asked to keep them.
    std::unique_ptr<RecordedRelations> recorded;

    uint32_t dict_type = 0;  // the TypeRegistry index of dict: the type of ManagedValues nodes
    uint64_t unreadable = 0; // referents that could not be read or were not objects
    uint64_t guessed = 0;    // edges found by scanning C objects of unknown layout
    uint64_t total_size = 0; // sum of node sizes, root excluded

    size_t object_count() const { return nodes.empty() ? 0 : nodes.size() - 1; }
    // What the graph holds in memory, roughly (the big tables only).
    uint64_t memory_bytes() const {
        return nodes.size() * sizeof(Node) + sizes.memory_bytes() +
               (edge_begin.size() + targets.size()) * 4 + dict_owners.memory_bytes() +
               big_types.memory_bytes() + index.memory_bytes() +
               (recorded ? recorded->memory_bytes() : 0);
    }
    // What the resolving half of a walk holds: all but the sizes and recorded relations, which
    // the decoding half appends (perhaps in another thread), counted here at 2 bytes a node and
    // 12 bytes an edge and 4 a node.
    uint64_t resolver_memory_bytes() const {
        return nodes.size() * sizeof(Node) + (edge_begin.size() + targets.size()) * 4 +
               dict_owners.memory_bytes() + big_types.memory_bytes() + index.memory_bytes() +
               nodes.size() * sizeof(uint16_t) +
               (recorded ? recorded->targets.size() * 12 + nodes.size() * 4 : 0);
    }
    // Appends a node (size 0); returns its number. The address must fit (Node::fits).
    uint32_t add_node(uint64_t address, uint32_t type, NodeKind kind) {
        const uint32_t node = append_node(address, type, kind);
        sizes.append(0);
        return node;
    }
    // Appends a node without a size: the walker appends sizes as it decodes nodes, in order,
    // while the node table grows ahead of it.
    uint32_t append_node(uint64_t address, uint32_t type, NodeKind kind) {
        const uint32_t node = uint32_t(nodes.size());
        nodes.emplace_back(address, std::min(type, Node::kTypeEscape), kind);
        if (type >= Node::kTypeEscape) big_types.insert(node, type);
        return node;
    }
    // The TypeRegistry index of the node's type.
    uint32_t type_of(uint32_t node) const {
        return nodes[node].kind() == NodeKind::ManagedValues ? dict_type : stored_type(node);
    }
    // The TypeRegistry index the node holds: its type, or for a ManagedValues node the type of
    // the instance the values were found in.
    uint32_t stored_type(uint32_t node) const {
        const uint32_t type = nodes[node].type_field();
        return type == Node::kTypeEscape ? *big_types.find(node) : type;
    }
    // The node whose __dict__ (or inline values) `node` is, or kNoOwner.
    uint32_t dict_owner(uint32_t node) const { return dict_owners.find(node); }
    uint64_t size_of(uint32_t node) const { return sizes.of(node); }
    void set_size(uint32_t node, uint64_t size) { sizes.set(node, size); }
};

} // namespace heapy::heap
