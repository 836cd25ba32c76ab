// The input of the heap fuzzer (fuzz_heap) and of its regression tests: a CPython 3.11 process
// image built by hand (tests/unit/support/python_heap), corrupted by a list of patches that the
// fuzzer's bytes spell, then analysed by every command of a Session, as a user would.
#pragma once

#include "tests/unit/support/python_heap.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace heapy::fuzz {

// A small program: classes and their instances (inline values, materialised dicts, __slots__),
// every container, strings, ints, functions with closures and defaults, code objects, modules,
// two threads with frames, a suspended generator, a frame object, an unreachable cycle, and the
// GC generation lists linking every GC object.
class HeapImage {
  public:
    HeapImage();
    HeapImage(const HeapImage&) = delete;
    HeapImage& operator=(const HeapImage&) = delete;

    test::PyHeap heap;

    // Addresses worth corrupting and worth pointing at: objects, their types, dict keys and
    // values arrays, frames, the runtime and the interpreter.
    std::vector<uint64_t> targets;

    // One patch of the image. The fuzzer's bytes are read as a sequence of 13-byte records:
    //   op (1 byte), where (4 bytes, little-endian), value (8 bytes, little-endian)
    // op bits 7-6 = 10: the address is targets[(where >> 8) % n] + (where & 0xff) - 64 (a byte
    //                   near the start of an object);
    //               11: targets[(where >> 10) % n] + (where & 0x3ff) * 8 - 64 (a word of the
    //                   first 8 KiB: type objects' later fields, tables, frames);
    //               0x: offset `where` into the mapped image (anywhere).
    // op & 7 says what is written there:
    //   0: value (8 bytes)          1: value's low byte        2: value's low 4 bytes
    //   3: a pointer to targets[value % n] + small offset      4: an unmapped pointer
    //   5: a small signed integer (int8 of value)              6: a huge length (1<<62 | value)
    //   7: the 8 bytes at another place of the image (offset value)
    struct Patch {
        uint64_t address = 0;
        std::vector<std::byte> bytes;
    };
    std::vector<Patch> decode(std::span<const uint8_t> input);

    // Applies `patches`, runs the commands of a user session over the image and restores it.
    // Returns what the commands printed (their output or error lines), for regression tests.
    std::string run(const std::vector<Patch>& patches);
    std::string run(std::span<const uint8_t> input) { return run(decode(input)); }

    // The commands run() runs, in order, one vector of words each.
    std::vector<std::vector<std::string>> commands() const;

  private:
    uint64_t image_offset_to_address(uint64_t offset) const;
    std::vector<memory::Region> regions_;
    uint64_t mapped_total_ = 0;
    uint64_t first_instance_ = 0;
};

// A heap image built once per process (building one takes a few milliseconds).
HeapImage& shared_heap_image();

} // namespace heapy::fuzz
