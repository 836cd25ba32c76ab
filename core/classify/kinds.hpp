#pragma once

#include "core/classify/classifier.hpp"
#include "core/heap/huge_pages.hpp"
#include "core/heap/second_thread.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::classify {

// Long classifications report progress and poll for Ctrl-C once per this many nodes.
constexpr size_t kNodesPerCheckpoint = size_t{1} << 16;
// From this many nodes, work that groups nodes without reading the target is split in two halves.
constexpr size_t kNodesForTwoThreads = size_t{1} << 17;

// Does `work(half, begin, end, stop)` over nodes [0, count): from kNodesForTwoThreads nodes on
// (unless HEAPY_WALK_THREADS=1), half 1 = [split, count) in a second thread while half 0 is
// done here (`split`: count / 2 unless given), else half 0 is everything. `stop(done)`, called by
// the work every kNodesPerCheckpoint nodes, says whether to end early; in this thread it reports
// progress as `step` and throws heapy::Interrupted at Ctrl-C. Returns where half 1 begins (count:
// no half 1).
template <class Work>
size_t in_two_halves(const ClassifyContext& context, size_t count, std::string_view step,
                     Work&& work, std::optional<size_t> given_split = std::nullopt) {
    size_t split = count;
    std::optional<heap::SecondThread> second;
    if (count >= kNodesForTwoThreads && heap::second_thread_allowed()) {
        split = given_split.value_or(count / 2);
        second.emplace([&](const std::atomic<bool>& stop) {
            work(1, split, count, [&](size_t) { return stop.load(std::memory_order_relaxed); });
        });
        if (!second->started()) {
            second.reset();
            split = count;
        }
    }
    work(0, 0, split, [&](size_t done) {
        const size_t both = split < count ? 2 * done : done; // the other half as far
        context.checkpoint(step, both, count);
        return false;
    });
    if (second) second->finish();
    return split;
}

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
