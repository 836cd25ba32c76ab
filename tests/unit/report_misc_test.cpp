// Hand-written tests of the report layer: malformed Stat files, the cases where heapy itself
// fails (and what we print instead), and the small helpers.
#include "core/errors.hpp"
#include "core/report/diff_format.hpp"
#include "core/report/paging.hpp"
#include "core/report/path_format.hpp"
#include "core/report/pyrepr.hpp"
#include "core/report/pyunicode.hpp"
#include "core/report/set_format.hpp"
#include "core/report/stat_dump.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <limits>
#include <string>
#include <vector>

using namespace heapy::report;

namespace {

const std::string kGood = ".loader: _load_stat\n"
                          ".format: SetFormat\n"
                          ".timemade: 0\n"
                          ".count: 3\n"
                          ".size: 30\n"
                          ".kindname: \n"
                          ".kindheader: K\n"
                          ".numrows: 2\n"
                          ".r: 1 10 a\n"
                          ".r: 2 20 b\n"
                          ".end: .loader: _load_stat\n";

std::string replace(std::string text, const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
    try {
        load_stat(text);
    } catch (const heapy::Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("Stat load rejects malformed files with a one-line error", "[report][stat]") {
    REQUIRE(format_stat(load_stat(kGood)).find("Partition of a set of 3 objects.") == 0);
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "Stat dump is empty"},
        {"hello\n", "line 1: expected '.loader: _load_stat'"},
        {replace(kGood, ".loader: _load_stat\n", ".loader: _load_other\n"),
         "line 1: unknown loader '_load_other'"},
        {replace(kGood, ".count: 3\n", "count 3\n"), "line 4: header line without ':'"},
        {replace(kGood, ".format: SetFormat\n", ""), "has no '.format:' line"},
        {replace(kGood, ".format: SetFormat\n", ".format: Stat\n"),
         "line 2: unknown .format 'Stat'"},
        {replace(kGood, ".timemade: 0\n", ""), "has no '.timemade:' line"},
        {replace(kGood, ".timemade: 0\n", ".timemade: soon\n"),
         "line 3: .timemade is not a number"},
        {replace(kGood, ".timemade: 0\n", ".timemade: 0x10\n"), ".timemade is not a number"},
        {replace(kGood, ".count: 3\n", ""), "has no '.count:' line"},
        {replace(kGood, ".count: 3\n", ".count: 3.0\n"), "line 4: .count is not an integer"},
        {replace(kGood, ".count: 3\n", ".count: 1__0\n"), ".count is not an integer"},
        {replace(kGood, ".count: 3\n", ".count: 99999999999999999999\n"),
         ".count is not an integer"},
        {replace(kGood, ".size: 30\n", ""), "has no '.size:' line"},
        {replace(kGood, ".kindheader: K\n", ""), "has no '.kindheader:' line"},
        {replace(kGood, ".numrows: 2\n", ""), "has no '.numrows:' line"},
        {replace(kGood, ".format: SetFormat\n", ".format: DiffFormat\n"),
         "has no '.b_count:' line"},
        {replace(kGood, ".r: 1 10 a\n", ".r: 1 10\n"), "line 9: malformed row"},
        {replace(kGood, ".r: 1 10 a\n", ".r: one 10 a\n"), "line 9: malformed row numbers"},
        {replace(kGood, ".r: 1 10 a\n", ".r: 1  10 a\n"), "line 9: malformed row numbers"},
        {replace(kGood, ".r: 2 20 b\n", "# comment\n"), "line 10: expected a '.r: ' row"},
        {replace(kGood, ".r: 1 10 a\n", ".r:1 10 a\n"), "line 9: expected a '.r: ' row"},
    };
    for (const auto& [text, message] : cases) {
        INFO(text);
        std::string what = error_of(text);
        CHECK_THAT(what, Catch::Matchers::Contains(message));
        CHECK(what.find('\n') == std::string::npos);
    }
    // An IdFormat row is "<size> <render>".
    CHECK_THAT(
        error_of(replace(replace(kGood, "SetFormat", "IdFormat"), ".r: 1 10 a\n", ".r: 10\n")),
        Catch::Matchers::Contains("line 9: malformed row"));
}

TEST_CASE("Stat load: packages and line numbers", "[report][stat]") {
    // Every line after a package must start another one (heapy raises on a stray blank line).
    const std::string two = kGood + kGood;
    CHECK(load_stats(two).size() == 2);
    CHECK(load_stats("").empty());
    try {
        load_stats(two + "\n");
        FAIL("no error");
    } catch (const heapy::Error& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains("line 23: expected '.loader: _load_stat'"));
    }
    try {
        load_stats(kGood + replace(kGood, ".size: 30\n", ".size: big\n"));
        FAIL("no error");
    } catch (const heapy::Error& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains("line 16: .size is not an integer"));
    }
}

TEST_CASE("Stat fields read from a file", "[report][stat]") {
    Stat st = load_stat(
        replace(kGood, ".format: SetFormat\n", ".format: IdFormat\n.b_count: 4\n.b_size: x\n"));
    CHECK(st.format == StatFormat::Id);
    CHECK(st.kindname == std::optional<std::string>(""));
    CHECK(st.b_count == std::optional<int64_t>(4));
    CHECK_FALSE(st.b_size);
    CHECK(st.rows.size() == 2);
    CHECK(st.rows[0].count == 1);
    CHECK(st.rows[0].size == 1);
    CHECK(st.rows[0].kind == "10 a");
    Stat nk = load_stat(replace(kGood, ".kindname: \n", ""));
    CHECK_FALSE(nk.kindname);
    // Without .kindname nothing is written for it.
    CHECK(dump_stat(nk).find(".kindname") == std::string::npos);
    // .timemade in Python float syntax
    CHECK(load_stat(replace(kGood, ".timemade: 0\n", ".timemade: 1_700.5e+0_1\n")).timemade ==
          17005.0);
    CHECK(load_stat(replace(kGood, ".timemade: 0\n", ".timemade: -Infinity\n")).timemade ==
          -std::numeric_limits<double>::infinity());
    CHECK(load_stat(replace(kGood, ".timemade: 0\n", ".timemade: .5\n")).timemade == 0.5);
    CHECK(load_stat(replace(kGood, ".timemade: 0\n", ".timemade: 5.\n")).timemade == 5.0);
    CHECK(load_stat(replace(kGood, ".count: 3\n", ".count: -9223372036854775808\n")).count ==
          std::numeric_limits<int64_t>::min());
}

TEST_CASE("Printing a Stat heapy could not print", "[report][stat]") {
    // heapy raises ZeroDivisionError for rows under a zero total; we print 0 %, and the header
    // is the empty line heapy's printer writes when count and size are both 0.
    Partition p{0, 0, "clodo", "K", {{"a", 0, 0}, {"b", 0, 0}}};
    CHECK(format_partition(p) == "Partition of a set of 0 objects. Total size = 0 bytes.\n"
                                 "\n"
                                 "     0      0   0        0   0         0   0 a\n"
                                 "     1      0   0        0   0         0   0 b");
    CHECK(percent(5, 0) == 0);
    CHECK(format_id_row(0, 5, 5, 0, "x") == "     0        5   0.0         5   0.0 x");
    Stat id = load_stat(replace(replace(kGood, "SetFormat", "IdFormat"), ".kindname: \n", ""));
    CHECK_THROWS_AS(format_stat(id), heapy::Error);
    Stat diff;
    diff.format = StatFormat::Diff;
    CHECK_THROWS_AS(format_stat(diff), heapy::Error);
    Stat nk = load_stat(replace(kGood, ".kindname: \n", ""));
    CHECK_THROWS_AS(stat_difference(nk, nk, 0), heapy::Error);
    // A slice beyond the rows the file holds.
    Stat short_rows = load_stat(replace(kGood, ".numrows: 2\n", ".numrows: 5\n"));
    CHECK_THROWS_WITH(stat_item(short_rows, 3), "Stat index out of range.");
    CHECK(stat_item(short_rows, 1).rows.at(0).kind == "b");
}

TEST_CASE("Pager", "[report][paging]") {
    PageSource src;
    src.label = "L";
    src.row_header = "H";
    src.num_lines = 3;
    src.line = [](size_t i) { return fmt::format("line{}  ", i); };
    src.more_msg = [](size_t first, size_t last) { return fmt::format("<{}..{}>", first, last); };
    CHECK(render_page(src).text == "L\nH\nline0  \nline1  \nline2");
    CHECK(render_page(src).next_line == 3);
    CHECK(render_page(src, 0, 1).text == "L\nH\nline0  \n<0..0>");
    CHECK(render_page(src, 0, 1).next_line == 1);
    CHECK(render_page(src, 1, 1, false).text == "H\nline1  \nline2");
    CHECK(render_page(src, 3, 1, false).text == "");
    CHECK(render_page(src, 3, 1, true).text == "L");
    src.empty_msg = "<none>";
    CHECK(render_page(src, 7, 1, false).text == "<none>");
    CHECK(render_page(src, 7, 1, false).next_line == 7);
    CHECK(page_end(3, 0, 1) == 1);
    CHECK(page_end(3, 1, 1) == 3);
    CHECK(page_end(11, 0) == 11);
    CHECK(page_end(12, 0) == 10);
    CHECK(page_end(12, 10) == 12);
    CHECK(page_end(5, 9) == 9);
    CHECK(page_end(500, 0, kAllLines) == 500);
    // The whole text is rstripped the way Python's str.rstrip() does (NBSP, U+3000 included).
    src.num_lines = 1;
    src.line = [](size_t) { return std::string("x \xc2\xa0\xe3\x80\x80\n"); };
    CHECK(render_page(src).text == "L\nH\nx");
}

TEST_CASE("wrap_row and row_header", "[report][paging]") {
    CHECK(wrap_row("pre ", "a\nb") == "pre a\n    b");
    CHECK(wrap_row("pre ", "") == "pre");
    CHECK(wrap_row("pre ", "\n\n") == "pre");
    CHECK(row_header(kSetStatHeader, "K", false) == "");
    CHECK(row_header(kSetStatHeader, "K", true) == std::string(kSetStatHeader) + "K");
}

TEST_CASE("Python text helpers", "[report][repr]") {
    CHECK(py_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 4);
    CHECK(py_len("\xff\xfe") == 2);
    CHECK(py_rstrip("a \t\n") == "a");
    CHECK(py_rstrip("a\xc2\x85\x1c") == "a");
    CHECK(py_rstrip("a\xc2") == "a\xc2"); // a lone byte is not whitespace
    CHECK(py_strip(" \xe3\x80\x80 a b \xe2\x80\x8a") == "a b");
    CHECK(py_isprintable(' '));
    CHECK_FALSE(py_isprintable(0xA0));
    CHECK_FALSE(py_isprintable(0xAD));
    CHECK(py_isprintable(0xE9));
    CHECK(py_isalnum(0xB2)); // superscript two: \w but not \d
    CHECK_FALSE(py_isdecimal(0xB2));
    CHECK(py_isdecimal(0x0663)); // ARABIC-INDIC DIGIT THREE
    std::vector<PyChar> chars = decode_utf8("a\xed\xa0\x80\xff");
    REQUIRE(chars.size() == 3);
    CHECK(chars[1].cp == 0xD800);
    CHECK(chars[2].cp == 0xDCFF);
    CHECK(chars[2].bytes == "\xff");
    // Printable ASCII takes a shorter way; quotes and backslashes as Python has them.
    CHECK(py_repr_str("") == "''");
    CHECK(py_repr_str("['name']") == "\"['name']\"");
    CHECK(py_repr_str("a'b\"c") == "'a\\'b\"c'");
    CHECK(py_repr_str("say \"hi\"") == "'say \"hi\"'");
    CHECK(py_repr_str("back\\slash") == "'back\\\\slash'");
    CHECK(py_repr_str("tab\t~\x7f") == "'tab\\t~\\x7f'");
    // Encoded surrogates are lone surrogates; other invalid bytes are surrogate-escaped.
    CHECK(py_repr_str("a\xed\xa0\x80") == "'a\\ud800'");
    CHECK(py_repr_str("\xc0\xaf") == "'\\udcc0\\udcaf'");                       // overlong
    CHECK(py_repr_str("\xf4\x90\x80\x80") == "'\\udcf4\\udc90\\udc80\\udc80'"); // > U+10FFFF
    CHECK(reprlib_repr_str(std::string(40, '\xff')) == "'\\udcff\\udcff...f\\udcff\\udcff'");
    std::string out;
    append_utf8(out, 0x1F600);
    CHECK(out == "\xf0\x9f\x98\x80");
}

TEST_CASE("JSON stays valid for bytes that are not UTF-8", "[report][json]") {
    Partition p{1, 2, "clodo", "K", {{"bad\xff", 1, 2}}};
    CHECK(partition_json(p) == "{\"count\": 1, \"size\": 2, \"classifier\": \"clodo\", \"rows\": "
                               "[{\"kind\": \"bad\xef\xbf\xbd\", \"count\": 1, \"size\": 2}]}");
    CHECK(paths_json({"x\xc3"}) == "{\"paths\": [\"x\xef\xbf\xbd\"]}");
}

TEST_CASE("a JSON page has the rows of the page, named or named when shown", "[report][json]") {
    Partition named{6, 60, "via", "K", {{"a", 3, 30}, {"b", 2, 20}, {"c", 1, 10}}};
    Partition when_shown{6, 60, "via", "K", {{"", 3, 30}, {"", 2, 20}, {"", 1, 10}}};
    when_shown.kinds.clear();
    when_shown.name_row = [](size_t row) { return std::string(1, char('a' + row)); };
    const std::string second_page = "{\"count\": 6, \"size\": 60, \"classifier\": \"via\", "
                                    "\"rows\": [{\"kind\": \"b\", \"count\": 2, \"size\": 20}]}";
    const std::string from_second = "{\"count\": 6, \"size\": 60, \"classifier\": \"via\", "
                                    "\"rows\": [{\"kind\": \"b\", \"count\": 2, \"size\": 20}, "
                                    "{\"kind\": \"c\", \"count\": 1, \"size\": 10}]}";
    for (const Partition* p : {&named, &when_shown}) {
        CHECK(partition_json(*p, 1, 1) == second_page);
        CHECK(partition_json(*p, 1) == from_second);
        CHECK(partition_json(*p, 5, 10) ==
              "{\"count\": 6, \"size\": 60, \"classifier\": \"via\", \"rows\": []}");
    }
}
