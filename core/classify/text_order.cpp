#include "core/classify/text_order.hpp"

#include "core/heap/second_thread.hpp"

#include <array>
#include <barrier>
#include <bit>
#include <optional>
#include <utility>

namespace heapy::classify {

namespace {

constexpr size_t kRadixFrom = 4096;
// From this many keys a second thread sorts half of them: each pass, each thread counts the
// digits of its half, then both scatter their halves to places worked out from both counts.
constexpr size_t kTwoThreadsFrom = size_t{1} << 18;
constexpr unsigned kDigitBits = 11;
constexpr uint64_t kDigitMask = (uint64_t{1} << kDigitBits) - 1;

using Counts = std::array<uint32_t, kDigitMask + 1>;

uint32_t digit(const Keyed& item, unsigned shift) {
    return uint32_t((item.key >> shift) & kDigitMask);
}

// One of the (one or two) threads of a radix sort of `n` keys by their bits [low, high): it
// counts and scatters the part [n * part / parts, n * (part + 1) / parts) of each pass; `sync`
// waits for the other thread. The keys end in `from` (a swapped pointer: both threads swap alike).
template <class Sync>
void radix_part(Keyed*& from, Keyed*& to, size_t n, unsigned low, unsigned high, size_t part,
                size_t parts, std::span<Counts> counts, Sync&& sync) {
    const size_t begin = n * part / parts, end = n * (part + 1) / parts;
    for (unsigned shift = low; shift < high; shift += kDigitBits) {
        Counts& own = counts[part];
        own.fill(0);
        for (size_t i = begin; i < end; ++i) ++own[digit(from[i], shift)];
        sync();
        const uint32_t first = digit(from[0], shift);
        uint32_t with_first = 0;
        for (const Counts& c : counts) with_first += c[first];
        if (with_first != n) { // else every key has the same digit: the pass changes nothing
            // This part's place in each bucket: after every key of the buckets before it, and
            // after the earlier parts' keys of the same bucket (the sort stays stable).
            Counts place;
            uint32_t sum = 0;
            for (size_t b = 0; b <= kDigitMask; ++b)
                for (size_t p = 0; p < parts; ++p) {
                    if (p == part) place[b] = sum;
                    sum += counts[p][b];
                }
            for (size_t i = begin; i < end; ++i) to[place[digit(from[i], shift)]++] = from[i];
            std::swap(from, to);
        }
        sync();
    }
}

} // namespace

// Radix digits of 11 bits (2048 buckets): more are slower on millions of keys, each pass
// scattering to more places than the caches follow.
void sort_by_key(std::span<Keyed> items, heap::BigVector<Keyed>& scratch) {
    if (items.size() < kRadixFrom) {
        std::stable_sort(items.begin(), items.end(),
                         [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
        return;
    }
    // Only the bits where some keys differ are sorted by.
    uint64_t differ = 0;
    for (const Keyed& item : items) differ |= item.key ^ items[0].key;
    if (differ == 0) return;
    const auto low = unsigned(std::countr_zero(differ)),
               high = 64 - unsigned(std::countl_zero(differ));
    scratch.resize(items.size());
    const size_t n = items.size();
    Keyed* from = items.data();
    Keyed* to = scratch.data();
    std::array<Counts, 2> counts;
    std::optional<std::barrier<>> both;
    std::optional<heap::SecondThread> second;
    if (n >= kTwoThreadsFrom && heap::second_thread_allowed()) {
        both.emplace(2);
        second.emplace([&, from, to](const auto&) mutable {
            radix_part(from, to, n, low, high, 1, 2, counts, [&] { both->arrive_and_wait(); });
        });
        if (!second->started()) second.reset();
    }
    if (second) {
        radix_part(from, to, n, low, high, 0, 2, counts, [&] { both->arrive_and_wait(); });
        second->finish();
    } else {
        radix_part(from, to, n, low, high, 0, 1, std::span(counts).first(1), [] {});
    }
    if (from != items.data()) std::copy(from, from + n, items.data());
}

} // namespace heapy::classify
