#pragma once

#include "core/classify/type_namer.hpp"
#include "core/heap/object_graph.hpp"
#include "core/report/set_format.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::classify {

// heapy's equivalence relations (HEAPY.md section 2).
enum class Classifier { Clodo, Type };

struct ClassifierInfo {
    Classifier classifier;
    std::string_view name;   // as given to --by and written in JSON
    std::string_view header; // heapy's column header
};

// The classifier named `name` (case-insensitive, e.g. "clodo", "type"), or nullopt.
std::optional<ClassifierInfo> find_classifier(std::string_view name);
// "clodo, type" — the names find_classifier accepts.
std::string classifier_names();

// Everything a classifier needs to name kinds.
struct ClassifyContext {
    const heap::ObjectGraph& graph;
    TypeNamer& names;
    uint32_t dict_type; // TypeRegistry index of `dict`
};

// The partition of `nodes` (node numbers of `context.graph`) by `classifier`, rows in heapy's
// order: size descending, then kind name.
report::Partition partition(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                            const ClassifierInfo& classifier);

} // namespace heapy::classify
