// locate_runtime and collect_roots: finding the interpreters and threads from _PyRuntime, the
// version checks, and heapy's names for the roots (HEAPY.md 4.2).
#include "tests/unit/support/decoding.hpp"

#include "core/errors.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using Catch::Matchers::Contains;

namespace {

Lines names(const std::vector<heapy::cpython::RootEdge>& roots, const PyHeap& h) {
    Lines out;
    for (const auto& root : roots)
        out.push_back(
            root.name + " " + h.describe(root.address) +
            (root.referent == heapy::cpython::Referent::InterpreterFrame ? " (frame)" : ""));
    return out;
}

uint32_t root_offset(const std::vector<heapy::cpython::RootField>& fields, std::string_view name) {
    for (const auto& field : fields)
        if (field.name == name) return field.offset;
    throw std::logic_error("no such root field");
}

} // namespace

TEST_CASE("the runtime, its interpreters and threads", "[decoder][runtime]") {
    PyHeap h;
    const uint64_t modules = h.name(h.dict({}), "sys.modules");
    const uint64_t main_interp = h.interpreter({.modules = modules});
    const uint64_t sub_interp = h.interpreter({.modules = h.name(h.dict({}), "sub.modules")});
    const uint64_t t1 = h.thread(main_interp, 140001);
    const uint64_t t2 = h.thread(main_interp, 140002);
    const uint64_t code = h.code({.name = "<module>"});
    const uint64_t frame = h.push_frame(t2, {.code = code});
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);

    CHECK(runtime.address == h.runtime);
    CHECK(runtime.version.text() == "3.11.2");
    CHECK(runtime.layout == &h.L);
    CHECK_THAT(runtime.found_by, Contains("Py_Version"));
    REQUIRE(runtime.interpreters.size() == 2);
    CHECK(runtime.interpreters[0].address == main_interp); // oldest first: heapy's i0
    CHECK(runtime.interpreters[0].number == 0);
    CHECK(runtime.interpreters[1].address == sub_interp);
    CHECK(runtime.interpreters[1].number == 1);
    const auto& threads = runtime.interpreters[0].threads;
    REQUIRE(threads.size() == 2);
    CHECK(threads[0].address == t2); // the list is newest first
    CHECK(threads[0].thread_id == 140002);
    CHECK(threads[0].top_frame == frame);
    CHECK(threads[1].address == t1);
    CHECK(threads[1].top_frame == 0); // idle
    CHECK(runtime.interpreters[1].threads.empty());
}

TEST_CASE("roots are named as heapy's RootState names them", "[decoder][runtime]") {
    PyHeap h;
    const uint64_t modules = h.name(h.dict({}), "sys.modules");
    const uint64_t sysdict = h.name(h.dict({}), "sys.__dict__");
    const uint64_t interp = h.interpreter({.modules = modules, .sysdict = sysdict});
    const uint64_t thread = h.thread(interp, 140001);
    const uint64_t thread_dict = h.name(h.dict({}), "thread dict");
    h.poke(thread + root_offset(h.L.tstate_roots, "dict"), thread_dict);
    const uint64_t globals = h.name(h.dict({}), "globals");
    const uint64_t main_code = h.code({.name = "<module>"});
    const uint64_t f_code = h.code({.name = "f"});
    h.push_frame(thread, {.code = main_code, .globals = globals, .locals = globals});
    h.push_frame(thread, {.code = f_code, .globals = globals});
    const uint64_t top = h.push_frame(thread, {.code = f_code, .globals = globals});
    const uint64_t top_object = h.name(h.frame_object(top), "top frame object");
    const uint64_t other = h.thread(interp, 140002);
    h.push_frame(other, {.code = main_code, .globals = globals});
    h.push_frame(other, {.code = f_code, .incomplete = true}); // being set up: not shown
    Decoding d(h);
    heapy::cpython::Reader& reader = d.reader;
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    const auto roots = heapy::cpython::collect_roots(runtime, d.decoder);
    CHECK(names(roots, h) == Lines{"i0_modules sys.modules", "i0_sysdict sys.__dict__",
                                   "i0_builtins builtins", "i0_t140002_f0 frame:<module> (frame)",
                                   "i0_t140001_f2 top frame object",
                                   "i0_t140001_dict thread dict"});
    (void)top_object;
}

TEST_CASE("unsupported and undetectable versions are errors that say so",
          "[decoder][runtime][malformed]") {
    SECTION("Python 3.8") {
        PyHeap h;
        h.poke<uint32_t>(h.py_version, 0x030812f0);
        const std::string message = locate_error(h);
        CHECK_THAT(message, Contains("unsupported Python version 3.8.18"));
        CHECK_THAT(message,
                   Contains("heapy supports CPython " + heapy::cpython::supported_versions()));
    }
    SECTION("a release candidate of a future version") {
        PyHeap h;
        h.poke<uint32_t>(h.py_version, 0x030f00c1);
        CHECK_THAT(locate_error(h), Contains("unsupported Python version 3.15.0rc1"));
    }
    SECTION("no Py_Version and no telling file name") {
        PyHeap h;
        h.symbols.remove("Py_Version");
        h.symbols.modules_.clear();
        const std::string message = locate_error(h);
        CHECK_THAT(message, Contains("cannot tell which Python version"));
        CHECK_THAT(message, Contains(heapy::cpython::supported_versions()));
    }
    SECTION("no Py_Version, but a file name and the version string") {
        PyHeap h;
        h.symbols.remove("Py_Version");
        h.interpreter({});
        heapy::cpython::Reader reader(h.memory);
        const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
        CHECK(runtime.version.text() == "3.11.2");
        CHECK_THAT(runtime.found_by, Contains("file name"));
    }
    SECTION("no _PyRuntime symbol, but its section") {
        PyHeap h;
        h.symbols.remove("_PyRuntime");
        h.interpreter({});
        heapy::cpython::Reader reader(h.memory);
        CHECK(heapy::cpython::locate_runtime(reader, h.symbols).address == h.runtime);
    }
    SECTION("Py_Version in memory the core lacks") {
        PyHeap h;
        h.symbols.define("Py_Version", PyHeap::unmapped());
        CHECK_THAT(locate_error(h), Contains("cannot read Py_Version"));
    }
    SECTION("no Python at all") {
        PyHeap h;
        h.symbols.remove("Py_Version");
        h.symbols.remove("_PyRuntime");
        h.symbols.modules_.front().path = "/usr/bin/bash";
        CHECK_THAT(locate_error(h), Contains("no Python interpreter in this process"));
    }
    SECTION("a Python library without its symbols") {
        PyHeap h;
        h.symbols.remove("Py_Version");
        h.symbols.remove("_PyRuntime");
        h.symbols.modules_.front().path = "/usr/lib/libpython3.10.so.1.0";
        CHECK_THAT(locate_error(h), Contains("found Python 3.10"));
    }
    SECTION("Py_Version without _PyRuntime") {
        PyHeap h;
        h.symbols.remove("_PyRuntime");
        h.symbols.remove_section(".PyRuntime");
        CHECK_THAT(locate_error(h), Contains("not _PyRuntime"));
    }
    SECTION("_PyRuntime in unmapped memory") {
        PyHeap h;
        h.interpreter({});
        h.symbols.define("_PyRuntime", PyHeap::unmapped());
        CHECK_THAT(locate_error(h), Contains("has no interpreter"));
    }
    SECTION("no interpreter yet") {
        PyHeap h;
        CHECK_THAT(locate_error(h), Contains("has no interpreter"));
    }
}

// With neither the _PyRuntime symbol nor the .PyRuntime section (3.13+), the runtime is found by
// the "xdebugpy" cookie its _Py_DebugOffsets start with: only at 8-byte boundaries, only with the
// version asked for, across chunks and past unmapped pages.
TEST_CASE("_Py_DebugOffsets cookies are found in a module's memory", "[decoder][runtime]") {
    heapy::test::MemoryImage memory;
    const uint64_t base = 0x500000;
    memory.map(base, 0x30000);
    auto cookie = [&](uint64_t at, uint64_t version) {
        memory.write(at, "xdebugpy", 8);
        memory.put<uint64_t>(at + 8, version);
    };
    cookie(base + 0x18, 0x030d00f0);    // 3.13.0
    cookie(base + 0x1fff8, 0x030d01f0); // 3.13.1, across a 64 KiB chunk boundary
    cookie(base + 0x20104, 0x030d00f0); // not aligned
    cookie(base + 0x28000, 0x030e00f0); // 3.14
    heapy::cpython::Reader reader(memory);
    using heapy::cpython::find_debug_cookies;
    CHECK(find_debug_cookies(reader, base, base + 0x30000, 3, 13) ==
          std::vector<uint64_t>{base + 0x18, base + 0x1fff8});
    CHECK(find_debug_cookies(reader, base, base + 0x30000, 3, 14) ==
          std::vector<uint64_t>{base + 0x28000});
    // A range that runs past the mapping.
    CHECK(find_debug_cookies(reader, base + 0x20000, base + 0x80000, 3, 14) ==
          std::vector<uint64_t>{base + 0x28000});
}
