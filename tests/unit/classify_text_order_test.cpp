#include "core/classify/text_order.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using heapy::classify::Keyed;
using heapy::classify::order_by_text;
using heapy::classify::sort_by_key;

namespace {

// `n` keys drawn by `draw`, numbered in order: sorted by sort_by_key and by std::stable_sort,
// which must agree on every key and number (equal keys keep their order).
template <class Draw> void check_sorts_like_stable_sort(size_t n, Draw&& draw) {
    std::vector<Keyed> items(n);
    for (uint32_t i = 0; i < n; ++i) items[i] = {draw(), i};
    std::vector<Keyed> expected = items;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
    heapy::heap::BigVector<Keyed> scratch;
    sort_by_key(items, scratch);
    bool same = std::equal(items.begin(), items.end(), expected.begin(),
                           [](const Keyed& a, const Keyed& b) {
                               return a.key == b.key && a.id == b.id;
                           });
    CHECK(same);
}

void check_every_shape(size_t n) {
    std::mt19937_64 random(n);
    INFO(n << " keys");
    check_sorts_like_stable_sort(n, [&] { return random(); });
    // Few distinct keys: long runs of equal keys, which must keep their order.
    check_sorts_like_stable_sort(n, [&] { return random() % 7 << 50 | random() % 3; });
    // A common start: the passes over the top digits find one digit and are skipped.
    check_sorts_like_stable_sort(n, [&] { return 0xabcdef0000000000ULL | random() % 100000; });
    check_sorts_like_stable_sort(n, [] { return uint64_t{42}; });
}

} // namespace

TEST_CASE("sort_by_key: as a stable sort, by comparison, by radix and by radix in two threads",
          "[classify]") {
    for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{5000}, size_t{300001}})
        check_every_shape(n);
}

TEST_CASE("sort_by_key: the same in one thread when HEAPY_WALK_THREADS=1", "[classify]") {
    setenv("HEAPY_WALK_THREADS", "1", 1);
    check_every_shape(300001);
    unsetenv("HEAPY_WALK_THREADS");
}

TEST_CASE("order_by_text: texts with long common starts, prefixes and equal texts", "[classify]") {
    std::mt19937_64 random(7);
    std::vector<std::string> texts;
    for (int i = 0; i < 20000; ++i) {
        std::string text = "'.keys()[" + std::to_string(random() % 5000) + "]'";
        text.resize(random() % (text.size() + 1)); // prefixes of one another
        texts.push_back(std::move(text));
    }
    const auto order = order_by_text(texts.size(), [&](uint32_t i) { return texts[i]; });
    std::vector<uint32_t> expected(texts.size());
    for (uint32_t i = 0; i < expected.size(); ++i) expected[i] = i;
    std::stable_sort(expected.begin(), expected.end(),
                     [&](uint32_t a, uint32_t b) { return texts[a] < texts[b]; });
    CHECK(std::equal(order.begin(), order.end(), expected.begin(), expected.end()));
}
