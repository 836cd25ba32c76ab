#pragma once

#include <cstdint>
#include <span>

namespace heapy::cpython {

// How a code object maps instructions to source lines, per CPython version
// (Objects/lnotab_notes.txt, Objects/locations.md).
enum class LineTableFormat {
    Lnotab,    // 3.9 co_lnotab: (address increment, signed line increment) byte pairs
    LineTable, // 3.10 co_linetable: (address increment, signed line delta or -128) byte pairs
    Locations, // 3.11+ co_linetable: the location table, entries of 1 to 8 code units
};

LineTableFormat line_table_format(int major, int minor);

// The source line of the instruction that starts `offset` bytes into the bytecode, or -1 when
// it has none (or the table ends before it).
int line_at(std::span<const uint8_t> table, int first_line, uint64_t offset,
            LineTableFormat format);

} // namespace heapy::cpython
