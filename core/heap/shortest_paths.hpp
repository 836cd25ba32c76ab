#pragma once

// heapy's shortest paths from the root (Path.py, HEAPY.md 5.1): `X.sp`.

#include "core/cpython/object_decoder.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heapy::heap {

// What a relation is ordered by (Path.RelationBase.__lt__): heapy's kind code, then the
// relator: relators of different Python types by the address of their type, else by value
// (str and bytes lexicographically, ints numerically, floats numerically), and relators that
// have no order (other key objects) by their address.
struct RelatorKey {
    enum Class : uint8_t { Text, Int, Float, Identity };
    int code = 0;
    uint64_t type = 0; // the relator's type (e.g. the target's `str` type object)
    Class cls = Identity;
    bool negative = false; // Int
    std::string text;      // Text: the value as UTF-8 / bytes; Int: the decimal magnitude
    double number = 0;     // Float
    uint64_t address = 0;  // Identity

    static RelatorKey of_text(int code, uint64_t type, std::string text);
    static RelatorKey of_int(int code, uint64_t type, int64_t value);
};
bool operator<(const RelatorKey& a, const RelatorKey& b);

// The relations shortest paths need: a node's edges with their relations, the order of
// relations, and the text of a relation applied to a path so far.
class RelationSource {
  public:
    virtual ~RelationSource() = default;
    // Every edge of `node` with its relation (duplicates kept: one per relation).
    virtual std::vector<NamedEdge> edges(uint32_t node) = 0;
    virtual RelatorKey key(const NamedEdge& edge) = 0;
    // heapy's text of the relation applied to `prefix` (dict keys by reprlib.repr).
    virtual std::string apply(const NamedEdge& edge, std::string_view prefix) = 0;
};

// Relations decoded from the target's memory (named_edges, apply_relation).
class DecodedRelations final : public RelationSource {
  public:
    DecodedRelations(cpython::ObjectDecoder& decoder, const ObjectGraph& graph);
    std::vector<NamedEdge> edges(uint32_t node) override;
    RelatorKey key(const NamedEdge& edge) override;
    std::string apply(const NamedEdge& edge, std::string_view prefix) override;

  private:
    cpython::ObjectDecoder& decoder_;
    const ObjectGraph& graph_;
    uint64_t str_type_ = 0;
    uint64_t int_type_ = 0;
};

// The shortest paths from the root to a set of targets: a breadth-first search from the root over
// the reachable nodes (node numbers below `reachable_end`) that stops at the first level holding
// any target; the targets found there, every edge from level k to level k + 1 that lies on a
// path to one of them, and one path per choice of an edge AND one of its relations at each level.
// Paths are counted without being listed; path(i) builds the i-th in heapy's order (relations
// sorted level by level) by descending the counts, so listing a page costs only its paths.
// `interrupted` is polled every kNodesPerPoll nodes of the search (heapy::Interrupted).
class ShortestPaths {
  public:
    ShortestPaths(const ObjectGraph& graph, uint32_t reachable_end,
                  const std::vector<uint32_t>& targets, RelationSource& relations,
                  const std::function<bool()>& interrupted = {});

    static constexpr size_t kNodesPerPoll = size_t{1} << 16;

    // The number of paths (saturated at UINT64_MAX: see saturated()).
    uint64_t count() const { return count_; }
    bool saturated() const { return saturated_; }
    // Edges per path (the level of the targets found); 0 when there is no path.
    uint32_t length() const { return length_; }
    // The targets the paths lead to (the nearest ones), in node order.
    const std::vector<uint32_t>& found() const { return found_; }

    // One step of a path: the node reached and the relation it was reached by.
    struct Step {
        NamedEdge edge;
        uint32_t from = 0;
    };
    // Path `index` (< count()) as its steps from the root.
    std::vector<Step> steps(uint64_t index);
    // Path `index` as heapy prints it: `source` followed by every relation applied.
    std::string text(uint64_t index, std::string_view source = "hp.Root");

  private:
    struct Choice {
        NamedEdge edge;
        RelatorKey key;
    };
    // The choices out of `node` in heapy's order; valid until the next call.
    const std::vector<Choice>& sorted_choices(uint32_t node);
    std::vector<NamedEdge> dag_edges(uint32_t node);
    bool leads_on(uint32_t from, uint32_t to) const;
    uint64_t paths_from(uint32_t node) const;

    const ObjectGraph& graph_;
    RelationSource& relations_;
    uint64_t count_ = 0;
    bool saturated_ = false;
    uint32_t length_ = 0;
    std::vector<uint32_t> found_;
    // Per reachable node: its breadth-first level, and the number of paths from it to the
    // targets (0 off every shortest path).
    std::vector<uint32_t> level_;
    std::vector<uint64_t> paths_;
    std::unordered_map<uint32_t, std::vector<NamedEdge>> dag_edges_; // of the first on-path nodes
    std::unordered_map<uint32_t, std::vector<Choice>> sorted_;       // nodes with several choices
    std::vector<Choice> single_choice_;
};

} // namespace heapy::heap
