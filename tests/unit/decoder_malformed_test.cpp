// Hostile memory: the process crashed and its heap may be corrupt (DESIGN.md, "Hostile input is
// normal"). Every case runs in a child process (tests/unit/support/isolate.hpp) with a time and
// an address-space limit, so that a decoder that hangs, crashes or allocates without bound fails
// its test instead of the suite. Each must finish, skip what cannot be read and count unreadable
// referents in ObjectGraph::unreadable.
//
// Cases tagged [!mayfail] show bugs of the engine that are not fixed yet; see the comment above
// each for the cause.
#include "tests/unit/support/decoding.hpp"
#include "tests/unit/support/isolate.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

using namespace heapy::test;
using namespace heapy::test::tpflags;
using namespace std::chrono_literals;

namespace {

constexpr auto kQuick = 3000ms; // every case here takes milliseconds when it works

// `heapy heap` over the image in a child: "unreadable=N", then what `probe` says.
Outcome walk_isolated(PyHeap& h, const std::function<std::string(Walk&)>& probe = {}) {
    return isolated(
        [&] {
            Walk w(h);
            std::string out = fmt::format("unreadable={}", w.graph.unreadable);
            if (probe) {
                out += ' ';
                out += probe(w);
            }
            return out;
        },
        kQuick);
}

std::string yes_no(bool value) {
    return value ? "yes" : "no";
}

} // namespace

TEST_CASE("objects whose type pointer dangles are skipped and counted", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t ok = h.new_str("fine");
    const uint64_t unmapped_type = h.new_str("a");
    h.poke(unmapped_type + h.L.object_type, PyHeap::unmapped(0x1000));
    const uint64_t odd_type = h.new_str("b");
    h.poke<uint64_t>(odd_type + h.L.object_type, 0x1235);
    const uint64_t str_as_type = h.new_str("c"); // its "type" is a str object
    h.poke(str_as_type + h.L.object_type, ok);
    const uint64_t null_type = h.new_str("d");
    h.poke<uint64_t>(null_type + h.L.object_type, 0);
    const uint64_t list =
        p.global("items", h.list({ok, unmapped_type, odd_type, str_as_type, null_type, ok}));
    const Outcome outcome = walk_isolated(h, [&](Walk& w) {
        return fmt::format("list={} ok={} bad={}", yes_no(w.reached(list)), yes_no(w.reached(ok)),
                           yes_no(w.reached(unmapped_type) || w.reached(odd_type) ||
                                  w.reached(str_as_type) || w.reached(null_type)));
    });
    CHECK(outcome.describe() == "finished: unreadable=4 list=yes ok=yes bad=no");
}

TEST_CASE("types whose metatype chain loops are not types", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t a = h.static_type("A", nullptr, h.t.object, 16, 0, kTypeSubclass | kReady);
    const uint64_t b = h.static_type("B", nullptr, h.t.object, 16, 0, kTypeSubclass | kReady);
    h.poke(a + h.L.object_type, b);
    h.poke(b + h.L.object_type, a);
    const uint64_t of_a = h.object(a, 16);
    // A class whose metaclass's metaclass is the metaclass.
    const uint64_t meta = h.heap_type({.name = "Meta", .base = h.t.type});
    const uint64_t meta2 = h.heap_type({.name = "Meta2", .base = h.t.type, .metatype = meta});
    h.poke(meta + h.L.object_type, meta2);
    const uint64_t cls = h.heap_type({.name = "C", .metatype = meta});
    const uint64_t of_cls = h.instance(cls);
    p.global("x", h.tuple({of_a, of_cls, a}));
    const Outcome outcome = walk_isolated(h, [&](Walk& w) {
        return fmt::format("reached={}",
                           yes_no(w.reached(of_a) || w.reached(of_cls) || w.reached(a)));
    });
    // of_a, a and of_cls (whose class is then not a type either).
    CHECK(outcome.describe() == "finished: unreadable=3 reached=no");
}

TEST_CASE("lists whose size is larger than their allocation, or absurd", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t item = h.name(h.new_str("item"), "item");
    const uint64_t over = p.global("over", h.list({item, item}));
    h.poke<int64_t>(over + h.L.varobject_size, 1000); // allocated is 2
    const uint64_t absurd = p.global("absurd", h.list({item}));
    h.poke<int64_t>(absurd + h.L.varobject_size, int64_t{1} << 40);
    h.poke<int64_t>(absurd + h.L.list_allocated, int64_t{1} << 40);
    const uint64_t negative = p.global("negative", h.list({item}));
    h.poke<int64_t>(negative + h.L.varobject_size, -1);
    const uint64_t dangling = p.global("dangling", h.list({item, item, item}));
    h.poke(dangling + h.L.list_items, PyHeap::unmapped());
    const Outcome outcome = walk_isolated(h, [&](Walk& w) {
        return fmt::format("lists={} item={}",
                           w.reached(over) + w.reached(absurd) + w.reached(negative) +
                               w.reached(dangling),
                           yes_no(w.reached(item)));
    });
    // Each list counts as corrupt. Like CPython's traversal, `over` is read for ob_size items:
    // its two real ones reach `item`, then the words past its array are not objects, and after
    // 16 of them (each counted) the decoder stops.
    CHECK(outcome.describe() == "finished: unreadable=20 lists=4 item=yes");
}

// Bug: the sizes of corrupt containers are taken at their word. ObjectDecoder::size()
// (object_size.cpp) multiplies list `allocated`, set `mask + 1` and deque block counts without
// the limits the referent decoders apply to the same fields (kMaxSequence = 2^31 in
// decode_containers.cpp), so one corrupt object whose items heapy refuses to read still claims
// terabytes and swamps the heap's total. Fix: apply the same limits (e.g. 0 <= ob_size <=
// allocated <= 2^31, else count basicsize only).
TEST_CASE("a corrupt container does not claim terabytes", "[decoder][malformed]") {
    PyHeap h;
    const uint64_t list = h.list({h.None});
    h.poke<int64_t>(list + h.L.varobject_size, int64_t{1} << 40);
    h.poke<int64_t>(list + h.L.list_allocated, int64_t{1} << 40);
    const uint64_t set = h.set({h.None});
    h.poke<int64_t>(set + h.L.set_mask, (int64_t{1} << 40) - 1);
    h.poke(set + h.L.set_table, PyHeap::unmapped());
    const uint64_t deque = h.deque({h.None});
    h.poke<int64_t>(deque + h.L.varobject_size, int64_t{1} << 40);
    Decoding d(h);
    constexpr uint64_t kGiB = uint64_t{1} << 30;
    CHECK(d.size(list) < kGiB);
    CHECK(d.size(set) < kGiB);
    CHECK(d.size(deque) < kGiB);
}

TEST_CASE("dict keys with absurd sizes or counts are not read", "[decoder][malformed]") {
    PyHeap h;
    auto a_dict = [&] { return h.dict({{h.str("a"), h.integer(1)}, {h.str("b"), h.integer(2)}}); };
    const uint64_t log2_huge = a_dict();
    h.poke<uint8_t>(h.keys_of(log2_huge) + h.L.dictkeys_log2_size, 200);
    const uint64_t index_huge = a_dict();
    h.poke<uint8_t>(h.keys_of(index_huge) + h.L.dictkeys_log2_index_bytes, 60);
    const uint64_t too_many = a_dict();
    h.poke<int64_t>(h.keys_of(too_many) + h.L.dictkeys_nentries, 100); // the table has 8 slots
    const uint64_t negative = a_dict();
    h.poke<int64_t>(h.keys_of(negative) + h.L.dictkeys_nentries, -1);
    const uint64_t unmapped_keys = a_dict();
    h.poke(unmapped_keys + h.L.dict_keys, PyHeap::unmapped());
    const uint64_t odd_keys = a_dict();
    h.poke(odd_keys + h.L.dict_keys, h.keys_of(odd_keys) + 3);
    const uint64_t fine = a_dict();
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            std::string out;
            for (uint64_t dict :
                 {log2_huge, index_huge, too_many, negative, unmapped_keys, odd_keys, fine})
                out += fmt::format("{}/{} ", d.referents(dict).size(), d.size(dict));
            return out;
        },
        kQuick);
    // too_many: clamped to what 8 slots hold (5 entries), so its 2 entries are still read; no
    // keys object is counted in the size of a dict whose keys are corrupt.
    CHECK(outcome.describe() == "finished: 0/64 0/64 4/64 0/64 0/64 0/64 4/184 ");
}

// Bug: DictReader::combined_entries (dict_reader.cpp, "copy.resize(bytes)") allocates
// dk_nentries * entry_size bytes before reading them; read_keys accepts up to 2^30 entries, so a
// corrupt keys object makes heapy allocate (and zero) up to 24 GiB for one dict, and throw
// std::bad_alloc out of the walk when that fails. Fix: read the entries in bounded chunks (as
// pointer_array() does for lists) and stop at the first unreadable one.
TEST_CASE("a dict claiming 2^29 entries does not allocate gigabytes", "[decoder][malformed]") {
    PyHeap h;
    const uint64_t dict = h.dict({{h.str("a"), h.integer(1)}});
    h.poke<uint8_t>(h.keys_of(dict) + h.L.dictkeys_log2_size, 30);
    h.poke<uint8_t>(h.keys_of(dict) + h.L.dictkeys_log2_index_bytes, 32);
    h.poke<int64_t>(h.keys_of(dict) + h.L.dictkeys_nentries, int64_t{1} << 29); // 8 GiB of entries
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            return fmt::format("{} edges", d.referents(dict).size());
        },
        kQuick);
    CHECK(outcome.describe() == "finished: 0 edges");
}

// The same through the walker: the dict counts as corrupt (one unreadable object), the rest of
// the walk goes on, and nothing throws.
TEST_CASE("a dict claiming 2^29 entries does not stop the walk", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t dict = p.global("cache", h.dict({{h.str("a"), h.integer(1)}}));
    h.poke<uint8_t>(h.keys_of(dict) + h.L.dictkeys_log2_size, 30);
    h.poke<uint8_t>(h.keys_of(dict) + h.L.dictkeys_log2_index_bytes, 32);
    h.poke<int64_t>(h.keys_of(dict) + h.L.dictkeys_nentries, int64_t{1} << 29);
    const Outcome outcome =
        walk_isolated(h, [&](Walk& w) { return "cache=" + yes_no(w.reached(dict)); });
    CHECK(outcome.describe() == "finished: unreadable=1 cache=yes");
}

TEST_CASE("split values whose order bytes point past the shared keys", "[decoder][malformed]") {
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t obj = h.instance(foo, {{"x", h.integer(1)}, {"y", h.integer(2)}});
    const uint64_t values = h.values_of(obj);
    h.poke<uint8_t>(values - 4, 5); // order[1]: the shared keys have 2 entries
    const uint64_t too_many = h.instance(foo, {{"x", h.integer(3)}});
    h.poke<uint8_t>(h.values_of(too_many) - 2, 200); // used count beyond the keys
    const uint64_t dangling = h.instance(foo, {{"x", h.integer(4)}});
    h.poke(dangling + h.L.managed_values_offset, PyHeap::unmapped(0x40));
    const uint64_t split =
        h.materialize_dict(h.instance(foo, {{"y", h.integer(5)}, {"x", h.integer(6)}}));
    h.poke<uint8_t>(h.word(split + h.L.dict_values) - 3, 7); // order[0]
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            Lines out = d.values_referents(values, foo);
            for (const auto& line : d.values_referents(h.values_of(too_many), foo))
                out.push_back(line);
            for (const auto& line : d.values_referents(PyHeap::unmapped(0x40), foo))
                out.push_back(line);
            for (const auto& line : d.referents(split)) out.push_back(line);
            return fmt::format("{}", fmt::join(out, ", "));
        },
        kQuick);
    // What comes before the bad order byte is kept; nothing past the keys is made up.
    CHECK(outcome.describe() == "finished: .keys()[0] 'x', ['x'] 1");
}

// Bug: an instance whose inline-values pointer dangles still becomes a `dict of X` node with a
// size (HeapWalker::resolve adds ManagedValues nodes without reading them, and
// managed_values_size() reads the prefix byte as 0 on failure), so the table shows a dict that
// does not exist and ObjectGraph::unreadable does not count it. Fix: in resolve(), check that
// the values' prefix bytes are readable (and the prefix size plausible, 8..256) before adding
// the node; reject (and count) otherwise.
TEST_CASE("inline values that cannot be read are counted, not shown", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t foo = p.global("Foo", h.heap_type({.name = "Foo"}));
    const uint64_t obj = p.global("obj", h.instance(foo, {{"x", h.integer(1)}}));
    h.poke(obj + h.L.managed_values_offset, PyHeap::unmapped(0x40));
    const Outcome outcome = walk_isolated(h, [&](Walk& w) {
        return fmt::format("obj={} values={}", yes_no(w.reached(obj)),
                           yes_no(w.reached(PyHeap::unmapped(0x40))));
    });
    CHECK(outcome.describe() == "finished: unreadable=1 obj=yes values=no");
}

TEST_CASE("sets whose mask is not 2^n - 1, or whose table dangles", "[decoder][malformed]") {
    PyHeap h;
    auto a_set = [&] { return h.set({h.integer(1), h.integer(2)}); };
    const uint64_t not_power = a_set();
    h.poke<int64_t>(not_power + h.L.set_mask, 6);
    const uint64_t negative = a_set();
    h.poke<int64_t>(negative + h.L.set_mask, -1);
    const uint64_t dangling = a_set();
    h.poke<int64_t>(dangling + h.L.set_mask, 15);
    h.poke(dangling + h.L.set_table, PyHeap::unmapped());
    const uint64_t fine = a_set();
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            std::string out;
            for (uint64_t set : {not_power, negative, dangling, fine})
                out += fmt::format("{} ", d.referents(set).size());
            return out;
        },
        kQuick);
    CHECK(outcome.describe() == "finished: 0 0 0 2 ");
}

// Bug: ObjectDecoder::set_items (decode_containers.cpp) accepts masks up to 2^31 - 1 and, when
// the table is not one readable piece, allocates (mask + 1) * 16 bytes (32 GiB) before reading.
// Fix: read the table in bounded chunks and stop at the first unreadable one.
TEST_CASE("a set claiming 2^31 slots does not allocate 32 GiB", "[decoder][malformed]") {
    PyHeap h;
    const uint64_t set = h.set({h.integer(1)});
    h.poke<int64_t>(set + h.L.set_mask, (int64_t{1} << 31) - 1);
    h.poke(set + h.L.set_table, h.raw(64)); // readable, but only the first 4 slots
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            return fmt::format("{} members", d.referents(set).size());
        },
        kQuick);
    CHECK(outcome.describe() == "finished: 0 members");
}

TEST_CASE("deques whose block chain ends early", "[decoder][malformed]") {
    PyHeap h;
    std::vector<uint64_t> items;
    for (int i = 0; i < 100; ++i) items.push_back(h.integer(i));
    const uint64_t short_chain = h.deque(items);
    h.poke<uint64_t>(h.word(short_chain + h.L.deque_leftblock) + h.L.deque_block_rightlink, 0);
    const uint64_t dangling = h.deque(items);
    h.poke(h.word(dangling + h.L.deque_leftblock) + h.L.deque_block_rightlink, PyHeap::unmapped());
    const uint64_t no_block = h.deque(items);
    h.poke(no_block + h.L.deque_leftblock, PyHeap::unmapped());
    const uint64_t bad_index = h.deque(items);
    h.poke<int64_t>(bad_index + h.L.deque_leftindex, 64);
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            std::string out;
            for (uint64_t deque : {short_chain, dangling, no_block, bad_index})
                out += fmt::format("{} ", d.referents(deque).size());
            return out;
        },
        kQuick);
    // The first block holds items 0..62; the rest is lost.
    CHECK(outcome.describe() == "finished: 63 63 0 0 ");
}

// Bug: ObjectDecoder::deque_items (decode_containers.cpp) follows rightlink for as long as
// ob_size says, without noticing that a block repeats. With a block that links back to itself
// the same 64 slots are reported again under new indices ([64], [65]... naming objects that are
// not there), and with a corrupt ob_size (up to 2^31 is accepted) the loop runs two billion
// times while the walker stores every edge. Fix: stop at rightblock, or when a block repeats, or
// after ob_size / 64 + 2 blocks.
TEST_CASE("a deque whose block chain loops", "[decoder][malformed]") {
    PyHeap h;
    std::vector<uint64_t> items;
    for (int i = 0; i < 100; ++i) items.push_back(h.integer(i));
    const uint64_t deque = h.deque(items);
    const uint64_t block = h.word(deque + h.L.deque_leftblock);
    h.poke(block + h.L.deque_block_rightlink, block);
    Decoding d(h);
    CHECK(d.edges(deque).size() == 63);
    h.poke<int64_t>(deque + h.L.varobject_size, int64_t{1} << 30);
    size_t edges = 0;
    CHECK_NOTHROW(edges = d.edges(deque, 10000).size());
    CHECK(edges <= 64);
}

TEST_CASE("a frame chain that loops", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t code = h.code({.name = "recurse", .locals = {"depth"}});
    const uint64_t thread = h.thread(p.interp, 140001);
    const uint64_t a =
        h.push_frame(thread, {.code = code, .globals = p.globals, .fast = {h.integer(1)}});
    const uint64_t b =
        h.push_frame(thread, {.code = code, .globals = p.globals, .fast = {h.integer(2)}});
    h.poke(a + h.L.iframe_previous, b); // a was called by b, which was called by a
    const Outcome outcome = walk_isolated(h, [&](Walk& w) {
        return fmt::format("a={} b={}", yes_no(w.reached(a)), yes_no(w.reached(b)));
    });
    CHECK(outcome.describe() == "finished: unreadable=0 a=yes b=yes");
}

// Bug: collect_roots (runtime.cpp, "while (top != 0 && !decoder.is_complete_frame(top)) top =
// reader.pointer(top + l.iframe_previous);") skips incomplete frames at the top of a thread's
// stack with no bound, so a loop of incomplete frames hangs heapy (and the debugger hosting it).
// Fix: bound the loop (e.g. use previous_frame(), which stops after kMaxFrameHops, or a visited
// set).
TEST_CASE("a loop of incomplete frames at the top of a thread", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t code = h.code({.name = "setup"});
    const uint64_t thread = h.thread(p.interp, 140001);
    const uint64_t a = h.push_frame(thread, {.code = code, .incomplete = true});
    const uint64_t b = h.push_frame(thread, {.code = code, .incomplete = true});
    h.poke(a + h.L.iframe_previous, b);
    const Outcome outcome = walk_isolated(h);
    CHECK(outcome.describe() == "finished: unreadable=0");
}

TEST_CASE("thread and interpreter lists that loop", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t t1 = h.thread(p.interp, 140001);
    const uint64_t t2 = h.thread(p.interp, 140002);
    h.poke(t1 + h.L.tstate_next, t2); // t2 -> t1 -> t2 -> ...
    const uint64_t self_loop = h.interpreter({.builtins = p.builtins});
    h.poke(self_loop + h.L.interp_next, self_loop); // and the main interpreter is lost behind it
    const uint64_t stray = h.thread(self_loop, 140003);
    h.poke(stray + h.L.tstate_interp, p.interp); // not a thread of this interpreter
    const Outcome outcome = isolated(
        [&] {
            heapy::cpython::Reader reader(h.memory);
            const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
            std::string out;
            for (const auto& interp : runtime.interpreters)
                out += fmt::format("i{}:{} ", interp.number, interp.threads.size());
            return out;
        },
        kQuick);
    CHECK(outcome.describe() == "finished: i0:0 ");

    h.poke(self_loop + h.L.interp_next, p.interp);
    h.poke(p.interp + h.L.interp_next, self_loop); // a two-interpreter loop
    const Outcome two = isolated(
        [&] {
            heapy::cpython::Reader reader(h.memory);
            const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
            std::string out;
            for (const auto& interp : runtime.interpreters)
                out += fmt::format("i{}:{} ", interp.number, interp.threads.size());
            return out;
        },
        kQuick);
    CHECK(two.describe() == "finished: i0:2 i1:0 ");
}

TEST_CASE("tuple items pointing into unmapped memory", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t ok = h.name(h.new_str("ok"), "ok");
    const uint64_t tuple =
        p.global("t", h.tuple({ok, PyHeap::unmapped(0x100), PyHeap::unmapped(0x200),
                               PyHeap::unmapped(0x100), 0x1235, 0xfffffffffffffff8ull, 0x10}));
    const Outcome outcome = walk_isolated(h, [&](Walk& w) {
        return fmt::format("tuple={} ok={} targets={}", yes_no(w.reached(tuple)),
                           yes_no(w.reached(ok)), w.referents(tuple).size());
    });
    // Four distinct unreadable addresses (one twice), the odd one and the one at the very top.
    CHECK(outcome.describe() == "finished: unreadable=5 tuple=yes ok=yes targets=1");
}

TEST_CASE("strings whose data cannot be read", "[decoder][malformed]") {
    PyHeap h;
    // A compact str at the very end of a mapping: the header is there, the characters are not.
    const uint64_t edge = 0x0000600000000000;
    h.memory.map(edge, h.L.str_ascii_size);
    h.poke<int64_t>(edge + h.L.object_refcnt, 1);
    h.poke(edge + h.L.object_type, h.t.str);
    h.poke<int64_t>(edge + h.L.str_length, 5);
    h.poke<uint32_t>(edge + h.L.str_state, (1u << h.L.str_kind_shift) |
                                               (1u << h.L.str_compact_bit) |
                                               (1u << h.L.str_ascii_bit) | (1u << 7));
    // A legacy (not compact) str whose data pointer dangles, and one with an invalid kind.
    const uint64_t legacy = h.object(h.t.str, h.L.str_unicode_size);
    h.poke<int64_t>(legacy + h.L.str_length, 3);
    h.poke<uint32_t>(legacy + h.L.str_state, (2u << h.L.str_kind_shift) | (1u << 7));
    h.poke(legacy + h.L.str_data, PyHeap::unmapped());
    const uint64_t bad_kind = h.new_str("abc");
    h.poke<uint32_t>(bad_kind + h.L.str_state,
                     (3u << h.L.str_kind_shift) | (1u << h.L.str_compact_bit));
    // A class named by such a string, whose tp_name is readable (a C heap type).
    const uint64_t cls = h.heap_type({.name = "Named"});
    h.poke(cls + h.L.heaptype_name, edge);
    h.poke(cls + h.L.type_name, h.cstring("Named"));
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            heapy::classify::TypeNamer namer(d.decoder, 0);
            return fmt::format("{} {} {} sizes={},{} name={}", d.decoder.read_str(edge).has_value(),
                               d.decoder.read_str(legacy).has_value(),
                               d.decoder.read_str(bad_kind).has_value(), d.size(edge),
                               d.size(legacy), namer.name(d.types.get(cls)->index));
        },
        kQuick);
    // The characters the first claims are not there: it is sized by its header alone (48).
    CHECK(outcome.describe() == "finished: false false false sizes=48,88 name=__main__.Named");
}

// Bugs: signed overflow (undefined behaviour; UBSan aborts) in ObjectDecoder::size() on corrupt
// lengths: str_size "uint64_t(length + 1)" with length = INT64_MAX (object_size.cpp); the Int
// and Code cases "std::abs(ob_size(address))" with ob_size = INT64_MIN (also read_small_int);
// sets "mask + 1" with mask = INT64_MAX; deques "left + ob_size + kDequeBlockLength"; dict
// "keys.nentries + keys.usable" with usable near INT64_MAX (also DictReader::
// values_allocation_size); frames and generators "nlocalsplus + stacksize" (int32) in
// frame_data_size (decode_frames.cpp). In a release build the results silently wrap; under
// -fsanitize=undefined with -fno-sanitize-recover heapy aborts. Fix: validate each length
// against a sanity limit before doing arithmetic on it (or compute in uint64_t after checking
// the sign).
TEST_CASE("sizes of objects with extreme lengths are computed without overflow",
          "[decoder][malformed]") {
    PyHeap h;
    const uint64_t str = h.new_str("abc");
    h.poke<int64_t>(str + h.L.str_length, INT64_MAX);
    const uint64_t wide = h.new_str("\u20ac");
    h.poke<int64_t>(wide + h.L.str_length, INT64_MAX);
    const uint64_t number = h.integer(5);
    h.poke<int64_t>(number + h.L.varobject_size, INT64_MIN);
    const uint64_t code = h.code({.name = "f"});
    const uint64_t set = h.set({h.None});
    h.poke<int64_t>(set + h.L.set_mask, INT64_MAX);
    const uint64_t deque = h.deque({h.None});
    h.poke<int64_t>(deque + h.L.varobject_size, INT64_MAX);
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t split = h.materialize_dict(h.instance(foo, {{"x", h.None}}));
    const uint64_t bad_code = h.code({.name = "g"});
    const uint64_t gen = h.generator({.code = bad_code});
    h.poke<int32_t>(bad_code + h.L.code_nlocalsplus, INT32_MAX);
    h.poke<int32_t>(bad_code + h.L.code_stacksize, INT32_MAX);
    h.poke<int64_t>(h.cached_keys(foo) + h.L.dictkeys_usable, INT64_MAX);
    h.poke<int64_t>(code + h.L.varobject_size, INT64_MIN);
    auto one = [&](const char* what, const std::function<uint64_t(Decoding&)>& size) {
        const Outcome outcome = isolated([&] {
            Decoding d(h);
            size(d);
            return std::string("ok");
        });
        INFO(what);
        CHECK(outcome.describe() == "finished: ok");
    };
    one("str", [&](Decoding& d) { return d.size(str); });
    one("wide str", [&](Decoding& d) { return d.size(wide); });
    one("int", [&](Decoding& d) {
        return d.size(number) + uint64_t(d.decoder.read_small_int(number).value_or(0));
    });
    one("code", [&](Decoding& d) { return d.size(code); });
    one("set", [&](Decoding& d) { return d.size(set); });
    one("deque", [&](Decoding& d) { return d.size(deque); });
    one("split dict", [&](Decoding& d) { return d.size(split); });
    one("generator", [&](Decoding& d) { return d.size(gen); });
    one("values", [&](Decoding& d) {
        return d.decoder.managed_values_size(h.word(split + h.L.dict_values), d.type(split));
    });
}

// A tuple subclass keeps its __dict__ pointer after the items (tp_dictoffset -8): a corrupt
// ob_size must not overflow the offset (UBSan in CI, from a byte flip).
TEST_CASE("a variable-size instance with an absurd ob_size has no __dict__ past its end",
          "[decoder][malformed]") {
    PyHeap h;
    const uint64_t cls = h.heap_type({.name = "T", .base = h.t.tuple});
    REQUIRE(h.peek<int64_t>(cls + h.L.type_dictoffset) < 0);
    for (int64_t size : {INT64_MAX, INT64_MIN, int64_t{8718968878589280255}, int64_t{1} << 40}) {
        const uint64_t obj = h.instance(cls);
        h.poke<int64_t>(obj + h.L.varobject_size, size);
        const Outcome outcome = isolated([&] {
            Decoding d(h);
            return fmt::format("{} {}", fmt::join(d.referents(obj), "|"),
                               d.size(obj) < (uint64_t{1} << 30));
        });
        INFO(size);
        CHECK(outcome.describe() == "finished: ->ob_type T true");
    }
}

// Bug: TypeRegistry::load (type_registry.cpp, the loop that finds static_base_dictoffset) walks
// tp_base until it meets a static type and only stops early when a type is its own base, so two
// heap types that are each other's base hang the walk. Fix: bound it by kMaxBaseDepth like the
// other base-chain loops.
TEST_CASE("heap types that are each other's base", "[decoder][malformed]") {
    PyHeap h;
    const uint64_t a = h.heap_type({.name = "A"});
    const uint64_t b = h.heap_type({.name = "B", .base = a});
    h.poke(a + h.L.type_base, b);
    const uint64_t obj = h.instance(b);
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            d.referents(obj);
            return std::string("ok");
        },
        kQuick);
    CHECK(outcome.describe() == "finished: ok");
}

// Bug: ObjectDecoder::type_referents (object_decoder.cpp) reads ht_cached_keys entry by entry up
// to dk_nentries (read_keys allows 2^30) and keeps going after reads fail, so a class whose
// shared keys are corrupt costs a billion failed reads. Fix: read the entries in bounded chunks
// and stop at the first unreadable one (see DictReader::combined_entries).
TEST_CASE("a class whose shared keys claim 2^30 entries", "[decoder][malformed]") {
    PyHeap h;
    const uint64_t foo = h.heap_type({.name = "Foo"});
    h.instance(foo, {{"x", h.None}});
    const uint64_t keys = h.cached_keys(foo);
    h.poke<uint8_t>(keys + h.L.dictkeys_log2_size, 30);
    h.poke<uint8_t>(keys + h.L.dictkeys_log2_index_bytes, 32);
    h.poke<int64_t>(keys + h.L.dictkeys_nentries, int64_t{1} << 30);
    const Outcome outcome = isolated(
        [&] {
            Decoding d(h);
            return fmt::format("{} edges", d.referents(foo).size());
        },
        kQuick);
    CHECK(outcome.describe().rfind("finished:", 0) == 0);
}

TEST_CASE("reads across the end of the address space and of regions", "[decoder][malformed]") {
    PyHeap h;
    h.memory.map(0xfffffffffffff000ull, 0x1000); // the last page of the address space
    h.memory.write(0xfffffffffffffff0ull, "AAAAAAAAAAAAAAAA", 16);
    const Outcome outcome = isolated(
        [&] {
            heapy::cpython::Reader reader(h.memory);
            uint64_t word = 0;
            std::byte buffer[32];
            return fmt::format("{} {} {} {}", reader.read(0xfffffffffffffff8ull, word),
                               reader.read_bytes(0xfffffffffffffff0ull, buffer, sizeof buffer),
                               reader.readable(0xffffffffffffff00ull, 0x200),
                               reader.c_string(0xfffffffffffffff0ull).has_value());
        },
        kQuick);
    CHECK(outcome.describe() == "finished: true false false false");
}

// Py_EMPTY_KEYS, the keys of every empty dict, has a table of one slot (dk_log2_size 0): not a
// corrupt keys object.
TEST_CASE("dicts that share the empty keys are not corrupt", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    const uint64_t empty = p.global("empty", h.dict({}));
    h.poke<uint8_t>(h.keys_of(empty) + h.L.dictkeys_log2_size, 0);
    h.poke<uint8_t>(h.keys_of(empty) + h.L.dictkeys_log2_index_bytes, 0);
    const Outcome outcome =
        walk_isolated(h, [&](Walk& w) { return "empty=" + yes_no(w.reached(empty)); });
    CHECK(outcome.describe() == "finished: unreadable=0 empty=yes");
}

// A truncated core: items whose memory is missing are each counted, and the items after them are
// still read (only words that are not objects at all make a container corrupt and stop it).
TEST_CASE("items in memory the core lacks do not stop a list", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    std::vector<uint64_t> items;
    const uint64_t gap = 0x00007e0000000000; // user space, not in the image
    for (uint64_t i = 0; i < 300; ++i) items.push_back(gap + i * 0x40);
    const uint64_t last = h.name(h.new_str("after the gap"), "last");
    items.push_back(last);
    p.global("items", h.list(items));
    const Outcome outcome =
        walk_isolated(h, [&](Walk& w) { return "last=" + yes_no(w.reached(last)); });
    CHECK(outcome.describe() == "finished: unreadable=300 last=yes");
}

TEST_CASE("lengths that claim more memory than there is are not believed", "[decoder][malformed]") {
    Program p;
    PyHeap& h = p.h;
    // An int whose digit count says 2^30 digits, a tuple of 2^33 items, a bytes of 2^40 bytes,
    // and a bytearray whose buffer is shorter than its ob_alloc: the heap is a few KiB.
    const uint64_t huge_int = h.integer(7);
    h.poke<int64_t>(huge_int + h.L.varobject_size, int64_t{1} << 30);
    const uint64_t huge_tuple = h.tuple({h.integer(1)});
    h.poke<int64_t>(huge_tuple + h.L.varobject_size, int64_t{1} << 33);
    const uint64_t huge_bytes = h.bytes("abc");
    h.poke<int64_t>(huge_bytes + h.L.varobject_size, int64_t{1} << 40);
    p.global("i", huge_int);
    p.global("t", huge_tuple);
    p.global("b", huge_bytes);
    Walk w(h);
    CHECK(w.size_of(huge_int) == uint64_t(h.peek<int64_t>(h.t.int_ + h.L.type_basicsize)));
    CHECK(w.size_of(huge_bytes) == uint64_t(h.peek<int64_t>(h.t.bytes + h.L.type_basicsize)));
    CHECK(w.size_of(huge_tuple) ==
          uint64_t(h.peek<int64_t>(h.t.tuple + h.L.type_basicsize)) + h.L.gc_head_size);
    CHECK(w.graph.total_size < 1000000);
    CHECK(w.graph.unreadable >= 3);
}
