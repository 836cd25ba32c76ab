// The footer of a listing names the command that shows the next page where the user is (issue 21,
// point 2): heapy's own '_.more' works only at a Python prompt.
#include "core/report/more_hint.hpp"
#include "core/report/set_format.hpp"

#include <catch2/catch.hpp>

using heapy::report::name_more_command;

TEST_CASE("the footer names the front end's command", "[report]") {
    const std::string table = "Partition of a set of 3 objects. Total size = 9 bytes.\n"
                              "     0      1  33        3  33         3  33 str\n"
                              "<2 more rows. Type e.g. '_.more' to view.>";
    CHECK(name_more_command(table, "heapy more") ==
          "Partition of a set of 3 objects. Total size = 9 bytes.\n"
          "     0      1  33        3  33         3  33 str\n"
          "<2 more rows. Type e.g. 'heapy more' to view.>");
    CHECK(name_more_command(table + "\n", "more").ends_with("Type e.g. 'more' to view.>\n"));
    CHECK(name_more_command(heapy::report::more_rows_msg(207), "more") ==
          "<207 more rows. Type e.g. 'more' to view.>");
    // Notes under the table.
    CHECK(name_more_command("     0 1 2 str\n<2 more rows. Type e.g. '_.more' to view.>\n3 objects "
                            "could not be read.\n",
                            "more") ==
          "     0 1 2 str\n<2 more rows. Type e.g. 'more' to view.>\n3 "
          "objects could not be read.\n");
    // The reference pattern's footer.
    CHECK(name_more_command("a\n<Type e.g. '_.more' for more.>", "heapy more") ==
          "a\n<Type e.g. 'heapy more' for more.>");
}

TEST_CASE("text without heapy's footer is left alone", "[report]") {
    CHECK(name_more_command("", "more").empty());
    CHECK(name_more_command("\n", "more") == "\n");
    // A kind named like the hint, in a row rather than the footer.
    const std::string row = "     0      1 100        3 100         3 100 <Type e.g. '_.more' x>\n"
                            "last line";
    CHECK(name_more_command(row, "more") == row);
    CHECK(name_more_command("<... 3 more paths ...>", "more") == "<... 3 more paths ...>");
}
