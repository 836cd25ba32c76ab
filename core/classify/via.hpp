#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/kinds.hpp"

#include <cstdint>
#include <vector>

namespace heapy::classify {

// Via: for every node, the sorted set of relation texts its referrers refer to it by (heapy's
// `byvia`). `whole_heap`: `nodes` is the reachable heap, 1..reachable_end-1, whose referrers are
// every reachable node with edges (no referrers index needed, nor a table of positions).
Kinds via_kinds(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                bool whole_heap);

} // namespace heapy::classify
