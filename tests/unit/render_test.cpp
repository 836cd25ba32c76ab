// heapy's renders (HEAPY.md 1.2, 1.3) on a hand-built interpreter: per kind render and header,
// the identity table's order, briefs, by idset names, reference pattern summaries.
// Needs the decoder tests' support library (tests/unit/support/).
#if __has_include("tests/unit/support/decoding.hpp")
#include "core/classify/render.hpp"
#include "core/errors.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace heapy::test;
using heapy::classify::Renderer;

namespace {

struct Rendering {
    explicit Rendering(Walk& walk)
        : w(walk), context{w.graph, w.namer, w.types.get(w.heap.t.dict)->index,
                           uint32_t(w.graph.nodes.size()), &w.decoder},
          r(context) {}
    uint32_t node(uint64_t address) {
        uint32_t n = w.graph.index.find(address);
        REQUIRE(n != heapy::heap::AddressIndex::kMissing);
        return n;
    }
    std::vector<uint32_t> nodes(std::initializer_list<uint64_t> addresses) {
        std::vector<uint32_t> out;
        for (uint64_t a : addresses) out.push_back(node(a));
        return out;
    }
    std::string render(uint64_t address, bool short_owner = false) {
        return r.render(node(address), short_owner);
    }
    std::vector<std::string> rows(const heapy::report::IdTable& t) {
        std::vector<std::string> out;
        for (const auto& row : t.rows) out.push_back(fmt::format("{} {}", row.size, row.render));
        return out;
    }

    Walk& w;
    heapy::classify::ClassifyContext context;
    Renderer r;
};

std::string hex(uint64_t address) {
    return fmt::format("0x{:x}", address);
}

} // namespace

TEST_CASE("renders per kind", "[render]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t inst = p.global("inst", h.instance(foo, {{"x", h.integer(1)}}));
    const uint64_t small = p.global("small", h.new_str("a'b"));
    const uint64_t long_str = p.global("long", h.new_str(std::string(100, 'x')));
    const uint64_t text =
        p.global("text", h.new_str("The class Bi" + std::string(40, '-') + " copy of S.\n"));
    const uint64_t data = p.global("data", h.bytes("\x01"
                                                   "abc"));
    const uint64_t number = p.global("number", h.integer(-12345));
    const uint64_t list = p.global("list", h.list({number, small}));
    const uint64_t tuple = p.global("tuple", h.tuple({number}));
    const uint64_t plain = p.global("plain", h.dict({{h.str("k"), number}}));
    const uint64_t code = h.code({.name = "work", .filename = "/srv/app/jobs.py"});
    const uint64_t func = p.global("work", h.function({.code = code, .globals = p.globals}));
    h.poke(func + h.L.function_module, h.str("app.jobs"));
    const uint64_t json_dict = h.dict({{h.str("__name__"), h.str("json.decoder")}});
    const uint64_t json = h.module("json.decoder", json_dict);
    h.dict_set(p.modules, h.str("json.decoder"), json);
    p.global("none", h.None);
    Walk w(h);
    Rendering r(w);

    CHECK(r.render(small) == "\"a'b\"");
    CHECK(r.render(long_str) == "'xxxxxxxxxxxx...xxxxxxxxxxxxx'");
    CHECK(r.render(text) == "'The class Bi... copy of S.\\n'");
    CHECK(r.render(data) == "b'\\x01abc'");
    CHECK(r.render(number) == "-12345");
    CHECK(r.render(h.None) == "None");
    CHECK(r.render(list) == hex(list) + "*2");
    CHECK(r.render(tuple) == hex(tuple) + "*1");
    CHECK(r.render(plain) == hex(plain) + "*1");
    CHECK(r.render(foo) == "__main__.Foo");
    CHECK(r.render(h.t.int_) == "int");
    CHECK(r.render(inst) == hex(inst));
    CHECK(r.render(code) == "jobs.py:1:work");
    CHECK(r.render(func) == "app.jobs.work");
    CHECK(r.render(json) == "json.decoder");
    // dict of X: the owner's render; the short form keeps the last dotted component.
    CHECK(r.render(json_dict) == "json.decoder");
    CHECK(r.render(json_dict, true) == "..decoder");
    CHECK(r.render(p.globals, true) == "__main__");
    CHECK(r.render(h.values_of(inst)) == hex(inst));
    CHECK(r.r.kind_brief(r.node(h.values_of(inst))) == "dict of __main__.Foo");

    // Headers and labels of one-kind identity tables.
    auto table = [&](std::initializer_list<uint64_t> a) { return r.r.id_table(r.nodes(a)); };
    CHECK(table({small}).header == "Representation (limited)");
    CHECK(table({small}).kindname == "<str>");
    CHECK(table({number}).header == "Value");
    CHECK(table({h.None}).kindname == "<types.NoneType>");
    CHECK(table({foo}).header == "Name");
    CHECK(table({code}).header == "File:Line:Name");
    CHECK(table({func}).kindname == "<function>");
    CHECK(table({list}).header == "Address*Length");
    CHECK(table({inst}).header == "Address");
    CHECK(table({p.globals, json_dict}).header == "Owner Name");
    CHECK(table({p.globals, json_dict}).kindname == "<dict of module>");
    CHECK(table({h.values_of(inst)}).header == "Owner Address");
    CHECK(table({plain}).kindname == "<dict (no owner)>");
    CHECK(table({small, number}).header == "Brief");
    CHECK(table({small, number}).kindname == "<mixed>");
}

TEST_CASE("identity tables: size, then the kind's sort key, then address", "[render]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t b = p.global("b", h.new_str("bb")), a = p.global("a", h.new_str("aa"));
    const uint64_t longer = p.global("longer", h.new_str("a longer one"));
    const uint64_t ten = p.global("ten", h.integer(10)), nine = p.global("nine", h.integer(9));
    const uint64_t neg = p.global("neg", h.integer(-3));
    const uint64_t big = p.global("big", h.integer(int64_t{1} << 40));
    Walk w(h);
    Rendering r(w);
    std::vector<uint32_t> order;
    auto strs = r.r.id_table(r.nodes({b, a, longer}), &order);
    CHECK(r.rows(strs) == std::vector<std::string>{"61 'a longer one'", "51 'aa'", "51 'bb'"});
    CHECK(order == r.nodes({longer, a, b}));
    CHECK(strs.count == 3);
    CHECK(strs.size == 163);
    auto ints = r.r.id_table(r.nodes({ten, nine, neg, big}));
    CHECK(r.rows(ints) == std::vector<std::string>{"32 1099511627776", "28 -3", "28 9", "28 10"});
    // Mixed: by kind brief, then the key of each kind; renders prefixed by the brief.
    auto mixed = r.r.id_table(r.nodes({ten, a, nine, b}));
    CHECK(r.rows(mixed) ==
          std::vector<std::string>{"51 str: 'aa'", "51 str: 'bb'", "28 int: 9", "28 int: 10"});
    // Addresses sort as numbers for address-rendered kinds.
    const uint64_t l1 = h.list({}), l2 = h.list({});
    p.global("l1", l1);
    p.global("l2", l2);
    Walk w2(h);
    Rendering r2(w2);
    auto lists = r2.r.id_table(r2.nodes({std::max(l1, l2), std::min(l1, l2)}));
    CHECK(r2.rows(lists) ==
          std::vector<std::string>{fmt::format("56 {}*0", hex(std::min(l1, l2))),
                                   fmt::format("56 {}*0", hex(std::max(l1, l2)))});
}

TEST_CASE("briefs: count, kind, sorted renders, cut to 80 characters", "[render]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t one = p.global("one", h.integer(1));
    const uint64_t s1 = p.global("s1", h.new_str("b")), s2 = p.global("s2", h.new_str("a"));
    std::vector<uint64_t> many;
    for (int i = 0; i < 30; ++i)
        many.push_back(p.global(fmt::format("m{}", i), h.integer(1000 + i)));
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t inst = p.global("inst", h.instance(foo));
    Walk w(h);
    Rendering r(w);
    CHECK(r.r.brief(r.nodes({one})) == "<1 int: 1>");
    CHECK(r.r.brief(r.nodes({s1, s2})) == "<2 str: 'a', 'b'>");
    CHECK(r.r.brief({}) == "<Nothing>");
    std::string full = fmt::format(
        "<3 (__main__.Foo | int | str): <1 __main__.Foo: {}> | <1 int: 1> | <1 str: 'b'>>",
        hex(inst));
    if (full.size() > 80) full = full.substr(0, 76) + "...>";
    CHECK(r.r.brief(r.nodes({s1, one, inst})) == full);
    std::vector<uint32_t> all;
    for (uint64_t m : many) all.push_back(r.node(m));
    const std::string cut = r.r.brief(all);
    CHECK(cut.size() <= 80);
    CHECK(cut.substr(0, 14) == "<30 int: 1000,");
    CHECK(cut.substr(cut.size() - 4) == "...>");
    // A reference pattern summary: renders until the line is full, then '...'.
    CHECK(r.r.refpat_summary(all, 40) == "30 int: 1000, 1001, 1002, 1003, 1004...");
    CHECK(r.r.refpat_summary(r.nodes({s1, s2}), 40) == "2 str: 'a', 'b'");
}

TEST_CASE("by idset names each object by the brief of its singleton", "[render]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t x = p.global("x", h.new_str("same")), y = p.global("y", h.new_str("same"));
    Walk w(h);
    Rendering r(w);
    auto result = heapy::classify::partition(r.context, r.nodes({x, y}),
                                             *heapy::classify::find_classifier("idset"));
    REQUIRE(result.table.rows.size() == 2); // equal briefs, distinct objects
    CHECK(result.table.kind(0) == "<1 str: 'same'>");
    CHECK(result.table.kind(1) == "<1 str: 'same'>");
    CHECK(result.table.header == "by identity set");
}

TEST_CASE("a partition of the whole heap has the rows and members of the listed heap",
          "[render][partition]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    for (int i = 0; i < 3; ++i)
        p.global(fmt::format("i{}", i), h.instance(foo, {{"x", h.new_str("v")}}));
    p.global("s", h.new_str("some text"));
    p.global("l", h.list({h.integer(5), h.new_str("v")}));
    Walk w(h);
    Rendering r(w);
    const heapy::heap::Referrers referrers(w.graph);
    heapy::classify::ClassifyContext context = r.context;
    context.referrers =
        &referrers; // a listed set's via and rcs need them; the whole heap's via not
    std::vector<uint32_t> listed;
    for (uint32_t node = 1; node < r.context.reachable_end; ++node) listed.push_back(node);
    for (const char* name : {"clodo", "type", "size", "unity", "via", "rcs"}) {
        const auto classifier = *heapy::classify::find_classifier(name);
        heapy::classify::ClassifyContext whole_context = r.context;
        if (heapy::classify::needs_referrers(classifier.classifier, true))
            whole_context.referrers = &referrers;
        const auto whole = heapy::classify::partition(whole_context, nullptr, classifier);
        const auto list = heapy::classify::partition(context, listed, classifier);
        INFO(name);
        REQUIRE(whole.table.rows.size() == list.table.rows.size());
        CHECK(whole.table.count == listed.size());
        CHECK(whole.table.size == list.table.size);
        for (size_t row = 0; row < list.table.rows.size(); ++row) {
            CHECK(whole.table.kind(row) == list.table.kind(row));
            CHECK(whole.table.rows[row].count == list.table.rows[row].count);
            CHECK(whole.members(row) == list.members(row));
            CHECK(whole.members(row).size() == whole.table.rows[row].count);
        }
        CHECK(whole.all_members() == list.all_members());
        CHECK(whole.members(whole.table.rows.size()).empty());
    }
}

namespace {

// The (kind, count) rows of the by-via table of `objects` (a listed set) of the heap.
std::vector<std::pair<std::string, uint64_t>> via_rows_of(PyHeap& h,
                                                          const std::vector<uint64_t>& objects) {
    Walk w(h);
    Rendering r(w);
    std::vector<uint32_t> nodes;
    for (uint64_t object : objects) nodes.push_back(r.node(object));
    const heapy::heap::Referrers referrers(w.graph);
    heapy::classify::ClassifyContext context = r.context;
    context.referrers = &referrers;
    const auto result =
        heapy::classify::partition(context, nodes, *heapy::classify::find_classifier("via"));
    CHECK(result.table.name_row); // rows named when shown
    std::vector<std::pair<std::string, uint64_t>> rows;
    for (size_t i = 0; i < result.table.rows.size(); ++i)
        rows.emplace_back(result.table.kind(i), result.table.rows[i].count);
    return rows;
}

// The by-via rows of the values of one dict with `keys`: every value an int of the same size,
// so rows tie on size and come in name order.
std::vector<std::pair<std::string, uint64_t>>
via_rows_of_dict_values(const std::vector<std::string>& keys) {
    Program p;
    PyHeap& h = p.h;
    std::vector<std::pair<uint64_t, uint64_t>> items;
    std::vector<uint64_t> values;
    for (const std::string& key : keys) {
        values.push_back(h.integer(100000 + int64_t(values.size())));
        items.emplace_back(h.new_str(key), values.back());
    }
    p.global("d", h.dict(items));
    return via_rows_of(h, values);
}

// A table of the whole reachable heap by `classifier`: the count of each kind, the table's count
// and how many objects are reachable.
// The partition of the whole heap; by via both from relations the walk recorded and decoded
// again, which must agree.
struct WholeHeapTable {
    WholeHeapTable(PyHeap& h, std::string_view classifier) {
        fill(h, classifier, false);
        if (classifier == "via") {
            WholeHeapTable recorded;
            recorded.fill(h, classifier, true);
            CHECK(recorded.count_of == count_of);
            CHECK(recorded.total == total);
        }
    }
    std::map<std::string, uint64_t> count_of;
    size_t out_of_order = 0; // rows of one size not in name order
    uint64_t total = 0;
    uint64_t reachable = 0;

  private:
    WholeHeapTable() = default;
    void fill(PyHeap& h, std::string_view classifier, bool record_relations) {
        Walk w(h, record_relations);
        Rendering r(w);
        const auto info = *heapy::classify::find_classifier(classifier);
        const heapy::heap::Referrers referrers(w.graph);
        heapy::classify::ClassifyContext context = r.context;
        if (heapy::classify::needs_referrers(info.classifier, true)) context.referrers = &referrers;
        const auto result = heapy::classify::partition(context, nullptr, info);
        for (size_t i = 0; i < result.table.rows.size(); ++i) {
            count_of[result.table.kind(i)] = result.table.rows[i].count;
            if (i > 0 && result.table.rows[i - 1].size == result.table.rows[i].size &&
                !(result.table.kind(i - 1) < result.table.kind(i)))
                ++out_of_order;
        }
        total = result.table.count;
        reachable = r.context.reachable_end - 1;
    }
};

// `count` ints of one size, from `first` on.
std::vector<uint64_t> ints_from(PyHeap& h, int64_t first, int count) {
    std::vector<uint64_t> ints;
    for (int i = 0; i < count; ++i) ints.push_back(h.integer(first + i));
    return ints;
}

std::vector<std::string> kinds_of(const std::vector<std::pair<std::string, uint64_t>>& rows) {
    std::vector<std::string> kinds;
    for (const auto& row : rows) kinds.push_back(row.first);
    return kinds;
}

} // namespace

TEST_CASE("by via rows of equal size come in name order, however long their common start",
          "[render][partition]") {
    // Keys that share 17 bytes and more, keys that are the start of others, in no order.
    std::vector<std::string> keys;
    for (int i : {7, 31, 2, 19, 0, 11, 23, 5, 29, 13, 3, 17}) {
        keys.push_back(fmt::format("customer-key-{:04d}", i));
        keys.push_back(fmt::format("customer-key-{:04d}x", i));
    }
    keys.push_back("c");
    const auto rows = via_rows_of_dict_values(keys);
    REQUIRE(rows.size() == keys.size());
    for (const auto& row : rows) CHECK(row.second == 1);
    const std::vector<std::string> kinds = kinds_of(rows);
    std::vector<std::string> sorted = kinds;
    std::sort(sorted.begin(), sorted.end());
    CHECK(kinds == sorted);
    CHECK(kinds.front() == "\"['c']\"");
    CHECK(kinds[1] == "\"['customer-key-0000']\"");
    CHECK(kinds[2] == "\"['customer-key-0000x']\"");
}

TEST_CASE("by via rows of equal size come in name order when there are thousands of them",
          "[render][partition]") {
    // Enough names that they are sorted by radix, with bytes that differ in every 16-bit digit
    // of the third 8-byte block and names that are the start of others.
    std::vector<std::string> keys;
    constexpr int kKeys = 6000;
    for (int n = 0; n < kKeys; ++n) {
        const int i = int((int64_t(n) * 7919) % kKeys); // every number once, in no order
        keys.push_back(i % 3 == 0   ? fmt::format("customer-key-{:05d}", i)
                       : i % 3 == 1 ? fmt::format("customer-key-{}", i)
                                    : fmt::format("customer-key-{}{:05d}", char('a' + i % 26), i));
    }
    const auto rows = via_rows_of_dict_values(keys);
    REQUIRE(rows.size() == keys.size());
    const std::vector<std::string> kinds = kinds_of(rows);
    std::vector<std::string> sorted = kinds;
    std::sort(sorted.begin(), sorted.end());
    CHECK(kinds == sorted);
}

TEST_CASE("by via rows of sets of relations come in name order among single relations",
          "[render][partition]") {
    // Ints of one size, each referred to by a different mix of dict keys and list items: the
    // rows tie on size, so they come in name order, a set after the relation it starts with
    // ("['ab']" alone sorts after the sets that start with "['a']").
    Program p;
    PyHeap& h = p.h;
    const std::vector<uint64_t> ints = ints_from(h, 200000, 7);
    auto key = [&](const char* text) { return h.new_str(text); };
    p.global("d1", h.dict({{key("a"), ints[0]},
                           {key("b"), ints[1]},
                           {key("ab"), ints[2]},
                           {key("a b"), ints[3]}}));
    p.global("d2", h.dict({{key("a"), ints[1]}, {key("b"), ints[4]}}));
    p.global("l", h.list({ints[4], ints[3], ints[5]}));
    p.global("t", h.tuple({ints[0], ints[1]}));
    p.global("d3", h.dict({{key("a"), ints[6]}}));
    const std::vector<std::string> kinds = kinds_of(via_rows_of(h, ints));
    std::vector<std::string> sorted = kinds;
    std::sort(sorted.begin(), sorted.end());
    CHECK(kinds == sorted);
    CHECK(kinds == std::vector<std::string>{
                       "\"['a b']\", '[1]'",          // ints[3] (' ' sorts before "'")
                       "\"['a']\"",                   // ints[6]
                       "\"['a']\", \"['b']\", '[1]'", // ints[1]
                       "\"['a']\", '[0]'",            // ints[0]
                       "\"['ab']\"",                  // ints[2]
                       "\"['b']\", '[0]'",            // ints[4]
                       "'[2]'",                       // ints[5]
                   });
}

TEST_CASE("by via of thousands of referrers, decoded in blocks", "[render][partition]") {
    // 5000 tuples (x, n): x is referred to via [0] by all, each n via [1] by one, each tuple via
    // its index by the list. With HEAPY_TEST_CONCURRENT_IMAGES=1 two threads share the blocks.
    Program p;
    PyHeap& h = p.h;
    constexpr int kTuples = 5000;
    const uint64_t x = h.new_str("x");
    std::vector<uint64_t> tuples;
    for (int i = 0; i < kTuples; ++i) tuples.push_back(h.tuple({x, h.integer(100000 + i)}));
    p.global("tuples", h.list(tuples));
    WholeHeapTable via(h, "via");
    CHECK(via.count_of["'[1]'"] == kTuples + 1); // the ints and tuples[1]
    CHECK(via.count_of["'[0]'"] == 2);           // x and tuples[0]
    CHECK(via.count_of["'[4999]'"] == 1);
    CHECK(via.count_of["'[2]'"] == 1);
    CHECK(via.total == via.reachable);
}

TEST_CASE("by via names tens of thousands of relations", "[render][partition]") {
    // Tens of thousands of distinct relations: with HEAPY_TEST_CONCURRENT_IMAGES=1 two threads
    // find them, each naming what it finds first with a type registry of its own.
    Program p;
    PyHeap& h = p.h;
    constexpr int kItems = 70000;
    const std::vector<uint64_t> items = ints_from(h, 300000, kItems);
    std::vector<std::pair<uint64_t, uint64_t>> named;
    for (int i = 0; i < 3; ++i) named.emplace_back(h.new_str(fmt::format("key{}", i)), items[i]);
    p.global("l", h.list(items));
    p.global("d", h.dict(named));
    WholeHeapTable via(h, "via");
    CHECK(via.count_of["'[69999]'"] == 1);
    CHECK(via.count_of["'[35000]'"] == 1);
    CHECK(via.count_of["\"['key2']\", '[2]'"] == 1);
    CHECK(via.count_of["\"['key0']\", '[0]'"] == 1);
    CHECK(via.count_of.size() >= size_t(kItems));
}

TEST_CASE("by via of a list of more items than one thread names alone", "[render][partition]") {
    // Recorded, the list's edges are split between the threads, and the [i] of its items named
    // at the end in two parts (with HEAPY_TEST_CONCURRENT_IMAGES=1); a tuple holds two of them.
    Program p;
    PyHeap& h = p.h;
    constexpr int kItems = 140000;
    const std::vector<uint64_t> items = ints_from(h, 500000, kItems);
    p.global("l", h.list(items));
    p.global("t", h.tuple({items[kItems - 1], items[7]}));
    WholeHeapTable via(h, "via");
    CHECK(via.count_of["'[0]'"] == 1);
    CHECK(via.count_of["'[139998]'"] == 1);
    CHECK(via.count_of["'[0]', '[139999]'"] == 1);
    CHECK(via.count_of["'[1]', '[7]'"] == 1);
    CHECK(via.count_of["'[70000]'"] == 1);
    CHECK(via.total == via.reachable);
}

TEST_CASE("by rcs of more objects than one thread groups alone", "[render][partition]") {
    // The referrers' kinds of the second half of the nodes are found in a second thread.
    Program p;
    PyHeap& h = p.h;
    constexpr int kItems = 140000;
    const std::vector<uint64_t> items = ints_from(h, 400000, kItems);
    p.global("l", h.list(items));
    p.global("t", h.tuple({items[0], items[kItems - 1]}));
    WholeHeapTable rcs(h, "rcs");
    CHECK(rcs.count_of["builtins.list"] == kItems - 2);
    CHECK(rcs.count_of["builtins.list, tuple"] == 2); // the first and the last, one in each half
    CHECK(rcs.total == rcs.reachable);
}

TEST_CASE("by via of more objects than one thread groups alone", "[render][partition]") {
    // Two threads each gather the sets of half the relations, then each numbers the sets whose
    // hash falls to it, from both halves. The ts (walked breadth first, on both sides of the
    // middle) have one set of relations: one row.
    Program p;
    PyHeap& h = p.h;
    constexpr int kItems = 50000;
    const std::vector<uint64_t> xs = ints_from(h, 400000, kItems);
    std::vector<uint64_t> cs;
    for (uint64_t x : xs) {
        const uint64_t t = h.tuple({x});
        cs.push_back(h.tuple({t, t}));
    }
    p.global("l", h.list(cs));
    WholeHeapTable via(h, "via");
    REQUIRE(via.reachable >= 3 * kItems);
    CHECK(via.count_of["'[0]', '[1]'"] == kItems); // every t, as c[0] and c[1]
    CHECK(via.count_of["'[0]'"] == kItems + 1);    // every x, as t[0], and l[0]
    CHECK(via.count_of["'[49999]'"] == 1);
    CHECK(via.total == via.reachable);
}

TEST_CASE("by via of many distinct sets numbers them in two threads", "[render][partition]") {
    // Each x is l[i] and t[0] of its own tuple: kItems - 1 distinct sets of two relations, which
    // the two threads share by their hash; every one must be its own row.
    Program p;
    PyHeap& h = p.h;
    constexpr int kItems = 70000;
    const std::vector<uint64_t> xs = ints_from(h, 400000, kItems);
    std::vector<uint64_t> ts;
    for (uint64_t x : xs) ts.push_back(h.tuple({x}));
    p.global("l", h.list(xs));
    p.global("ts", h.list(ts));
    WholeHeapTable via(h, "via");
    REQUIRE(via.reachable >= 2 * kItems);
    size_t wrong = 0;
    for (int i = 1; i < kItems; ++i) wrong += via.count_of[fmt::format("'[0]', '[{}]'", i)] != 1;
    CHECK(wrong == 0);
    CHECK(via.out_of_order == 0);      // the sets starting with '[0]' too, many to sort
    CHECK(via.count_of["'[0]'"] == 2); // x0 (l[0] and t[0]), and ts[0]
    CHECK(via.total == via.reachable);
}

TEST_CASE("by via of objects referred to many times: each class once in the set",
          "[render][partition]") {
    // z is t[0] of 40 tuples and l[0], l[1] of a list: 42 relations, two classes. y is l2[i]
    // for 50 places: 50 classes.
    Program p;
    PyHeap& h = p.h;
    const uint64_t z = h.integer(700001), y = h.integer(700002);
    std::vector<uint64_t> ts;
    for (int i = 0; i < 40; ++i) ts.push_back(h.tuple({z}));
    p.global("ts", h.list(ts));
    p.global("l", h.list({z, z}));
    p.global("l2", h.list(std::vector<uint64_t>(50, y)));
    WholeHeapTable via(h, "via");
    CHECK(via.count_of["'[0]', '[1]'"] == 1);
    std::vector<std::string> classes; // in text order: '[10]' before '[1]' (digits before "]")
    for (int i = 0; i < 50; ++i) classes.push_back(fmt::format("'[{}]'", i));
    std::sort(classes.begin(), classes.end());
    std::string fifty;
    for (const std::string& c : classes) fifty += (fifty.empty() ? "" : ", ") + c;
    CHECK(via.count_of[fifty] == 1);
}

TEST_CASE("by via and by rcs tell how they are getting on, and stop when the user interrupts",
          "[render][partition]") {
    Program p;
    PyHeap& h = p.h;
    p.global("l", h.list({h.integer(5), h.new_str("v")}));
    Walk w(h);
    Rendering r(w);
    heapy::classify::ClassifyContext context = r.context;
    const auto via = *heapy::classify::find_classifier("via");
    SECTION("progress") {
        std::set<std::string> steps;
        context.progress = [&](std::string_view what, uint64_t done, uint64_t total) {
            CHECK(done <= total);
            steps.emplace(what);
        };
        heapy::classify::partition(context, nullptr, via);
        CHECK(steps ==
              std::set<std::string>{
                  "finding how objects are referred to", "sorting the ways objects are referred to",
                  "grouping the ways objects are referred to by object",
                  "grouping objects by how they are referred to", "putting the kinds in order",
                  "adding up the objects of each kind", "ordering the kinds by size"});
    }
    SECTION("Ctrl-C") {
        int polls = 0;
        context.interrupted = [&] { return ++polls > 0; };
        CHECK_THROWS_AS(heapy::classify::partition(context, nullptr, via), heapy::Interrupted);
        CHECK(polls > 0);
    }
    SECTION("by rcs too") {
        const heapy::heap::Referrers referrers(w.graph);
        context.referrers = &referrers;
        const auto rcs = *heapy::classify::find_classifier("rcs");
        std::set<std::string> steps;
        context.progress = [&](std::string_view what, uint64_t, uint64_t) { steps.emplace(what); };
        heapy::classify::partition(context, nullptr, rcs);
        CHECK(steps == std::set<std::string>{"grouping objects by their referrers' kinds",
                                             "adding up the objects of each kind",
                                             "ordering the kinds by size"});
        context.interrupted = [] { return true; };
        CHECK_THROWS_AS(heapy::classify::partition(context, nullptr, rcs), heapy::Interrupted);
    }
}

TEST_CASE("by via and by rcs: the grouping moves as it goes, and Ctrl-C stops it anywhere",
          "[render][partition]") {
    // Several checkpoints (every 65536 objects) in each of two threads' halves (from 131072).
    constexpr int kObjects = 270000;
    Program p;
    PyHeap& h = p.h;
    std::vector<uint64_t> items;
    for (int i = 0; i < kObjects; ++i) items.push_back(h.integer(1000000 + i));
    p.global("l", h.list(items));
    Walk w(h);
    Rendering r(w);
    const heapy::heap::Referrers referrers(w.graph);
    for (const char* name : {"via", "rcs"}) {
        INFO("by " << name);
        const auto classifier = *heapy::classify::find_classifier(name);
        heapy::classify::ClassifyContext context = r.context;
        context.referrers = &referrers;
        const std::string grouping = std::string(name) == "via"
                                         ? "grouping objects by how they are referred to"
                                         : "grouping objects by their referrers' kinds";
        std::set<uint64_t> between; // how far the grouping said it was, short of its ends
        int polls = 0;
        context.progress = [&](std::string_view what, uint64_t done, uint64_t total) {
            CHECK(done <= total);
            if (what == grouping && done > 0 && done < total) between.insert(done);
        };
        context.interrupted = [&] {
            ++polls;
            return false;
        };
        heapy::classify::partition(context, nullptr, classifier);
        CHECK(between.size() >= 2);
        REQUIRE(polls >= 4);
        // (not the last polls: how many units of work each thread takes may vary)
        for (int stop_at : {1, polls / 3, polls / 2}) {
            INFO("interrupted at poll " << stop_at << " of " << polls);
            int n = 0;
            context.interrupted = [&] { return ++n >= stop_at; };
            CHECK_THROWS_AS(heapy::classify::partition(context, nullptr, classifier),
                            heapy::Interrupted);
            CHECK(n == stop_at);
        }
    }
}

#endif // tests/unit/support
