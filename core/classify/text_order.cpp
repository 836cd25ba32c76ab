#include "core/classify/text_order.hpp"

#include <utility>

namespace heapy::classify {

// Sorts `items` by key; equal keys keep their order. Long runs go by radix, 11 bits a pass (2048
// buckets: more are slower on millions of keys, each pass scattering to more places than the
// caches follow), skipping the passes where every key has the same digit (keys of texts with a
// common start).
void sort_by_key(std::span<Keyed> items, heap::BigVector<Keyed>& scratch) {
    constexpr size_t kRadixFrom = 4096;
    constexpr unsigned kDigitBits = 11;
    constexpr uint64_t kDigitMask = (uint64_t{1} << kDigitBits) - 1;
    if (items.size() < kRadixFrom) {
        std::stable_sort(items.begin(), items.end(),
                         [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
        return;
    }
    scratch.resize(items.size());
    Keyed* from = items.data();
    Keyed* to = scratch.data();
    std::vector<uint32_t> start(kDigitMask + 1);
    for (unsigned shift = 0; shift < 64; shift += kDigitBits) {
        std::fill(start.begin(), start.end(), 0);
        for (size_t i = 0; i < items.size(); ++i) ++start[(from[i].key >> shift) & kDigitMask];
        if (start[(from[0].key >> shift) & kDigitMask] == items.size()) continue;
        uint32_t sum = 0;
        for (uint32_t& s : start) sum += std::exchange(s, sum);
        for (size_t i = 0; i < items.size(); ++i)
            to[start[(from[i].key >> shift) & kDigitMask]++] = from[i];
        std::swap(from, to);
    }
    if (from != items.data()) std::copy(from, from + items.size(), items.data());
}

} // namespace heapy::classify
