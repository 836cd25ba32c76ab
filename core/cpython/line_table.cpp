#include "core/cpython/line_table.hpp"

namespace heapy::cpython {

namespace {

constexpr uint64_t kCodeUnit = 2; // bytes of one _Py_CODEUNIT
constexpr int kNoLine = -1;

// PyCode_Addr2Line of 3.9: the line of the last pair that starts at or before `offset`.
int lnotab_line(std::span<const uint8_t> table, int line, uint64_t offset) {
    uint64_t address = 0;
    for (size_t i = 0; i + 1 < table.size(); i += 2) {
        address += table[i];
        if (address > offset) break;
        line += int8_t(table[i + 1]);
    }
    return line;
}

// 3.10: each pair ends a range of addresses; a line delta of -128 means the range has no line.
int linetable_line(std::span<const uint8_t> table, int line, uint64_t offset) {
    uint64_t start = 0;
    for (size_t i = 0; i + 1 < table.size(); i += 2) {
        const uint64_t end = start + table[i];
        const int8_t delta = int8_t(table[i + 1]);
        if (delta != -128) line += delta;
        if (offset >= start && offset < end) return delta == -128 ? kNoLine : line;
        start = end;
    }
    return kNoLine;
}

// The location table's numbers: 6 bits a byte, bit 6 set while more follow; signed ones keep
// their sign in bit 0.
struct VarintReader {
    std::span<const uint8_t> table;
    size_t at = 0;
    bool failed = false;

    uint64_t varint() {
        uint64_t value = 0;
        for (unsigned shift = 0; shift < 64; shift += 6) {
            if (at >= table.size()) {
                failed = true;
                return value;
            }
            const uint8_t byte = table[at++];
            value |= uint64_t(byte & 63) << shift;
            if (!(byte & 64)) return value;
        }
        failed = true;
        return value;
    }
    int64_t svarint() {
        const uint64_t value = varint();
        return (value & 1) ? -int64_t(value >> 1) : int64_t(value >> 1);
    }
};

// 3.11+: entries of `length` code units; the code in each entry's first byte says how the line
// moves (and what column data follows, skipped here).
int locations_line(std::span<const uint8_t> table, int line, uint64_t offset) {
    constexpr int kNoLocation = 15, kLong = 14, kNoColumn = 13, kOneLineFirst = 10;
    const uint64_t unit = offset / kCodeUnit;
    uint64_t start = 0;
    VarintReader in{table};
    while (in.at < table.size()) {
        const uint8_t first = table[in.at++];
        if (!(first & 0x80)) return kNoLine; // not the start of an entry: a corrupt table
        const int code = (first >> 3) & 15;
        const uint64_t end = start + (first & 7) + 1;
        bool has_line = true;
        if (code == kNoLocation) {
            has_line = false;
        } else if (code == kLong) {
            line += int(in.svarint());
            in.varint(); // end line delta
            in.varint(); // column + 1
            in.varint(); // end column + 1
        } else if (code == kNoColumn) {
            line += int(in.svarint());
        } else if (code >= kOneLineFirst) {
            line += code - kOneLineFirst;
            in.at += 2; // column, end column
        } else {
            in.at += 1; // short form: column data
        }
        if (in.failed) return kNoLine;
        if (unit >= start && unit < end) return has_line ? line : kNoLine;
        start = end;
    }
    return kNoLine;
}

} // namespace

LineTableFormat line_table_format(int major, int minor) {
    if (major == 3 && minor <= 9) return LineTableFormat::Lnotab;
    if (major == 3 && minor == 10) return LineTableFormat::LineTable;
    return LineTableFormat::Locations;
}

int line_at(std::span<const uint8_t> table, int first_line, uint64_t offset,
            LineTableFormat format) {
    switch (format) {
    case LineTableFormat::Lnotab:
        return lnotab_line(table, first_line, offset);
    case LineTableFormat::LineTable:
        return linetable_line(table, first_line, offset);
    case LineTableFormat::Locations:
        return locations_line(table, first_line, offset);
    }
    return kNoLine;
}

} // namespace heapy::cpython
