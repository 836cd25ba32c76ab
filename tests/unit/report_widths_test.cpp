// Numbers wider than heapy's columns (issue 21, point 9). heapy prints them whole and the row
// loses its alignment ("%6d" of 10000763); we widen a column only when a number of the table
// does not fit it, the header and every row (every page) alike, so tables of ordinary heaps stay
// heapy's text byte for byte (the generated report_*_test.cpp) and huge heaps stay aligned.
// Hand-written: heapy's own text of these tables is not what we print.

#include "core/commands/top_entries.hpp"
#include "core/report/diff_format.hpp"
#include "core/report/id_format.hpp"
#include "core/report/set_format.hpp"
#include "core/report/stat.hpp"
#include "core/report/stat_dump.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace heapy::report;

namespace {

// The lines of `text` from the one starting with " Index" on: the header, then the rows.
std::vector<std::string> table_lines(const std::string& text) {
    std::vector<std::string> lines;
    const size_t at = text.find(" Index");
    for (size_t start = at == std::string::npos ? text.size() : at; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// Where each column of numbers ends in `line` (a row: the end of each run of non-blanks before
// the kind), `columns` of them.
std::vector<size_t> column_ends(const std::string& line, size_t columns) {
    std::vector<size_t> ends;
    for (size_t i = 0; i < line.size() && ends.size() < columns; ++i)
        if (line[i] != ' ' && (i + 1 == line.size() || line[i + 1] == ' ')) ends.push_back(i + 1);
    return ends;
}

Stat set_stat(int64_t count, int64_t size, std::vector<StatRow> rows) {
    Stat st;
    st.count = count;
    st.size = size;
    st.kindname = "";
    st.kindheader = "Kind (class / dict of class)";
    st.numrows = static_cast<int64_t>(rows.size());
    st.rows = std::move(rows);
    st.timemade = 1795271536.458642;
    return st;
}

} // namespace

TEST_CASE("SetFormat: numbers wider than the columns", "[report][set_format][widths]") {
    Partition p{10000764ULL,
                373364800ULL,
                "clodo",
                "Kind (class / dict of class)",
                {{"int", 10000763ULL, 280023600ULL}, {"list", 1ULL, 93341200ULL}}};
    // heapy: " Index  Count   %     Size   % ..." over "     0 10000763 100 280023600  75 ...".
    const std::string expected =
        R"~(Partition of a set of 10000764 objects. Total size = 373364800 bytes.
 Index    Count   %      Size   % Cumulative  % Kind (class / dict of class)
     0 10000763 100 280023600  75 280023600  75 int
     1        1   0  93341200  25 373364800 100 list)~";
    CHECK(format_partition(p) == expected);
    CHECK(format_partition(p, 0, SIZE_MAX, true) == expected);
    CHECK(format_stat(partition_stat(p, 0)) == expected);
    // JSON is untouched: numbers, no columns.
    CHECK(
        partition_json(p) ==
        R"~({"count": 10000764, "size": 373364800, "classifier": "clodo", "rows": [{"kind": "int", "count": 10000763, "size": 280023600}, {"kind": "list", "count": 1, "size": 93341200}]})~");
}

TEST_CASE("SetFormat: huge", "[report][set_format][widths]") {
    Partition p{1099511627776ULL,
                1125899906842624ULL,
                "clodo",
                "Kind (class / dict of class)",
                {{"bytes", 1099511627776ULL, 1125899906842624ULL}}};
    CHECK(format_partition(p) ==
          R"~(Partition of a set of 1099511627776 objects. Total size = 1125899906842624 bytes.
 Index         Count   %             Size   %        Cumulative  % Kind (class / dict of class)
     0 1099511627776 100 1125899906842624 100 1125899906842624 100 bytes)~");
}

TEST_CASE("SetFormat: rows far above the total stay aligned", "[report][set_format][widths]") {
    // Percentages of 21 digits: the prefix is wider than heapy's 100 columns, and the kind is
    // wrapped under it as heapy wraps (a character a line); the numbers still line up.
    Partition p{1ULL,
                1ULL,
                "clodo",
                "Kind (class / dict of class)",
                {{"x", 4611686018427387904ULL, 4611686018427387904ULL}, {"y", 3ULL, 1048576ULL}}};
    const std::string text = format_partition(p);
    CHECK(text.find(" Index               Count                     %                Size     "
                    "                %") != std::string::npos);
    CHECK(text.find("\n     0 4611686018427387904 461168601842738790400 4611686018427387904 "
                    "461168601842738790400\n") != std::string::npos);
    CHECK(text.find("\n     1                   3                   300             1048576     "
                    "        104857600\n") != std::string::npos);
}

TEST_CASE("SetFormat: every page and the header widen alike", "[report][set_format][widths]") {
    // Twelve rows; the one count too wide for heapy's column is on the second page.
    std::vector<NamedRow> rows;
    uint64_t count = 0, size = 0;
    for (int i = 0; i < 12; ++i) {
        NamedRow row{"kind" + std::to_string(i), i == 11 ? 123456789ULL : 10ULL,
                     uint64_t(1000 - i)};
        count += row.count;
        size += row.size;
        rows.push_back(row);
    }
    Partition p{count, size, "clodo", "Kind (class / dict of class)", rows};
    const std::string first = format_partition(p);
    const std::string more = format_partition(p, partition_page_end(p, 0), kRowsPerPage, false);
    const std::string all = format_partition(p, 0, SIZE_MAX, true);
    const std::vector<std::string> page1 = table_lines(first), page2 = table_lines(more),
                                   every = table_lines(all);
    REQUIRE(page1.size() == 12); // header, 10 rows, the footer
    REQUIRE(page2.size() == 3);  // header, 2 rows
    REQUIRE(every.size() == 13);
    CHECK(page1[0] ==
          " Index     Count   %     Size   % Cumulative  % Kind (class / dict of class)");
    CHECK(page1[1] == "     0        10   0     1000   8      1000   8 kind0");
    CHECK(page2[2] == "    11 123456789 100      989   8     11934 100 kind11");
    CHECK(page1[11] == "<2 more rows. Type e.g. '_.more' to view.>");
    // The header's column titles end where the rows' numbers end, on every page (heapy's
    // "Cumulative" one character further, over the space after its column, as in heapy).
    std::vector<size_t> row_ends = column_ends(every[0], 7);
    row_ends[5] -= 1;
    for (const std::vector<std::string>* page : {&page1, &page2, &every})
        for (size_t i = 1; i < page->size(); ++i) {
            if ((*page)[i].starts_with("<")) continue;
            INFO((*page)[i]);
            CHECK(column_ends((*page)[i], 7) == row_ends);
        }
}

TEST_CASE("SetFormat: h[i] of a row whose numbers do not fit", "[report][set_format][widths]") {
    Partition p{3445ULL,
                4536689ULL,
                "clodo",
                "Type",
                {{"str", 1000ULL, 2000000ULL},
                 {"tuple", 900ULL, 1000000ULL},
                 {"bytes", 800ULL, 756311ULL},
                 {"type", 740ULL, 780368ULL},
                 {std::string(120, 'x'), 5ULL, 10ULL}}};
    // heapy's quirk (the parent's cumulative size against the row's own size) makes 45366890 %.
    CHECK(format_partition_row_set(p, 4) ==
          R"~(Partition of a set of 5 objects. Total size = 10 bytes.
 Index  Count   %     Size   % Cumulative       % Type
     4      5 100       10 100   4536689 45366890 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
                                                  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
                                                  xxxxxxxxxxxxxxxxxxxx)~");
}

TEST_CASE("IdFormat: wide", "[report][id_format][widths]") {
    IdTable t{2ULL,
              123456789017ULL,
              "<bytes>",
              "Representation (limited)",
              {{123456789012, "b'x'"}, {5, "b''"}}};
    const std::string expected = R"~(Set of 2 <bytes> objects. Total size = 123456789017 bytes.
 Index         Size   %      Cumulative  %   Representation (limited)
     0 123456789012 100.0 123456789012 100.0 b'x'
     1            5   0.0 123456789017 100.0 b'')~";
    CHECK(format_id_table(t) == expected);
    CHECK(format_stat(id_table_stat(t, 0)) == expected);
}

TEST_CASE("DiffFormat: numbers wider than the columns", "[report][diff][widths]") {
    Stat a = set_stat(3, 1000000000, {{1, 999999993, "big"}, {2, 7, "small"}});
    Stat b = set_stat(1, 3, {{1, 3, "small"}});
    Stat d = stat_difference(a, b, 1795271536.458642);
    // The summary's little table too: A's size has 10 digits.
    const std::string expected = R"~(Summary of difference operation (A-B).
        Count       Size
  A         3 1000000000
  B         1          3
  A-B       2  999999997  =  3.33e+10 % of B

Differences by kind, largest absolute size diffs first.
 Index  Count      Size  Cumulative  % of B Kind (class / dict of class)
     0      1 999999993 999999993  3.33e+10 big
     1      1         4 999999997  3.33e+10 small)~";
    CHECK(format_stat(d) == expected);
    CHECK(format_stat(d, 0, SIZE_MAX) == expected);
    // A dump keeps the numbers, not the columns.
    CHECK(dump_stat(d) == R"~(.loader: _load_stat
.format: DiffFormat
.timemade: 1795271536.458642
.b_count: 1
.b_size: 3
.count: 2
.size: 999999997
.kindheader: Kind (class / dict of class)
.kindname: 
.numrows: 2
.r: 1 999999993 big
.r: 1 4 small
.end: .loader: _load_stat
)~");
    // Ordinary numbers: heapy's text.
    CHECK(diff_label(221, 15026, 55806, 7526196) == R"~(Summary of difference operation (A-B).
        Count     Size
  A     56027  7541222
  B     55806  7526196
  A-B     221    15026  =       0.2 % of B

Differences by kind, largest absolute size diffs first.)~");
}

TEST_CASE("top: numbers wider than the columns", "[report][top][widths]") {
    using heapy::commands::TopEntry;
    using heapy::commands::TopOptions;
    std::vector<TopEntry> objects = {
        {"list", 0x7f0000001000, 12345678901, 800000056, 1, "hp.Root.i0_modules['__main__']", {}},
        {"dict", 0x7f0000002000, 4096, 4096, 1, "", {}},
    };
    const std::string text =
        heapy::commands::top_text(objects, TopOptions{}, 14010682, 12500000000);
    // Retained has 11 digits (the column holds 10) and Size 9 (it holds 8): both widen, the header
    // and both rows alike; the path stays under Retained.
    CHECK(text == R"~(Objects by retained size. Reachable heap: 14010682 objects, 12500000000 bytes.
 Index    Retained   %      Size  Objects Address        Kind
     0 12345678901  99 800000056        1 0x7f0000001000 list
       hp.Root.i0_modules['__main__']
     1        4096   0      4096        1 0x7f0000002000 dict
)~");

    TopOptions kinds;
    kinds.kinds = true;
    std::vector<TopEntry> rows = {{"str", 0, 900, 900, 12345678, "", {}}};
    // Roots has 8 digits (the column holds 6).
    CHECK(heapy::commands::top_text(rows, kinds, 10, 1000) ==
          R"~(Kinds by retained size. Reachable heap: 10 objects, 1000 bytes.
 Index   Retained   %     Size    Roots Kind
     0        900  90      900 12345678 str
)~");

    // Ordinary numbers: the columns of the table heapy's top would have.
    std::vector<TopEntry> small = {{"dict", 0x7f0000002000, 4096, 4096, 1, "", {}}};
    CHECK(heapy::commands::top_text(small, TopOptions{}, 10, 8192) ==
          R"~(Objects by retained size. Reachable heap: 10 objects, 8192 bytes.
 Index   Retained   %     Size  Objects Address        Kind
     0       4096  50     4096        1 0x7f0000002000 dict
)~");
}
