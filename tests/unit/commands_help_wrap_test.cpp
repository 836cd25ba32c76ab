// Help fitted to the terminal's width (issue 21, point 9): prose refilled, list entries refilled
// under their text's column, examples kept whole, words never broken.
#include "core/commands/help_wrap.hpp"
#include "core/commands/session.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using heapy::commands::fit_help;

namespace {
size_t longest_line(const std::string& text) {
    std::istringstream in(text);
    size_t longest = 0;
    for (std::string line; std::getline(in, line);) longest = std::max(longest, line.size());
    return longest;
}
} // namespace

TEST_CASE("prose is refilled to the width", "[commands]") {
    CHECK(fit_help("one two three\nfour five six\n\nseven\n", 9) ==
          "one two\nthree\nfour five\nsix\n\nseven\n");
    CHECK(fit_help("Example:\n  (gdb) heapy heap --by type with a long tail\n", 20) ==
          "Example:\n  (gdb) heapy heap --by type with a long tail\n");
    CHECK(fit_help("a-very-long-word short\n", 5) == "a-very-long-word\nshort\n");
}

TEST_CASE("list entries keep their text's column", "[commands]") {
    CHECK(
        fit_help("  --by KIND   clodo, type,\n              class, size\n  --all       every row\n",
                 26) ==
        "  --by KIND   clodo, type,\n              class, size\n  --all       every row\n");
    CHECK(fit_help("  --by KIND   clodo, type, class, size\n", 26) ==
          "  --by KIND   clodo, type,\n              class, size\n");
}

TEST_CASE("the list of commands has one line per command at 80 columns", "[commands]") {
    for (const auto& command : heapy::commands::Session::commands()) {
        INFO(command.name);
        if (!command.hidden) CHECK(2 + 10 + 1 + command.summary.size() <= 80);
    }
}

TEST_CASE("every help fits 80 columns", "[commands]") {
    CHECK(longest_line(heapy::commands::Session::help()) <= 80);
    for (const auto& command : heapy::commands::Session::commands()) {
        const std::string text =
            heapy::commands::Session::help(command.name, heapy::commands::Prompt::heapy);
        INFO(text);
        CHECK(longest_line(text) <= 80);
    }
}
