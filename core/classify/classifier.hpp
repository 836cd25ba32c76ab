#pragma once

#include "core/classify/type_namer.hpp"
#include "core/cpython/object_decoder.hpp"
#include "core/heap/huge_pages.hpp"
#include "core/heap/object_graph.hpp"
#include "core/heap/referrers.hpp"
#include "core/report/set_format.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::classify {

// heapy's equivalence relations (HEAPY.md section 2).
enum class Classifier { Clodo, Type, Class, Size, Module, Unity, Via, Rcs, Idset, Id, Prod };

struct ClassifierInfo {
    Classifier classifier;
    std::string_view name;   // as given to --by and written in JSON
    std::string_view header; // heapy's column header
};

// The classifier named `name` (case-insensitive, e.g. "clodo", "type", "via"), or nullopt.
std::optional<ClassifierInfo> find_classifier(std::string_view name);
// The classifier whose tables have the column header `header` (a saved Stat's kind header).
std::optional<ClassifierInfo> find_classifier_by_header(std::string_view header);
// "clodo, type, ..." — the names find_classifier accepts.
std::string classifier_names();
// Whether a partition by `classifier` needs the referrers index (`whole_heap`: of the whole
// reachable heap, which Via reads from every node's own edges instead).
bool needs_referrers(Classifier classifier, bool whole_heap = false);

// Everything a classifier needs to name kinds.
struct ClassifyContext {
    const heap::ObjectGraph& graph;
    TypeNamer& names;
    uint32_t dict_type;     // TypeRegistry index of `dict`
    uint32_t reachable_end; // nodes [1, reachable_end) are reachable from the root
    cpython::ObjectDecoder* decoder = nullptr;  // Via, Rcs, Module, Idset
    const heap::Referrers* referrers = nullptr; // Via, Rcs
    // Polled by long classifications (Via): true once the user asked to stop.
    std::function<bool()> interrupted = {};
    // Told how a long classification is getting on (`done` of `total`).
    std::function<void(std::string_view what, uint64_t done, uint64_t total)> progress = {};
    // Prod: where the node was allocated, "file:line" of tracemalloc's newest frame ("" when
    // it was not traced).
    std::function<std::string(uint32_t node)> producer = {};

    // Throws heapy::Interrupted when the user asked to stop; else reports progress.
    void checkpoint(std::string_view what, uint64_t done, uint64_t total) const;
};

// The Clodo kind name of one node: `str`, `dict of __main__.Foo`, `dict (no owner)`...
std::string clodo_name(const ClassifyContext& context, uint32_t node);

// A set of nodes to classify; null stands for the whole reachable heap (nodes 1 to
// reachable_end - 1), which is then not listed unless a classifier needs it.
using SharedNodes = std::shared_ptr<const std::vector<uint32_t>>;

// A partition of a set, and the row each node of the set is in (rows as in the table).
struct PartitionResult {
    report::Partition table;
    SharedNodes nodes;                // the set partitioned (null: the reachable heap)
    uint32_t reachable_end = 0;       // with a null `nodes`
    heap::BigVector<uint32_t> row_of; // row_of[i]: the row of (*nodes)[i]
    // Without row_of: the row of a node, worked out again (cheap classifiers).
    std::function<uint32_t(uint32_t node)> row_of_node;

    // The nodes of row `row`, in set order.
    std::vector<uint32_t> members(size_t row) const;
    // The nodes of every row, in set order.
    std::vector<std::vector<uint32_t>> all_members() const;

  private:
    template <class F> void for_each_member(F&& f) const;
};

// A node's Clodo kind as a number: its type's index, or kDictOfBit | the owner's type index for
// `dict of X`, kDictNoOwner for `dict (no owner)`, kRootKey for the root.
constexpr uint64_t kDictOfBit = uint64_t{1} << 40;
constexpr uint64_t kDictNoOwner = uint64_t{2} << 40;
constexpr uint64_t kRootKey = uint64_t{3} << 40;
uint64_t clodo_key(const ClassifyContext& context, uint32_t node);

// The partition of `nodes` by `classifier`, rows in heapy's order: size descending, then kind
// name. (Id has no partition: see render.hpp for its table.)
// The reachable heap as a list: nodes 1 to reachable_end - 1.
SharedNodes list_reachable(uint32_t reachable_end);

PartitionResult partition(const ClassifyContext& context, SharedNodes nodes,
                          const ClassifierInfo& classifier);
PartitionResult partition(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                          const ClassifierInfo& classifier);

} // namespace heapy::classify
