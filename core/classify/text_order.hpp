#pragma once

#include "core/heap/huge_pages.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::classify {

// Bytes [offset, offset + 8) of `text`, big-endian and zero-padded: ordered as the texts are
// wherever they differ in those bytes.
inline uint64_t text_key(std::string_view text, size_t offset) {
    uint64_t key = 0;
    for (size_t i = offset; i < offset + 8; ++i)
        key = key << 8 | (i < text.size() ? uint8_t(text[i]) : 0);
    return key;
}

// A text's number and 8 of its bytes as a number.
struct Keyed {
    uint64_t key;
    uint32_t id;
};

// Sorts `items` by key; equal keys keep their order. Long runs go by radix over the bits where
// keys differ (keys of texts with a common start share many), from 2^18 keys in two threads
// unless HEAPY_WALK_THREADS=1.
void sort_by_key(std::span<Keyed> items, heap::BigVector<Keyed>& scratch);

// Values grouped by a number, by a counting sort: values[begin[g], begin[g + 1]) are those of
// group g, in the order given.
struct Grouped {
    heap::BigVector<uint32_t> begin;
    heap::BigVector<uint32_t> values;
};

struct NeverStop {
    bool operator()() const { return false; }
};

// Item i of `count` goes to group `group_of(i)` (of `group_count`) as `value_of(i)`. `stop()`,
// asked every 2^16 items, ends the work early when true (the result is then of no use).
template <class GroupOf, class ValueOf, class Stop = NeverStop>
Grouped group_by(size_t count, size_t group_count, GroupOf&& group_of, ValueOf&& value_of,
                 Stop&& stop = {}) {
    constexpr size_t kAskEvery = size_t{1} << 16;
    Grouped out;
    out.begin.assign(group_count + 1, 0);
    for (size_t i = 0; i < count; ++i) {
        if (i % kAskEvery == 0 && stop()) return out;
        ++out.begin[group_of(i) + 1];
    }
    for (size_t g = 1; g < out.begin.size(); ++g) out.begin[g] += out.begin[g - 1];
    out.values.resize(count);
    heap::BigVector<uint32_t> fill(out.begin.begin(), out.begin.end() - 1);
    for (size_t i = 0; i < count; ++i) {
        if (i % kAskEvery == 0 && stop()) return out;
        out.values[fill[group_of(i)]++] = value_of(i);
    }
    return out;
}

// The numbers 0..n-1 ordered by sequences of parts (bytes of a text, numbers of a list), equal
// sequences by number. `key_at(id, offset)`: the `step` parts of sequence `id` from `offset` as
// one number, ordered as they are, parts past the end as 0 (a part that is itself 0 must then
// sort like a missing one); `length_of(id)`: how many parts it has. Millions of sequences with a
// long common start are sorted `step` parts at a time by radix: each run of sequences equal so
// far is sorted again by its next parts (a run is in number order, and the sort keeps equal keys
// in order); sequences equal but for trailing zero parts put the shorter first. `poll(sorted)`
// is told every kPollEvery sequences sorted (some more than once, a run again by its next parts):
// it may report progress, or throw to stop.
inline constexpr size_t kPollEvery = size_t{1} << 16;
struct NoPoll {
    void operator()(size_t) const {}
};
template <class KeyAt, class LengthOf, class Poll = NoPoll>
heap::BigVector<uint32_t> order_by_parts(size_t n, size_t step, KeyAt&& key_at,
                                         LengthOf&& length_of, Poll&& poll = {}) {
    struct Run {
        size_t begin, end, offset; // sequences [begin, end) agree on their parts before offset
    };
    heap::BigVector<Keyed> keyed(n);
    for (uint32_t i = 0; i < n; ++i) keyed[i] = {0, i};
    std::vector<Run> runs{{0, n, 0}};
    heap::BigVector<Keyed> scratch;
    size_t sorted = 0, next_poll = 0;
    while (!runs.empty()) {
        const Run run = runs.back();
        runs.pop_back();
        if (sorted >= next_poll) {
            poll(sorted);
            next_poll = sorted + kPollEvery;
        }
        sorted += run.end - run.begin;
        const auto first = keyed.begin() + std::ptrdiff_t(run.begin);
        const auto last = keyed.begin() + std::ptrdiff_t(run.end);
        for (auto it = first; it != last; ++it) it->key = key_at(it->id, run.offset);
        sort_by_key({keyed.data() + run.begin, run.end - run.begin}, scratch);
        for (auto a = first; a != last;) {
            auto b = a + 1;
            while (b != last && b->key == a->key) ++b;
            if (b - a > 1) {
                const bool longer = std::any_of(
                    a, b, [&](const Keyed& k) { return length_of(k.id) > run.offset + step; });
                if (longer) {
                    runs.push_back(
                        {size_t(a - keyed.begin()), size_t(b - keyed.begin()), run.offset + step});
                } else {
                    std::sort(a, b, [&](const Keyed& x, const Keyed& y) {
                        const size_t xs = length_of(x.id), ys = length_of(y.id);
                        return xs != ys ? xs < ys : x.id < y.id;
                    });
                }
            }
            a = b;
        }
    }
    heap::BigVector<uint32_t> order(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = keyed[i].id;
    return order;
}

// The numbers 0..n-1 ordered by `text_of` (equal texts by number), 8 bytes at a time.
template <class TextOf, class Poll = NoPoll>
heap::BigVector<uint32_t> order_by_text(size_t n, TextOf&& text_of, Poll&& poll = {}) {
    return order_by_parts(
        n, 8, [&](uint32_t id, size_t offset) { return text_key(text_of(id), offset); },
        [&](uint32_t id) { return std::string_view(text_of(id)).size(); }, poll);
}

// Strings stored end to end, numbered in the order added.
class TextArena {
  public:
    uint32_t add(std::string_view text) {
        bytes_.insert(bytes_.end(), text.begin(), text.end());
        ends_.push_back(bytes_.size());
        return uint32_t(ends_.size() - 1);
    }
    std::string_view operator[](uint32_t id) const {
        size_t begin = id == 0 ? 0 : ends_[id - 1];
        return std::string_view(bytes_.data() + begin, ends_[id] - begin);
    }
    size_t size() const { return ends_.size(); }
    // Adds the texts of `other` after these, numbered on.
    void append(const TextArena& other) {
        const size_t offset = bytes_.size();
        bytes_.insert(bytes_.end(), other.bytes_.begin(), other.bytes_.end());
        for (size_t end : other.ends_) ends_.push_back(offset + end);
    }

  private:
    heap::BigVector<char> bytes_;
    heap::BigVector<size_t> ends_;
};

} // namespace heapy::classify
