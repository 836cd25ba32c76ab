#pragma once

#include "core/classify/classifier.hpp"
#include "core/heap/huge_pages.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace heapy::classify {

// Long classifications report progress and poll for Ctrl-C once per this many nodes.
constexpr size_t kNodesPerCheckpoint = size_t{1} << 16;

// The kind of every node: keys[i] for nodes[i], names[key] its name. `ordered`: the keys are
// ranks, names sorted and distinct.
struct Kinds {
    heap::BigVector<uint32_t> keys;
    std::vector<std::string> names;
    bool ordered = false;
    // Instead of `names`, for millions of kinds (by via): `count` kinds, ordered, each named by
    // `name_of` only when shown.
    uint32_t count = 0;
    std::function<std::string(uint32_t key)> name_of;

    size_t size() const { return name_of ? count : names.size(); }
};

// Referrers heapy would count for `node`: for a reachable object only reachable referrers (and
// the root); for an unreachable one, every referrer the graph has.
template <class F> void for_each_referrer(const ClassifyContext& context, uint32_t node, F&& f) {
    bool reachable = node < context.reachable_end;
    for (uint32_t referrer : context.referrers->of(node))
        if (!reachable || referrer < context.reachable_end) f(referrer);
}

} // namespace heapy::classify
