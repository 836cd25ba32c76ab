// Line numbers from real code objects' line tables, one function compiled by each version
// (the table, its first line and the line of every instruction as co_lines() or
// dis.findlinestarts() gave it; -1 where CPython gives none).
#include "core/cpython/line_table.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Sample {
    const char* version;
    int first_line;
    const char* table_hex;
    int code_units;
    std::vector<int> lines; // per code unit
};

// def sample(a, b):  x = a + b; an if/else with a comprehension over two lines; try/except;
// a return over three lines.
const Sample kSamples[] = {
    {"3.9",
     2,
     "000108010801060106ff0803040202010c010c010a010201020102fe",
     43,
     {3,  3,  3,  3,  4,  4,  4,  4,  5,  5,  5,  6,  6,  6,  5,  5,  5,  5,  8,  8,  10, 11,
      11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 14, 15, 16, 14, 14}},
    {"3.10",
     2,
     "080108010601060108ff040302020c010c01080102ff02020201020104fe",
     43,
     {3,  3,  3,  3,  4,  4,  4,  4,  5,  5,  5,  6,  6,  6,  5,  5,  5,  5,  8,  8,  10, 11,
      11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, 14, 15, 16, 14, 14}},
    {"3.11",
     2,
     "8000d80809884189058041d80708883182758075f002010d20f000010d20dd161b984191689468f003010d20f1000"
     "10d20f400010d2088018801f006000d118801f00403050ed80c0d9001894588018801f8dd0b1cf00001050ef00001"
     "050ef00001050ed80c0d880188018801f00301050ef8f8f8e00c0dd80c0dd80c0df005020c0ff00002050f",
     70,
     {2,  3,  3,  3,  3,  3,  4,  4,  4,  4,  4,  4,  5,  5,  6,  6,  6,  6,
      6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  5,  5,  5,  5,  5,  5,  5,  5,
      5,  5,  8,  8,  10, 11, 11, 11, 11, 11, 11, -1, 12, 12, 12, 12, 12, 12,
      12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1, 14, 15, 16, 14, 14}},
    {"3.12",
     2,
     "8000d80809884189058041d8070888318275e4161b98419368f603010d20d81112f003000e0f90118b55f000010d2"
     "08801f100010d20f006000d118801f00403050ed80c0d900189458801f006000d0ed80c0dd80c0df005020c0ff000"
     "02050ff9f213010d20f8f40e000c1df20001050ed80c0d8a01f00301050efa",
     74,
     {2,  3,  3,  3,  3,  3,  4,  4,  4,  4,  4,  6,  6,  6,  6,  6,  6, 6, 6,
      6,  6,  5,  5,  5,  5,  5,  5,  5,  6,  5,  5,  5,  5,  5,  5,  5, 5, 5,
      5,  8,  8,  10, 11, 11, 11, 11, 11, 14, 15, 16, 14, 14, -1, -1, 5, 5, 5,
      -1, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1}},
    {"3.13",
     2,
     "8000d8080989058041d8070888318375e4161b98419468f303010d20d9161e9011f003000e0f90118c55d9161ef00"
     "300090af000010d208801f006000d118801f00403050ed80c0d900189458801f006000d0ed80c0dd80c0df005020c"
     "0ff00002050ff9f213010d20f8f40e000c1df30001050ed80c0d8a01f00301050efa",
     77,
     {2,  3,  3,  3,  3,  4,  4,  4,  4,  4,  4,  6,  6,  6,  6,  6,  6, 6, 6, 6,
      6,  6,  5,  5,  5,  5,  6,  6,  6,  5,  5,  5,  5,  5,  5,  5,  6, 6, 5, 5,
      5,  8,  8,  10, 11, 11, 11, 11, 11, 14, 15, 16, 14, 14, -1, -1, 5, 5, 5, -1,
      12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1}},
    {"3.14",
     2,
     "8000d808098d058041d8070888318475e4161b98419468f303010d20d9161e9011f003000e0f90118f558855d9161"
     "ef00300090af000010d208801f006000d118801f00403050ed80c0d90018d458801f006000d0ed80c0dd80c0df005"
     "020c0ff00002050ff9f213010d20f8f40e000c1df40001050ed80c0d8a01f00301050efa",
     91,
     {2, 3, 3, 3,  3,  3,  3,  3,  3,  4,  4,  4,  4,  4,  4,  4,  6,  6,  6,  6,  6,  6,  6,
      6, 6, 6, 6,  5,  5,  5,  5,  6,  6,  6,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  6,
      6, 5, 5, 5,  8,  8,  10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 14, 15, 16, 14, 14, -1, -1,
      5, 5, 5, -1, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 12, -1, -1, -1}},
};

std::vector<uint8_t> bytes_of(const std::string& hex) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(uint8_t(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

} // namespace

TEST_CASE("line numbers from each version's line table", "[decoder][lines]") {
    for (const Sample& s : kSamples) {
        CAPTURE(s.version);
        int major = 0, minor = 0;
        REQUIRE(std::sscanf(s.version, "%d.%d", &major, &minor) == 2);
        const auto format = heapy::cpython::line_table_format(major, minor);
        const auto table = bytes_of(s.table_hex);
        REQUIRE(int(s.lines.size()) == s.code_units);
        int checked = 0;
        for (int unit = 0; unit < s.code_units; ++unit) {
            if (s.lines[unit] < 0) continue; // CPython gives no line (a cache entry, 3.11+)
            CAPTURE(unit);
            CHECK(heapy::cpython::line_at(table, s.first_line, uint64_t(unit) * 2, format) ==
                  s.lines[unit]);
            ++checked;
        }
        CHECK(checked > s.code_units / 2);
    }
}

TEST_CASE("line tables cut short or corrupt give no line, never a crash", "[decoder][lines]") {
    using heapy::cpython::LineTableFormat;
    for (const Sample& s : kSamples) {
        int major = 0, minor = 0;
        std::sscanf(s.version, "%d.%d", &major, &minor);
        const auto format = heapy::cpython::line_table_format(major, minor);
        auto table = bytes_of(s.table_hex);
        for (size_t cut = 0; cut < table.size(); ++cut) {
            const std::span<const uint8_t> part(table.data(), cut);
            for (int unit = 0; unit < s.code_units + 4; ++unit)
                heapy::cpython::line_at(part, s.first_line, uint64_t(unit) * 2, format);
        }
        for (uint8_t& byte : table) byte = uint8_t(byte * 7 + 3);
        for (int unit = 0; unit < s.code_units; ++unit)
            heapy::cpython::line_at(table, s.first_line, uint64_t(unit) * 2, format);
    }
    CHECK(heapy::cpython::line_at({}, 10, 0, LineTableFormat::Locations) == -1);
    CHECK(heapy::cpython::line_at({}, 10, 0, LineTableFormat::Lnotab) == 10);
}
