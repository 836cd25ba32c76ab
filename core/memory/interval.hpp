#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace heapy::memory {

// Half-open address intervals [first, second).
using Interval = std::pair<uint64_t, uint64_t>;

// Sorts and merges overlapping or touching intervals; drops empty ones.
inline std::vector<Interval> merge_intervals(std::vector<Interval> v) {
    std::erase_if(v, [](const Interval& i) { return i.second <= i.first; });
    std::sort(v.begin(), v.end());
    std::vector<Interval> out;
    for (const Interval& i : v) {
        if (!out.empty() && i.first <= out.back().second)
            out.back().second = std::max(out.back().second, i.second);
        else
            out.push_back(i);
    }
    return out;
}

// Appends to `out` the parts of [start, end) not covered by `covered` (sorted, disjoint).
inline void uncovered_parts(const std::vector<Interval>& covered, uint64_t start, uint64_t end,
                            std::vector<Interval>& out) {
    if (end <= start) return;
    auto it = std::upper_bound(covered.begin(), covered.end(), start,
                               [](uint64_t a, const Interval& i) { return a < i.first; });
    if (it != covered.begin() && std::prev(it)->second > start) --it;
    uint64_t pos = start;
    for (; it != covered.end() && it->first < end; ++it) {
        if (it->first > pos) out.emplace_back(pos, it->first);
        pos = std::max(pos, it->second);
        if (pos >= end) return;
    }
    if (pos < end) out.emplace_back(pos, end);
}

} // namespace heapy::memory
