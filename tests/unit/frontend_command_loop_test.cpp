// Several commands in one session of the standalone command (plugin/cli/command_loop.hpp): chains
// split at ";" words, lines split like a shell's, the loop's status rules, reading lines from a
// pipe; and the debugger front ends' wording of the engine's advice (plugin/common).
#include "plugin/cli/command_loop.hpp"
#include "plugin/common/frontend_util.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <unistd.h>
#include <vector>

using heapy::cli::Command;
using heapy::cli::LineError;
using heapy::cli::split_commands;
using heapy::cli::split_line;

namespace {
using Commands = std::vector<Command>;

Commands chain(std::vector<std::string> words) {
    return split_commands(words);
}

// A run callback that records the commands and fails those named in `failing` (status 1).
struct Recorder {
    std::vector<std::string> failing;
    Commands ran;
    int operator()(const Command& command) {
        ran.push_back(command);
        for (const auto& f : failing)
            if (!command.empty() && command[0] == f) return 1;
        return 0;
    }
};
} // namespace

TEST_CASE("chain: ';' words separate commands", "[frontend]") {
    CHECK(chain({"heap"}) == Commands{{"heap"}});
    CHECK(chain({"heap", ";", "row", "0", ";", "by", "id"}) ==
          Commands{{"heap"}, {"row", "0"}, {"by", "id"}});
    CHECK(chain({";", "heap", ";", ";", "more", ";"}) == Commands{{"heap"}, {"more"}});
    CHECK(chain({}).empty());
    CHECK(chain({";"}).empty());
    // Only a word that is ";" alone separates: a kind name may hold one.
    CHECK(chain({"select", "a;b"}) == Commands{{"select", "a;b"}});
}

TEST_CASE("chain: runs in order and stops at the first failure", "[frontend]") {
    Recorder r{{"row"}, {}};
    bool quit = true;
    int status =
        heapy::cli::run_chain(chain({"heap", ";", "row", "9", ";", "by", "id"}), std::ref(r), quit);
    CHECK(status == 1);
    CHECK_FALSE(quit);
    CHECK(r.ran == Commands{{"heap"}, {"row", "9"}});

    Recorder ok;
    CHECK(heapy::cli::run_chain(chain({"heap", ";", "by", "id"}), std::ref(ok), quit) == 0);
    CHECK(ok.ran.size() == 2);

    Recorder q;
    CHECK(heapy::cli::run_chain(chain({"heap", ";", "quit", ";", "more"}), std::ref(q), quit) == 0);
    CHECK(quit);
    CHECK(q.ran == Commands{{"heap"}});

    // The status is the failing command's own (130: interrupted).
    auto interrupted = [](const Command&) { return 130; };
    CHECK(heapy::cli::run_chain(chain({"heap", ";", "more"}), interrupted, quit) == 130);
}

TEST_CASE("line: words split as a shell splits them", "[frontend]") {
    CHECK(split_line("heap") == Commands{{"heap"}});
    CHECK(split_line("  heap   --by\ttype  ") == Commands{{"heap", "--by", "type"}});
    CHECK(split_line("select \"dict of __main__.Foo\"") ==
          Commands{{"select", "dict of __main__.Foo"}});
    CHECK(split_line("select 'dict of __main__.Foo' --json") ==
          Commands{{"select", "dict of __main__.Foo", "--json"}});
    CHECK(split_line("select dict\\ of\\ x") == Commands{{"select", "dict of x"}});
    CHECK(split_line(R"(select "a \"b\" \\ \n")") == Commands{{"select", R"(a "b" \ \n)"}});
    CHECK(split_line(R"(select 'a \ "b"')") == Commands{{"select", R"(a \ "b")"}});
    CHECK(split_line("select ab'c d'\"e\"f") == Commands{{"select", "abc def"}});
    CHECK(split_line("dump ''") == Commands{{"dump", ""}});
    CHECK(split_line("load \"/tmp/a b.stat\"\r") == Commands{{"load", "/tmp/a b.stat"}});
}

TEST_CASE("line: ';' separates commands, '#' starts a comment", "[frontend]") {
    CHECK(split_line("heap; row 0 ;by id") == Commands{{"heap"}, {"row", "0"}, {"by", "id"}});
    CHECK(split_line("select 'a;b'; more") == Commands{{"select", "a;b"}, {"more"}});
    CHECK(split_line("select a\\;b") == Commands{{"select", "a;b"}});
    CHECK(split_line(";; heap ;") == Commands{{"heap"}});
    CHECK(split_line("").empty());
    CHECK(split_line("   ").empty());
    CHECK(split_line("# triage of the nightly cores").empty());
    CHECK(split_line("heap --by type  # by type") == Commands{{"heap", "--by", "type"}});
    CHECK(split_line("select a#b") == Commands{{"select", "a#b"}});
    CHECK(split_line("select '#a'") == Commands{{"select", "#a"}});
}

TEST_CASE("line: unterminated quotes are errors", "[frontend]") {
    CHECK_THROWS_AS(split_line("select \"dict of"), LineError);
    CHECK_THROWS_AS(split_line("select 'dict of"), LineError);
    CHECK_THROWS_AS(split_line("select dict\\"), LineError);
    CHECK_THROWS_WITH(split_line("select \"x"), Catch::Contains("unterminated \" quote"));
}

TEST_CASE("loop: errors do not stop it; the status is the last command's", "[frontend]") {
    Recorder r{{"row", "diff"}, {}};
    std::vector<std::string> errors;
    heapy::cli::CommandLoop loop(std::ref(r), [&](size_t line, std::string_view message) {
        errors.push_back(std::to_string(line) + ": " + std::string(message));
    });
    CHECK(loop.feed("heap"));
    CHECK(loop.status() == 0);
    CHECK(loop.feed("row 99"));
    CHECK(loop.status() == 1);
    CHECK(loop.feed(""));       // an empty line runs nothing...
    CHECK(loop.status() == 1);  // ...and leaves the status as it was
    CHECK(loop.feed("# note")); // so does a comment
    CHECK(loop.status() == 1);
    CHECK(loop.feed("more"));
    CHECK(loop.status() == 0);
    CHECK(loop.feed("select \"oops"));
    CHECK(loop.status() == 2);
    CHECK(errors == std::vector<std::string>{"6: unterminated \" quote"});
    CHECK(loop.feed("heap; diff a.stat")); // both run: ';' on a line does not stop at a failure
    CHECK(loop.status() == 1);
    CHECK(loop.line_number() == 7);
    CHECK(r.ran == Commands{{"heap"}, {"row", "99"}, {"more"}, {"heap"}, {"diff", "a.stat"}});
}

TEST_CASE("loop: OnFailure::stop ends it at the first failing command", "[frontend]") {
    Recorder r{{"row"}, {}};
    std::vector<std::string> errors;
    heapy::cli::CommandLoop loop(
        std::ref(r),
        [&](size_t line, std::string_view message) {
            errors.push_back(std::to_string(line) + ": " + std::string(message));
        },
        0, heapy::cli::OnFailure::stop);
    CHECK(loop.feed("heap"));
    CHECK_FALSE(loop.feed("row 99; more")); // the rest of the line does not run either
    CHECK(loop.status() == 1);
    CHECK(r.ran == Commands{{"heap"}, {"row", "99"}});

    heapy::cli::CommandLoop unsplittable(
        std::ref(r), [](size_t, std::string_view) {}, 0, heapy::cli::OnFailure::stop);
    CHECK_FALSE(unsplittable.feed("select \"oops"));
    CHECK(unsplittable.status() == 2);
}

TEST_CASE("loop: a line may start with 'heapy', as in a debugger", "[frontend]") {
    Recorder r;
    heapy::cli::CommandLoop loop(std::ref(r), [](size_t, std::string_view) {});
    CHECK(loop.feed("heapy heap --by type; heapy row 0"));
    CHECK(r.ran == Commands{{"heap", "--by", "type"}, {"row", "0"}});
}

TEST_CASE("loop: quit and exit end it", "[frontend]") {
    Recorder r{{"row"}, {}};
    heapy::cli::CommandLoop loop(std::ref(r), [](size_t, std::string_view) {});
    CHECK(loop.feed("row 1"));
    CHECK_FALSE(loop.feed("  quit  "));
    CHECK(loop.status() == 1); // quit keeps the status of the last command
    heapy::cli::CommandLoop second(std::ref(r), [](size_t, std::string_view) {});
    CHECK_FALSE(second.feed("heap; exit; more"));
    CHECK(r.ran.back() == Command{"heap"});
    // With arguments they are commands like any other (the session rejects them).
    heapy::cli::CommandLoop third(std::ref(r), [](size_t, std::string_view) {});
    CHECK(third.feed("quit now"));
    CHECK(r.ran.back() == Command{"quit", "now"});
}

TEST_CASE("loop: the status given carries on until a command runs", "[frontend]") {
    Recorder r;
    heapy::cli::CommandLoop loop(
        std::ref(r), [](size_t, std::string_view) {}, 3);
    CHECK(loop.status() == 3);
    CHECK(loop.feed(""));
    CHECK(loop.status() == 3);
    CHECK(loop.feed("heap"));
    CHECK(loop.status() == 0);
}

TEST_CASE("reader: lines from a pipe, the last one without a newline", "[frontend]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string input = "heap\n\nrow 0\r\nby id";
    REQUIRE(::write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    ::close(fds[1]);
    heapy::cli::LineReader reader(fds[0]);
    std::vector<std::string> lines;
    std::string line;
    using Status = heapy::cli::LineReader::Status;
    Status status;
    while ((status = reader.next(line)) == Status::line) lines.push_back(line);
    CHECK(status == Status::end);
    CHECK(reader.next(line) == Status::end);
    ::close(fds[0]);
    CHECK(lines == std::vector<std::string>{"heap", "", "row 0\r", "by id"});
    CHECK(split_line(lines[2]) == Commands{{"row", "0"}});
}

namespace {
extern "C" void ignore_signal(int) {}
} // namespace

TEST_CASE("reader: a signal while waiting is told apart from the end", "[frontend]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    struct sigaction sa {
    }, old{};
    sa.sa_handler = ignore_signal; // no SA_RESTART: read(2) returns EINTR
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
    ::alarm(1);
    heapy::cli::LineReader reader(fds[0]);
    std::string line;
    CHECK(reader.next(line) == heapy::cli::LineReader::Status::interrupted);
    sigaction(SIGALRM, &old, nullptr);
    // Reading goes on afterwards.
    REQUIRE(::write(fds[1], "more\n", 5) == 5);
    CHECK(reader.next(line) == heapy::cli::LineReader::Status::line);
    CHECK(line == "more");
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("debuggers: --allow-truncated is taken out of the command", "[frontend]") {
    using heapy::frontend::take_flag;
    std::vector<std::string> args{"heap", "--allow-truncated", "--by", "type"};
    CHECK(take_flag(args, "--allow-truncated"));
    CHECK(args == std::vector<std::string>{"heap", "--by", "type"});
    CHECK_FALSE(take_flag(args, "--allow-truncated"));
    CHECK(args.size() == 3);
}

TEST_CASE("debuggers: advice to add a CLI option says what to do in the debugger", "[frontend]") {
    using heapy::frontend::Debugger;
    using heapy::frontend::debugger_advice;
    // The engine's messages (core/memory/open_core.cpp, core/cpython/runtime.cpp).
    const std::vector<std::string> messages = {
        "core file /c is truncated (1 MiB of 2 MiB present); pass --allow-truncated to analyse "
        "what is there",
        "/bin/ls is not an ELF core file (it is an executable); pass a core dump, and the "
        "executable with --exe",
        "executable /e does not match core /c (build id differs); pass the executable the core "
        "was made from with --exe",
        "executable /e named in core /c does not match it (x), probably rebuilt or upgraded "
        "since; pass the original with --exe",
        "cannot use executable /e: no such file; give --exe the executable the core was made from",
        "executable /e named in the core cannot be read (gone); pass it with --exe",
        "no Python interpreter in this process: no loaded file exports _PyRuntime (check that "
        "the process runs CPython and that --exe names its executable)",
        "found Python but not _PyRuntime (no symbol, no .PyRuntime section): check that --exe "
        "names the executable the process ran, with its libpython next to it",
        "some future message naming --exe",
    };
    for (const auto& m : messages) {
        INFO(m);
        std::string gdb = debugger_advice(m, Debugger::gdb);
        std::string lldb = debugger_advice(m, Debugger::lldb);
        CHECK(gdb.find("--exe") == std::string::npos);
        CHECK(lldb.find("--exe") == std::string::npos);
        if (m.find("--exe") != std::string::npos) {
            CHECK(gdb.find("`file EXE`") != std::string::npos);
            CHECK(lldb.find("`target create EXE --core CORE`") != std::string::npos);
        }
    }
    CHECK(debugger_advice(messages[0], Debugger::gdb) ==
          "core file /c is truncated (1 MiB of 2 MiB present); add --allow-truncated to the "
          "command to analyse what is there (`heapy heap --allow-truncated`)");
    CHECK(debugger_advice(messages[2], Debugger::gdb) ==
          "executable /e does not match core /c (build id differs); load the executable the core "
          "was made from with `file EXE`");
    CHECK(debugger_advice(messages[3], Debugger::lldb) ==
          "executable /e named in core /c does not match it (x), probably rebuilt or upgraded "
          "since; load the original with `target create EXE --core CORE`");
    CHECK(debugger_advice(messages[6], Debugger::gdb) ==
          "no Python interpreter in this process: no loaded file exports _PyRuntime (check that "
          "the process runs CPython and that gdb loaded its executable (`file EXE`))");
    CHECK(debugger_advice("no target: load a core file", Debugger::lldb) ==
          "no target: load a core file");
    const std::string elsewhere =
        "no Python interpreter in this process: x; 1 file the core names is not here (e.g. /a): "
        "for a core from a container or another machine, pass --sysroot DIR, the directory its "
        "files are under";
    CHECK_THAT(debugger_advice(elsewhere, Debugger::gdb),
               Catch::EndsWith("`set sysroot DIR`, then `core-file CORE` again)"));
    CHECK_THAT(debugger_advice(elsewhere, Debugger::lldb),
               Catch::Contains("`platform select remote-linux --sysroot DIR`"));
    CHECK(debugger_advice(elsewhere, Debugger::lldb).find("pass --sysroot") == std::string::npos);
}

TEST_CASE("debuggers: notes in a command's output get the same advice", "[frontend]") {
    using heapy::frontend::Debugger;
    using heapy::frontend::debugger_advice_in_notes;
    std::string out = "Reachable heap: 5 objects, 100 bytes\n"
                      "Note: executable /e named in the core cannot be read (gone); pass it with "
                      "--exe\n"
                      "a line about --exe that is not a note\n";
    CHECK(debugger_advice_in_notes(out, Debugger::gdb) ==
          "Reachable heap: 5 objects, 100 bytes\n"
          "Note: executable /e named in the core cannot be read (gone); load it with `file EXE`\n"
          "a line about --exe that is not a note\n");
    CHECK(debugger_advice_in_notes("{\"count\": 1}\n", Debugger::lldb) == "{\"count\": 1}\n");
}
