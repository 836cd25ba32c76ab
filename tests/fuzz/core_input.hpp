// The input of the core fuzzer (fuzz_core) and of its regression tests: arbitrary bytes taken
// for an ELF core file, opened as `heapy --core` opens one, then used as the analysis uses it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace heapy::fuzz {

// Opens `bytes` as a core (strictly, then with --allow-truncated), reads every region it
// describes, looks up the symbols the analysis needs and runs `heapy info` on it. Returns an
// account of what happened (the error lines, the regions and symbols found), for regression
// tests. heapy::Error is the expected way to refuse an input; anything else escapes.
std::string exercise_core(std::span<const uint8_t> bytes);

} // namespace heapy::fuzz
