// python_stacks on hand-built images: frames innermost first with their functions and files, and
// chains a crash damaged shown as far as they go, with the reason they stop.
#include "tests/unit/support/decoding.hpp"

#include "core/cpython/python_stacks.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;
using Catch::Matchers::Contains;

namespace {

std::vector<heapy::cpython::ThreadStack> stacks_of(PyHeap& h) {
    Decoding d(h);
    heapy::cpython::Reader reader(h.memory);
    const auto runtime = heapy::cpython::locate_runtime(reader, h.symbols);
    return heapy::cpython::python_stacks(runtime, d.decoder);
}

} // namespace

TEST_CASE("stacks: each thread's frames, innermost first", "[decoder][stacks]") {
    for (int minor : {11, 12, 13, 14}) {
        CAPTURE(minor);
        PyHeap h(minor);
        const uint64_t interp = h.interpreter({});
        const uint64_t busy = h.thread(interp, 7001);
        h.thread(interp, 7002); // idle: no frame
        const uint64_t outer = h.code({.name = "<module>", .filename = "main.py"});
        const uint64_t inner = h.code({.name = "work", .filename = "lib.py"});
        h.push_frame(busy, {.code = outer});
        h.push_frame(busy, {.code = inner});
        const auto stacks = stacks_of(h);
        REQUIRE(stacks.size() == 2);
        const auto& s = stacks[0].thread.thread_id == 7001 ? stacks[0] : stacks[1];
        const auto& idle = stacks[0].thread.thread_id == 7001 ? stacks[1] : stacks[0];
        REQUIRE(s.frames.size() == 2);
        CHECK(s.frames[0].function == "work");
        CHECK(s.frames[0].file == "lib.py");
        CHECK(s.frames[1].function == "<module>");
        CHECK(s.frames[1].file == "main.py");
        CHECK(s.cut.empty());
        CHECK(idle.frames.empty());
        CHECK(idle.cut.empty());
    }
}

TEST_CASE("stacks: a looping chain and an unreadable frame stop the list, with the reason",
          "[decoder][stacks]") {
    PyHeap h(14);
    const uint64_t interp = h.interpreter({});
    const uint64_t thread = h.thread(interp, 7001);
    const uint64_t code = h.code({.name = "f"});
    const uint64_t first = h.push_frame(thread, {.code = code});
    const uint64_t second = h.push_frame(thread, {.code = code});
    SECTION("a loop") {
        h.poke<uint64_t>(first + h.L.iframe_previous, second);
        const auto stacks = stacks_of(h);
        REQUIRE(stacks.size() == 1);
        CHECK(stacks[0].frames.size() == 2);
        CHECK_THAT(stacks[0].cut, Contains("the frames loop"));
    }
    SECTION("a code object that is not there") {
        h.poke<uint64_t>(first + h.L.iframe_code, 0x7fff0000);
        const auto stacks = stacks_of(h);
        REQUIRE(stacks.size() == 1);
        CHECK(stacks[0].frames.size() == 1);
        CHECK_THAT(stacks[0].cut, Contains("cannot be read"));
    }
}
