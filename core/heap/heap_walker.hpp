#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/cpython/runtime.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace heapy::heap {

struct WalkHooks {
    std::function<bool()> interrupted;              // polled every few thousand objects
    std::function<void(uint64_t objects)> progress; // objects found so far
};

// Builds the object graph by breadth-first walks (no recursion: a linked list of any length is
// fine). The first walk starts at the roots; later walks extend the same graph from more seeds
// (e.g. the objects on the GC lists), so node numbers and edges stay valid.
//
// A walk has two halves: decoding nodes in node order (reading objects, reporting referents and
// sizes: DecodeStage) and resolving what they report (the address index, new nodes, edges, dict
// owners: Walker). When the target's memory allows concurrent reads (a core file), the decoding
// half runs in a second thread, ahead of the resolver, and streams to it through a ring
// (FoundRing); otherwise, or with HEAPY_WALK_THREADS=1, both run in the calling thread. The
// graph is the same either way.
class HeapWalker {
  public:
    HeapWalker(cpython::ObjectDecoder& decoder, ObjectGraph& graph);
    ~HeapWalker();

    // Keeps the relation of every edge the walks decode (ObjectGraph::recorded), for commands
    // that name most edges. Only before the first walk; later, nothing changes.
    void record_relations();
    // Walks from the roots. Throws heapy::Interrupted when the hooks say so.
    void walk_roots(const std::vector<cpython::RootEdge>& roots, const WalkHooks& hooks = {});
    // Adds every object in `seeds` not in the graph yet, and what they reach.
    void walk_more(const std::vector<uint64_t>& seeds, const WalkHooks& hooks = {});

    class Walker; // the resolving half, shared with the decode stage's outputs

  private:
    void drain(const WalkHooks& hooks);
    uint32_t drain_in_two_threads(uint32_t node, const WalkHooks& hooks, uint64_t memory_limit);
    void finish_node(uint32_t node, const WalkHooks& hooks, uint64_t memory_limit);
    std::unique_ptr<Walker> walker_;
    ObjectGraph& graph_;
};

// Convenience: a graph of everything reachable from `roots`, with the relations of its edges
// when `record_relations`.
ObjectGraph walk_heap(cpython::ObjectDecoder& decoder, const std::vector<cpython::RootEdge>& roots,
                      const WalkHooks& hooks = {}, bool record_relations = false);

} // namespace heapy::heap
