// libFuzzer target: locate_runtime, the roots, the heap walk, every classifier and every
// command of a session, over a CPython 3.11 image corrupted by the input (HeapImage::decode).
// Run with scripts/fuzz heap SECONDS.
#include "tests/fuzz/heap_image.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    heapy::fuzz::shared_heap_image().run({data, size});
    return 0;
}
