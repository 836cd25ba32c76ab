// A long listing is written a piece at a time (issue 21, points 1 and 8): the same text as
// heapy's page, stopping at Ctrl-C or when the reader stops, with `more` going on from the first
// line not written.
#include "core/commands/listing_writer.hpp"
#include "core/errors.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace heapy;

namespace {

report::PageSource numbered(size_t lines) {
    report::PageSource source;
    source.label = "Label";
    source.row_header = "Header";
    source.num_lines = lines;
    source.line = [](size_t i) { return "line " + std::to_string(i) + (i % 2 ? "  " : ""); };
    source.more_msg = [](size_t, size_t) { return std::string("<more>"); };
    return source;
}

} // namespace

TEST_CASE("the text is heapy's whole page, then the notes", "[commands]") {
    for (size_t lines : {0, 1, 2, 5000, 9000}) {
        const report::PageSource source = numbered(lines);
        size_t next = 0;
        const std::string text = commands::write_lines(source, 0, true, "note\n", {}, next);
        CHECK(text == report::render_page(source, 0, report::kAllLines, true).text + "\nnote\n");
        CHECK(next == lines);
        if (lines > 3) {
            size_t from = 3;
            CHECK(commands::write_lines(source, 3, false, "", {}, from) ==
                  report::render_page(source, 3, report::kAllLines, false).text + "\n");
        }
    }
}

TEST_CASE("a front end that streams gets pieces; a stop leaves `next` at the first line not "
          "written",
          "[commands]") {
    const report::PageSource source = numbered(10000);
    std::vector<std::string> pieces;
    commands::FrontEnd frontend;
    frontend.write = [&](std::string_view text) {
        pieces.emplace_back(text);
        return pieces.size() < 2;
    };
    size_t next = 0;
    CHECK_THROWS_AS(commands::write_lines(source, 0, true, "", frontend, next),
                    commands::OutputStopped);
    CHECK(pieces.size() == 2);
    CHECK(next == 4096);

    pieces.clear();
    frontend.paged = [] { return true; };
    frontend.write = [&](std::string_view text) {
        pieces.emplace_back(text);
        return pieces.size() < 5;
    };
    CHECK_THROWS_AS(commands::write_lines(source, 0, true, "", frontend, next),
                    commands::OutputStopped);
    CHECK(pieces[0] == "Label\nHeader\nline 0\n");
    CHECK(pieces[1] == "line 1  \n");
    CHECK(next == 4); // lines 0 to 3 were written; the 5th write (line 4) was refused
}

TEST_CASE("Ctrl-C stops it between pieces", "[commands]") {
    const report::PageSource source = numbered(100000);
    int polls = 0;
    commands::FrontEnd frontend;
    frontend.interrupted = [&] { return ++polls > 3; };
    size_t next = 0;
    CHECK_THROWS_AS(commands::write_lines(source, 0, true, "", frontend, next), Interrupted);
    CHECK(next == 3 * 4096);
}
