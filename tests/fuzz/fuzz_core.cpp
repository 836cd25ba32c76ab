// libFuzzer target: the ELF core reader (headers, program headers, notes, NT_FILE, the files it
// names) on arbitrary bytes. Run with scripts/fuzz core SECONDS.
#include "tests/fuzz/core_input.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    heapy::fuzz::exercise_core({data, size});
    return 0;
}
