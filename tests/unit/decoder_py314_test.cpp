// CPython 3.14 on hand-built images (CI has no 3.14): the layout chosen by patch release,
// _Py_DebugOffsets in its 3.14 form, the free-threaded refusal, and _PyStackRef frame slots.
#include "tests/unit/support/decoding.hpp"

#include "core/cpython/debug_offsets.hpp"
#include "core/cpython/gc_lists.hpp"
#include "core/errors.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using Catch::Matchers::Contains;

namespace {

constexpr uint64_t kDebugVersion = 8;       // _Py_DebugOffsets.version
constexpr uint64_t kDebugFreeThreaded = 16; // _Py_DebugOffsets.free_threaded
constexpr uint64_t kDebugInterpSize = 48;   // interpreter_state.size
constexpr uint64_t kDebugInterpModules = 96;

// What the target reports as its version, in Py_Version and in _Py_DebugOffsets.
void set_version(PyHeap& h, uint32_t hex) {
    h.poke<uint32_t>(h.py_version, hex);
    h.poke<uint64_t>(h.runtime + kDebugVersion, hex);
}

} // namespace

TEST_CASE("3.14 layouts are split at 3.14.5", "[decoder][py314]") {
    using heapy::cpython::find_layout;
    const auto* early = find_layout(3, 14, 0);
    const auto* late = find_layout(3, 14, 7);
    REQUIRE(early != nullptr);
    REQUIRE(late != nullptr);
    CHECK(find_layout(3, 14, 4) == early);
    CHECK(find_layout(3, 14, 5) == late);
    CHECK(find_layout(3, 14) == late); // patch level unknown: the newest
    CHECK(find_layout(3, 13, 0) == find_layout(3, 13));
    // 3.14.5 put the generational GC back: _gc_runtime_state grew by 24 bytes, moving every
    // interpreter member after it.
    CHECK(early->interp_modules == 7664);
    CHECK(late->interp_modules == 7688);
    CHECK(early->interp_gc == late->interp_gc);
    // Both collectors keep four list heads where the walker looks: young, old[0], old[1] (or
    // generations[0..2]) and the permanent generation.
    CHECK(early->gc_generations == 24);
    CHECK(late->gc_generations == 24);
    CHECK(early->gc_permanent_generation == 96);
    CHECK(late->gc_permanent_generation == 96);
    CHECK(late->tuple_items == 32); // ob_hash
    CHECK(late->stackrefs == 1);
    CHECK(late->frame_owner_cstack == 4);
    CHECK(late->frame_owner_interpreter == 3);
    CHECK(heapy::cpython::supported_versions() == "3.9 to 3.14 and free-threaded 3.13t to 3.14t");
}

TEST_CASE("3.14: the runtime is read through its _Py_DebugOffsets", "[decoder][py314][runtime]") {
    PyHeap h(14);
    const uint64_t interp = h.interpreter({.modules = h.name(h.dict({}), "sys.modules")});
    const uint64_t thread = h.thread(interp, 140001);
    const uint64_t frame = h.push_frame(thread, {.code = h.code({.name = "<module>"})});
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    CHECK(runtime.version.text() == "3.14.7");
    REQUIRE(runtime.debug_offsets.has_value());
    CHECK(runtime.debug_offsets->fields_checked >= 25);
    CHECK(runtime.debug_offsets->mismatches.empty());
    CHECK(runtime.debug_offsets->rejected.empty());
    CHECK(runtime.layout->micro_first == 5);
    REQUIRE(runtime.interpreters.size() == 1);
    REQUIRE(runtime.interpreters[0].threads.size() == 1);
    CHECK(runtime.interpreters[0].threads[0].top_frame == frame);

    Decoding d(h);
    const auto roots = heapy::cpython::collect_roots(runtime, d.decoder);
    REQUIRE(roots.size() >= 2);
    CHECK(roots[0].name == "i0_modules");
    CHECK(roots[0].address == h.word(interp + h.L.interp_modules));
}

TEST_CASE("3.14: the patch release in _Py_DebugOffsets picks the layout",
          "[decoder][py314][runtime]") {
    PyHeap h(14);
    h.interpreter({});
    // A 3.14.3 (incremental GC) target whose file name and Py_Version say 3.14: its own offsets
    // win, and the ones it does not describe come from the 3.14.0 file.
    set_version(h, 0x030e03f0);
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    CHECK(runtime.version.text() == "3.14.3");
    CHECK(runtime.layout->micro_first == 0);
    REQUIRE(runtime.debug_offsets.has_value());
    // This image is laid out as 3.14.7: the target's word beats the 3.14.0 file.
    CHECK(runtime.layout->interp_modules == 7688);
    CHECK_THAT(runtime.debug_offsets->mismatches.front(),
               Contains("imports_modules: target 7688, layout 7664"));

    SECTION("version from the file name only: _Py_DebugOffsets gives the patch level") {
        h.symbols.remove("Py_Version");
        heapy::cpython::Reader again(h.memory);
        const auto found = heapy::cpython::locate_runtime(again, h.symbols);
        CHECK(found.version.text() == "3.14.3");
        CHECK(found.layout->micro_first == 0);
    }
}

TEST_CASE("3.14: debug offsets outside their section are rejected", "[decoder][py314][malformed]") {
    PyHeap h(14);
    h.interpreter({});
    h.poke<uint64_t>(h.runtime + kDebugInterpModules, 1u << 30);
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    REQUIRE(runtime.debug_offsets.has_value());
    REQUIRE(runtime.debug_offsets->rejected.size() == 1);
    CHECK_THAT(runtime.debug_offsets->rejected[0], Contains("interpreter_state.imports_modules"));
    CHECK(runtime.layout->interp_modules == 7688); // the layout's value is kept

    h.poke<uint64_t>(h.runtime + kDebugInterpSize, 0); // a section without a size: all its fields
    heapy::cpython::Reader again(h.memory);
    CHECK(heapy::cpython::locate_runtime(again, h.symbols).debug_offsets->rejected.size() == 7);
}

TEST_CASE("free-threaded builds get their own layout", "[decoder][py314][runtime]") {
    using heapy::cpython::find_layout;
    for (int minor : {13, 14}) {
        const auto* layout = find_layout(3, minor, -1, true);
        REQUIRE(layout != nullptr);
        CHECK(layout->free_threaded == 1);
        CHECK(layout->object_type == 24); // ob_tid, ob_flags, ob_mutex, ob_gc_bits, ob_ref_local,
        CHECK(layout->object_ref_local == 12); // ob_ref_shared before it
        CHECK(layout->object_ref_shared == 16);
        CHECK(layout->object_gc_bits == 11);
        CHECK(layout->gc_head_size == 0); // no PyGC_Head before GC objects
        CHECK(layout->managed_dict_offset == -8);
        CHECK(layout->tstate_mimalloc_heaps != heapy::cpython::Layout::kAbsent);
        CHECK(layout != find_layout(3, minor, -1, false));
    }
    CHECK(find_layout(3, 12, -1, true) == nullptr);
    CHECK(find_layout(3, 14, -1, true)->str_kind_shift == 8); // `interned` is a whole byte
    CHECK(find_layout(3, 13, -1, true)->str_kind_shift == 2);

    SECTION("from _Py_DebugOffsets.free_threaded") {
        PyHeap h(14);
        h.interpreter({});
        h.poke<uint64_t>(h.runtime + kDebugFreeThreaded, 1);
        heapy::cpython::Reader reader(h.memory);
        const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
        CHECK(runtime.layout->free_threaded == 1);
        CHECK_THAT(runtime.found_by, Contains("free-threaded build"));
    }
    SECTION("from the ABI flag in the file name, when there are no debug offsets") {
        PyHeap h(14);
        h.interpreter({});
        h.memory.write(h.runtime, "........", 8); // no cookie
        h.symbols.modules_[0].path = "/usr/lib/x86_64-linux-gnu/libpython3.14t.so.1.0";
        heapy::cpython::Reader reader(h.memory);
        CHECK(heapy::cpython::locate_runtime(reader, h.symbols).layout->free_threaded == 1);
    }
    SECTION("a free-threaded version heapy has no layout for says which build it is") {
        PyHeap h(14);
        h.interpreter({});
        set_version(h, 0x030f00a1);
        h.poke<uint64_t>(h.runtime + kDebugFreeThreaded, 1);
        CHECK_THAT(locate_error(h),
                   Contains("unsupported Python version 3.15.0a1 (free-threaded build)"));
    }
}

TEST_CASE("a newer version: offered, and read with --assume-layout, when its debug offsets "
          "pass every check",
          "[decoder][py314][runtime]") {
    PyHeap h(14);
    h.interpreter({});
    set_version(h, 0x031000f0); // 3.16.0, laid out as 3.14
    SECTION("the offer") {
        const std::string message = locate_error(h);
        CHECK_THAT(message, Contains("unsupported Python version 3.16.0: heapy supports CPython "));
        CHECK_THAT(message, Contains("its _Py_DebugOffsets read as 3.14's pass every check"));
        CHECK_THAT(message, Contains("pass --assume-layout 3.14"));
    }
    SECTION("no offer when they do not read as 3.14's") {
        h.poke<uint64_t>(h.runtime + kDebugInterpSize, 0);
        CHECK_THAT(locate_error(h), Contains("its _Py_DebugOffsets do not read as 3.14's"));
        CHECK_THAT(locate_error(h), !Contains("--assume-layout"));
    }
    SECTION("read with it") {
        heapy::cpython::Reader reader(h.memory);
        const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols, {"3.14"});
        CHECK(runtime.layout->minor == 14);
        CHECK(runtime.assumed_layout == "3.14");
        CHECK(runtime.version.text() == "3.16.0");
        CHECK_THAT(runtime.found_by, Contains("layout assumed: 3.14's (--assume-layout)"));
        REQUIRE(runtime.debug_offsets.has_value());
        CHECK(runtime.debug_offsets->rejected.empty());
        CHECK(runtime.interpreters.size() == 1);
    }
    SECTION("refused for a layout heapy lacks, a bad version, or an older target") {
        heapy::cpython::Reader reader(h.memory);
        auto error_of = [&](const std::string& assume, PyHeap& heap) {
            try {
                heapy::cpython::locate_runtime(reader, heap.symbols, {assume});
            } catch (const heapy::Error& e) {
                return std::string(e.what());
            }
            return std::string("(no error)");
        };
        CHECK_THAT(error_of("3.2", h), Contains("heapy has no layout for 3.2"));
        CHECK_THAT(error_of("three", h), Contains("wants a version such as 3.14"));
        PyHeap old(14);
        old.interpreter({});
        set_version(old, 0x030812f0);
        heapy::cpython::Reader old_reader(old.memory);
        try {
            heapy::cpython::locate_runtime(old_reader, old.symbols, {"3.14"});
            FAIL("an older version was read with an assumed layout");
        } catch (const heapy::Error& e) {
            CHECK_THAT(e.what(), Contains("not for 3.8.18, which is older than 3.14"));
        }
    }
    SECTION("a version heapy knows keeps its own layout") {
        PyHeap known(14);
        known.interpreter({});
        heapy::cpython::Reader reader(known.memory);
        const auto runtime = heapy::cpython::locate_runtime(reader, known.symbols, {"3.13"});
        CHECK(runtime.layout->minor == 14);
        CHECK(runtime.assumed_layout.empty());
    }
}

TEST_CASE("a future version is refused in one line", "[decoder][py314][runtime]") {
    SECTION("a future version is unsupported, and says so") {
        PyHeap h(14);
        set_version(h, 0x030f00a1);
        CHECK_THAT(locate_error(h), Contains("unsupported Python version 3.15.0a1"));
    }
}

TEST_CASE("3.14 frames hold _PyStackRefs", "[decoder][py314][referents]") {
    PyHeap h(14);
    const uint64_t globals = h.name(h.dict({}), "globals");
    const uint64_t x = h.name(h.new_str("x-value"), "x");
    const uint64_t y = h.name(h.new_str("y-value"), "y");
    const uint64_t f_code = h.code({.name = "f", .locals = {"a", "b", "c"}, .stacksize = 4});
    const uint64_t function =
        h.name(h.function({.code = f_code, .globals = globals}), "function f");
    const uint64_t outer =
        h.frame({.code = h.code({.name = "<module>"}), .globals = globals, .locals = globals});
    // An entry frame of the eval loop (FRAME_OWNED_BY_INTERPRETER) between the two.
    const uint64_t entry = h.frame({.code = h.code({.name = "entry"}), .previous = outer});
    h.poke<int8_t>(entry + h.L.iframe_owner, int8_t(h.L.frame_owner_interpreter));
    const uint64_t tagged_int = (uint64_t{5} << 2) | 3; // PyStackRef_TagInt(5): not an object
    const uint64_t inner = h.frame({.code = f_code,
                                    .function = function,
                                    .globals = globals,
                                    .fast = {x, 0, y | 1}, // b is NULL; c a deferred reference
                                    .stack = {tagged_int, y | 1},
                                    .previous = entry});
    Decoding d(h);
    CHECK(d.decoder.frame_code(inner) == f_code);
    CHECK_FALSE(d.decoder.is_complete_frame(entry));
    CHECK(d.decoder.previous_frame(inner) == outer);
    CHECK(sorted(d.frame_referents(inner)) ==
          sorted({".f_back frame:<module> (frame)", "->f_func function f", ".f_code code:f",
                  ".f_globals globals", ".f_locals['a'] x", ".f_locals['c'] y",
                  "->f_valuestack[1] y"}));

    // While it runs, its stack pointer is NULL (kept in a register): the stack is guessed.
    h.poke<uint64_t>(inner + h.L.iframe_stackpointer, 0);
    CHECK(sorted(d.frame_referents(inner)) ==
          sorted({".f_back frame:<module> (frame)", "->f_func function f", ".f_code code:f",
                  ".f_globals globals", ".f_locals['a'] x", ".f_locals['c'] y",
                  "->f_valuestack[1] y (guess)"}));

    SECTION("a frame on the C stack (FRAME_OWNED_BY_CSTACK) is skipped too") {
        h.poke<int8_t>(entry + h.L.iframe_owner, int8_t(h.L.frame_owner_cstack));
        CHECK(d.decoder.previous_frame(inner) == outer);
    }
}

TEST_CASE("3.14 generators: the embedded frame's code is a stackref",
          "[decoder][py314][referents]") {
    PyHeap h(14);
    const uint64_t x = h.name(h.new_str("x-value"), "x");
    const uint64_t code = h.code({.name = "gen", .locals = {"a"}});
    const uint64_t g = h.generator({.code = code, .fast = {x}});
    Decoding d(h);
    const Lines refs = d.referents(g);
    std::string all;
    for (const auto& line : refs) all += line + "\n";
    INFO(all);
    CHECK(std::find(refs.begin(), refs.end(), ".gi_code code:gen") != refs.end());
    CHECK(std::find(refs.begin(), refs.end(), ".f_locals['a'] x") != refs.end());
    // sys.getsizeof: the generator's frame holds co_nlocalsplus + co_stacksize slots.
    CHECK(d.size(g) == h.L.gen_iframe + h.L.iframe_localsplus + 8 * 3 + h.L.gc_head_size);
}

TEST_CASE("3.14 GC lists: young, two old spaces (3.14.0-3.14.4) or three generations, permanent",
          "[decoder][py314][gc]") {
    PyHeap h(14);
    const uint64_t interp = h.interpreter({});
    const uint64_t a = h.list({}), b = h.list({}), c = h.list({}), d = h.list({});
    const uint64_t gc = interp + h.L.interp_gc;
    // Links `objects` into the circular list whose head is at `head`; `flag` is what the
    // incremental collector keeps in bit 0 of _gc_next (the old space an object is in).
    auto link = [&](uint64_t head, std::vector<uint64_t> objects, uint64_t flag) {
        uint64_t previous = head;
        for (uint64_t object : objects) {
            const uint64_t node = object - h.L.gc_head_size;
            h.poke<uint64_t>(previous, node | (previous == head ? 0 : flag));
            h.poke<uint64_t>(node + 8, previous);
            previous = node;
        }
        h.poke<uint64_t>(previous, head | flag);
        h.poke<uint64_t>(head + 8, previous);
    };
    const uint64_t heads[] = {
        gc + h.L.gc_generations, gc + h.L.gc_generations + h.L.gc_generation_size,
        gc + h.L.gc_generations + 2 * h.L.gc_generation_size, gc + h.L.gc_permanent_generation};
    for (uint64_t head : heads) link(head, {}, 0); // empty: each head points at itself
    link(heads[0], {a}, 0);
    link(heads[2], {b, c}, 1); // old[1] in 3.14.0-3.14.4; generation 2 after
    link(heads[3], {d}, 0);
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    const auto tracked = heapy::cpython::gc_tracked_objects(runtime, reader);
    CHECK_FALSE(tracked.broken);
    CHECK(tracked.objects == std::vector<uint64_t>{a, b, c, d});
}
