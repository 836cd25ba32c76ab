#pragma once

// The report's icicle chart data: the dominator tree summarized by kind, each box labelled.

#include "core/commands/analysis.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>

namespace heapy::commands {

// {"kinds": [names], "boxes": [[parent, kind index (-1: folded), relation, count, size,
// retained, retained count], ...]}: box 0 is the root, parents come before their children.
// `max_boxes` is --detail.
nlohmann::json retained_tree_json(Analysis& a, const classify::ClassifyContext& context,
                                  size_t max_boxes);

} // namespace heapy::commands
