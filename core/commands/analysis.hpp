#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/type_namer.hpp"
#include "core/commands/frontend.hpp"
#include "core/cpython/gc_lists.hpp"
#include "core/cpython/object_decoder.hpp"
#include "core/cpython/reader.hpp"
#include "core/cpython/runtime.hpp"
#include "core/cpython/tracemalloc.hpp"
#include "core/cpython/type_registry.hpp"
#include "core/heap/dominators.hpp"
#include "core/heap/heap_walker.hpp"
#include "core/heap/object_graph.hpp"
#include "core/heap/referrers.hpp"
#include "core/heap/unfound_objects.hpp"
#include "core/heap/unreachable.hpp"
#include "core/memory/target.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace heapy::commands {

// The analysed target: its runtime, decoders and object graph, built once per session. The
// reachable heap is walked at once; the rest (unreachable GC objects, referrers) on first use.
class Analysis {
  public:
    // Finds the runtime and walks the heap, keeping the relations of its edges when
    // `record_relations` (for `by via`). Throws heapy::Error / heapy::Interrupted.
    Analysis(memory::Target& target, const FrontEnd& frontend, bool record_relations = false);
    ~Analysis();

    const cpython::Runtime& runtime() const { return runtime_; }
    cpython::ObjectDecoder& decoder() { return *decoder_; }
    const heap::ObjectGraph& graph() const { return graph_; }
    classify::TypeNamer& names() { return *namer_; }
    classify::ClassifyContext classify_context() {
        return {graph_,
                *namer_,
                dict_type_,
                reachable_end_,
                nullptr,
                nullptr,
                frontend_.interrupted,
                frontend_.progress};
    }

    // Node numbers of the reachable heap, in walk order.
    const std::vector<uint32_t>& reachable() { return *reachable_set(); }
    std::shared_ptr<const std::vector<uint32_t>> reachable_set();
    bool is_reachable(uint32_t node) const { return node != 0 && node < reachable_end_; }
    // The unreachable GC objects and what they reach, split into garbage and held.
    const heap::UnreachableSplit& unreachable();
    const cpython::GcObjects& gc_lists();
    // The objects alive in the allocators' blocks that neither the walk nor the GC lists found,
    // and what only they reach (after unreachable(); made on first use).
    struct Leaks {
        std::vector<uint32_t> nodes;
        std::vector<uint32_t> held_by_c; // found too, but a C static or the interpreter holds them
        heap::UnfoundObjects search;
    };
    const Leaks& leaks();
    // tracemalloc's table of traces in the target (read on first use).
    cpython::Tracemalloc& tracemalloc();
    // "file:line" where the node's object was allocated, "" when tracemalloc did not trace it.
    std::string producer(uint32_t node);
    // Who refers to each node of the graph as it is now.
    const heap::Referrers& referrers();
    // The dominator tree of the reachable heap (made on first use).
    const heap::DominatorTree& dominators();
    uint32_t reachable_end() const { return reachable_end_; }
    // The node of the object at `address`, if the graph has it.
    std::optional<uint32_t> node_at(uint64_t address) const;

  private:
    const FrontEnd& frontend_;
    const memory::Symbols& symbols_;
    cpython::Reader reader_;
    cpython::Runtime runtime_;
    std::unique_ptr<cpython::TypeRegistry> types_;
    std::unique_ptr<cpython::ObjectDecoder> decoder_;
    heap::ObjectGraph graph_;
    std::unique_ptr<heap::HeapWalker> walker_;
    std::unique_ptr<classify::TypeNamer> namer_;
    std::shared_ptr<const std::vector<uint32_t>> reachable_; // made on first use
    uint32_t reachable_end_ = 0;
    uint32_t dict_type_ = 0;
    std::optional<cpython::GcObjects> gc_lists_;
    std::optional<heap::UnreachableSplit> unreachable_;
    std::optional<Leaks> leaks_;
    uint32_t leaks_first_ = 0; // the first node a search for leaks added (0 before one began)
    std::vector<uint64_t> type_cache_tables_;
    std::unique_ptr<cpython::Tracemalloc> tracemalloc_;
    std::unique_ptr<heap::Referrers> referrers_;
    std::optional<heap::DominatorTree> dominators_;
};

} // namespace heapy::commands
