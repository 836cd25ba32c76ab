// The test images themselves: MemoryImage keeps the Memory contract (partial reads, views that
// stay valid, sorted regions) and PyHeap lays objects out where the Layout says.
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;

TEST_CASE("MemoryImage reads, views and regions", "[decoder][image]") {
    MemoryImage m;
    m.map(0x20000, 0x1000, "b");
    m.map(0x10000, 0x1000, "a");
    m.map(0x11000, 0x1000, "a2"); // adjacent to "a"
    CHECK_THROWS(m.map(0x10800, 0x1000));
    m.put<uint64_t>(0x10ff8, 0x1122334455667788);
    m.put<uint64_t>(0x11000, 0x99);

    std::byte buffer[32];
    CHECK(m.read(0x10ff8, buffer) == 32); // across adjacent regions
    CHECK(m.read(0x11ff0, buffer) == 16); // up to the end of the mapped bytes
    CHECK(m.read(0x30000, buffer) == 0);  // unmapped
    CHECK(m.view(0x10ff8, 8) != nullptr);
    CHECK(m.view(0x10ff8, 16) == nullptr); // not in one piece
    const std::byte* view = m.view(0x20000, 8);
    m.map(0x40000, 0x1000); // mapping more keeps old views valid
    m.put<uint64_t>(0x20000, 42);
    uint64_t through_view = 0;
    std::memcpy(&through_view, view, 8);
    CHECK(through_view == 42);
    m.set_views(false);
    CHECK(m.view(0x20000, 8) == nullptr);
    CHECK(m.get<uint64_t>(0x10ff8) == 0x1122334455667788);
    CHECK_THROWS(m.put<uint64_t>(0x12ffc, 0)); // half outside

    const auto regions = m.regions();
    REQUIRE(regions.size() == 4);
    CHECK(regions[0].start == 0x10000);
    CHECK(regions[0].end == 0x11000);
    CHECK(regions[0].path == "a");
    CHECK(regions[3].start == 0x40000);
}

TEST_CASE("PyHeap objects sit where the layout says", "[decoder][image]") {
    PyHeap h;
    const auto& l = h.L;
    const uint64_t s = h.str("abc");
    CHECK(h.type_of(s) == h.t.str);
    CHECK(h.peek<int64_t>(s + l.str_length) == 3);
    CHECK(h.peek<char>(s + l.str_ascii_size + 1) == 'b');
    CHECK(h.peek<uint32_t>(s + l.str_state) == 0xe5); // interned, kind 1, compact, ascii, ready
    CHECK(h.str("abc") == s);
    CHECK(h.new_str("abc") != s);
    CHECK(h.peek<uint32_t>(h.new_str("\u20ac") + l.str_state) == 0xa8); // kind 2, compact, ready

    // A GC object with a managed dict: values pointer, dict pointer, GC head, then the object.
    const uint64_t foo = h.heap_type({.name = "Foo"});
    const uint64_t obj = h.instance(foo, {{"x", h.integer(1)}});
    CHECK(obj % 16 == 0);
    CHECK(h.values_of(obj) == h.word(obj - 32));
    CHECK(h.word(obj - 24) == 0);
    const uint64_t values = h.values_of(obj);
    CHECK(h.peek<uint8_t>(values - 1) == 32); // prefix size
    CHECK(h.peek<uint8_t>(values - 2) == 1);  // used
    CHECK(h.peek<uint8_t>(values - 3) == 0);  // order[0]
    const uint64_t keys = h.cached_keys(foo);
    CHECK(h.peek<uint8_t>(keys + l.dictkeys_kind) == 2); // split
    CHECK(h.peek<int64_t>(keys + l.dictkeys_usable) == 28);
    CHECK(h.peek<int64_t>(keys + l.dictkeys_nentries) == 1);
    CHECK(h.word(foo + l.type_name) == h.str("Foo") + l.str_ascii_size);
    CHECK(h.peek<int64_t>(foo + l.type_dictoffset) == -48);
    CHECK(h.peek<int64_t>(foo + l.type_basicsize) == 24);
    CHECK(h.peek<uint64_t>(foo + l.type_flags) ==
          0x5610); // as type(Foo).__flags__ without version tags

    // The thread state chain.
    const uint64_t interp = h.interpreter({});
    const uint64_t thread = h.thread(interp, 7);
    CHECK(h.word(h.runtime + l.runtime_interpreters_head) == interp);
    CHECK(h.word(interp + l.interp_threads_head) == thread);
    CHECK(h.word(thread + l.tstate_interp) == interp);
    const uint64_t code = h.code({.name = "f", .locals = {"a"}});
    const uint64_t frame = h.push_frame(thread, {.code = code});
    CHECK(h.current_frame(thread) == frame);
    CHECK(h.word(frame + l.iframe_code) == code);
    CHECK(h.peek<int32_t>(frame + l.iframe_stacktop) == 1);
    CHECK(h.symbols.lookup("PyDict_Type") == h.t.dict);
    CHECK(h.peek<uint32_t>(*h.symbols.lookup("Py_Version")) == 0x030b02f0);
}
