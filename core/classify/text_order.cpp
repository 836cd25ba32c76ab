#include "core/classify/text_order.hpp"

#include <utility>

namespace heapy::classify {

// Sorts `items` by key; equal keys keep their order. Long runs go by radix, 16 bits a pass,
// skipping the passes where every key has the same digit (keys of texts with a common start).
void sort_by_key(std::span<Keyed> items, heap::BigVector<Keyed>& scratch) {
    constexpr size_t kRadixFrom = 4096;
    if (items.size() < kRadixFrom) {
        std::stable_sort(items.begin(), items.end(),
                         [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
        return;
    }
    scratch.resize(items.size());
    Keyed* from = items.data();
    Keyed* to = scratch.data();
    std::vector<uint32_t> start(size_t{1} << 16);
    for (unsigned shift = 0; shift < 64; shift += 16) {
        std::fill(start.begin(), start.end(), 0);
        for (size_t i = 0; i < items.size(); ++i) ++start[(from[i].key >> shift) & 0xffff];
        if (start[(from[0].key >> shift) & 0xffff] == items.size()) continue;
        uint32_t sum = 0;
        for (uint32_t& s : start) sum += std::exchange(s, sum);
        for (size_t i = 0; i < items.size(); ++i)
            to[start[(from[i].key >> shift) & 0xffff]++] = from[i];
        std::swap(from, to);
    }
    if (from != items.data()) std::copy(from, from + items.size(), items.data());
}

} // namespace heapy::classify
