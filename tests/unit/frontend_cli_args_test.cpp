// The standalone command's option parsing (plugin/cli/args.hpp) and the helpers the three front
// ends share (plugin/common/frontend_util.hpp).
#include "core/commands/session.hpp"
#include "plugin/cli/args.hpp"
#include "plugin/common/frontend_util.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using heapy::cli::parse_args;
using heapy::cli::UsageError;

namespace {
heapy::cli::Options parse(std::vector<std::string> words) {
    return parse_args(words);
}
std::vector<std::string> words(std::initializer_list<const char*> list) {
    return {list.begin(), list.end()};
}
} // namespace

TEST_CASE("cli: global options before, between and after the command words", "[frontend]") {
    auto a = parse({"--core", "c", "heap", "--by", "type", "--json"});
    CHECK(a.core == "c");
    CHECK(a.command == words({"heap", "--by", "type", "--json"}));

    auto b = parse({"heap", "--by", "type", "--core", "c", "--exe", "e", "--json"});
    CHECK(b.core == "c");
    CHECK(b.exe == "e");
    CHECK(b.command == words({"heap", "--by", "type", "--json"}));

    auto c = parse({"heap", "--pid=42", "--allow-truncated"});
    CHECK(c.pid == 42);
    CHECK(c.allow_truncated);
    CHECK(c.command == words({"heap"}));

    auto d = parse({"--core=x", "heap"});
    CHECK(d.core == "x");

    auto e = parse({"--core", "c", "heap", "--sysroot", "/srv/rootfs"});
    CHECK(e.sysroot == "/srv/rootfs");
    CHECK(parse({"--sysroot=/r", "--core", "c", "heap"}).sysroot == "/r");
    CHECK_FALSE(parse({"--core", "c", "heap"}).sysroot);
}

TEST_CASE("cli: '--' passes every later word to the command", "[frontend]") {
    auto a = parse({"--core", "c", "heap", "--", "--pid", "--core"});
    CHECK(a.core == "c");
    CHECK_FALSE(a.pid);
    CHECK(a.command == words({"heap", "--pid", "--core"}));
}

TEST_CASE("cli: help and version flags", "[frontend]") {
    CHECK(parse({"--help"}).help);
    CHECK(parse({"heap", "-h"}).help);
    CHECK(parse({"--version"}).version);
    CHECK(parse({"help", "heap"}).command == words({"help", "heap"}));
}

TEST_CASE("cli: usage errors", "[frontend]") {
    CHECK_THROWS_AS(parse({"heap", "--core"}), UsageError);
    CHECK_THROWS_AS(parse({"--core", "a", "--core", "b", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--core", "", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--core", "a", "--pid", "1", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--exe", "e", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--pid", "abc", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--pid", "0", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--pid", "-3", "heap"}), UsageError);
    CHECK_THROWS_AS(parse({"--pid", "99999999999", "heap"}), UsageError);
    CHECK_THROWS_WITH(parse({"--pid", "x1", "heap"}), Catch::Contains("'x1'"));
    CHECK_THROWS_WITH(parse({"--sysroot", "/r", "heap"}), Catch::Contains("goes with --core"));
    CHECK_THROWS_WITH(parse({"--core", "c", "heap", "--sysroot"}),
                      Catch::Contains("needs a value (a directory)"));
    CHECK_THROWS_AS(parse({"--core", "c", "--sysroot", "a", "--sysroot", "b"}), UsageError);
}

TEST_CASE("frontend: error lines have one 'heapy: ' prefix and no newline", "[frontend]") {
    using heapy::frontend::error_line;
    CHECK(error_line("no target") == "heapy: no target");
    CHECK(error_line("heapy: not implemented yet\n") == "heapy: not implemented yet");
    CHECK(error_line("heapy: heapy: twice") == "heapy: twice");
    CHECK(error_line("two\nlines") == "heapy: two; lines");
    CHECK(error_line("") == "heapy: unknown error");
}

TEST_CASE("frontend: the command list comes from the session", "[frontend]") {
    using heapy::commands::Session;
    auto commands = Session::commands();
    REQUIRE_FALSE(commands.empty());
    CHECK(commands.front().name == "heap");
    bool saw_shpaths = false, saw_objects = false;
    for (const auto& c : commands) {
        INFO(c.name);
        CHECK(c.usage.starts_with("heapy " + c.name));
        CHECK(c.hidden == c.summary.empty());
        // The overview lists exactly the commands that are not hidden.
        CHECK((Session::help("").find("  " + c.name + " ") != std::string::npos) == !c.hidden);
        // Each name and alias has help of its own, with an example besides the usage.
        std::string help = Session::help(c.name);
        CHECK(help.find("Usage: " + c.usage) != std::string::npos);
        size_t mentions = 0;
        for (size_t at = help.find("heapy "); at != std::string::npos;
             at = help.find("heapy ", at + 1))
            ++mentions;
        if (!c.hidden) CHECK(mentions >= 2);
        for (const auto& alias : c.aliases) CHECK(Session::help(alias) == Session::help(c.name));
        if (c.name == "shpaths") {
            saw_shpaths = true;
            CHECK(c.aliases == std::vector<std::string>{"sp"});
        }
        if (c.name == "_objects") saw_objects = c.hidden;
    }
    CHECK(saw_shpaths);
    CHECK(saw_objects);
}

TEST_CASE("cli: -i, --interactive and --script", "[frontend]") {
    auto a = parse({"--core", "c", "-i"});
    CHECK(a.interactive);
    CHECK(a.command.empty());
    CHECK(parse({"--interactive", "--core", "c", "heap"}).interactive);
    auto b = parse({"--core", "c", "--script", "t.heapy"});
    CHECK(b.script == "t.heapy");
    CHECK_FALSE(b.interactive);
    CHECK(parse({"--script=t", "--core", "c", "-i"}).script == "t");
    CHECK_THROWS_AS(parse({"--core", "c", "--script"}), UsageError);
    CHECK_THROWS_AS(parse({"--core", "c", "--script", "a", "--script", "b"}), UsageError);
    CHECK_THROWS_WITH(parse({"--core", "c", "--script", "t", "heap"}), Catch::Contains("not both"));
    CHECK_FALSE(b.keep_going);
    CHECK(parse({"--core", "c", "--script", "t", "--keep-going"}).keep_going);
    CHECK_THROWS_WITH(parse({"--core", "c", "--keep-going", "heap"}),
                      Catch::Contains("goes with --script"));
    // ";" words stay in the command words, for split_commands.
    CHECK(parse({"--core", "c", "heap", ";", "row", "0"}).command ==
          words({"heap", ";", "row", "0"}));
}

TEST_CASE("frontend: progress line text", "[frontend]") {
    using heapy::frontend::ProgressPrinter;
    using std::chrono::seconds;
    // A total: how far, not "191 of 6114" of units the user cannot know.
    CHECK(ProgressPrinter::format("finding how objects are referred to", 191, 6114, seconds(2)) ==
          "heapy: finding how objects are referred to: 3% (2 s)");
    CHECK(ProgressPrinter::format("x", 200, 100, seconds(0)) == "heapy: x: 100% (0 s)");
    // A count of what the step names.
    CHECK(ProgressPrinter::format("objects walked", 7, 0, seconds(1)) ==
          "heapy: objects walked: 7 (1 s)");
    // Work that cannot say how far it is: the seconds still move.
    CHECK(ProgressPrinter::format("computing dominators", 0, 0, seconds(9)) ==
          "heapy: computing dominators (9 s)");
}

TEST_CASE("frontend: progress is shown only on a terminal, after the delay", "[frontend]") {
    using heapy::frontend::ProgressPrinter;
    std::string written;
    auto sink = [&](std::string_view s) { written += s; };
    {
        ProgressPrinter quiet(sink, false, std::chrono::milliseconds(0));
        quiet.update("x", 1, 2);
    }
    CHECK(written.empty());
    {
        ProgressPrinter later(sink, true, std::chrono::hours(1));
        later.update("x", 1, 2);
    }
    CHECK(written.empty());
    {
        ProgressPrinter now(sink, true, std::chrono::milliseconds(0), std::chrono::hours(1));
        now.update("x", 1, 2);
        now.update("x", 2, 2); // within the interval: not redrawn
    }
    CHECK(written == "\rheapy: x: 50% (0 s)\x1b[K\r\x1b[K");
}
