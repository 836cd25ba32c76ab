// Command-line parsing for the standalone `heapy` command. Header-only so that the unit tests can
// check it (tests/unit/frontend_cli_args.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::cli {

inline constexpr std::string_view usage =
    "usage: heapy TARGET COMMAND [ARGS...] [\\; COMMAND [ARGS...]]...\n"
    "       heapy TARGET [--script FILE] [-i]\n"
    "       heapy help [COMMAND]      heapy --version\n"
    "TARGET is --core FILE [--exe FILE] [--sysroot DIR] [--allow-truncated], or --pid PID.\n"
    "A core may be compressed (zstd, xz, lz4, gzip). --sysroot DIR: the files the core names\n"
    "are looked up under DIR first (a core from a container or another machine).\n"
    "--assume-layout 3.14: read a CPython newer than heapy knows with 3.14's layout, corrected\n"
    "by the target's own _Py_DebugOffsets (heapy says when they pass its checks).\n"
    "\n"
    "All the commands of one run share a session: later ones see the current set and the last\n"
    "table of earlier ones (e.g. 'row 0' after 'heap'). A process (--pid) stays stopped until\n"
    "the session ends.\n"
    "  \\;             (a ';' word) separates commands; the first that fails stops the rest and\n"
    "                 gives the exit status\n"
    "  --script FILE  runs the commands in FILE, one line after another; the first that fails\n"
    "                 stops the script and gives the exit status\n"
    "  --keep-going   a failing line of the script does not stop it: the exit status is the\n"
    "                 last command's\n"
    "  -i             then reads commands from standard input, a line at a time (also when no\n"
    "                 COMMAND and no --script is given); a prompt '(heapy) ' on a terminal;\n"
    "                 'quit', 'exit' or the end of the input leaves; at a terminal, with line\n"
    "                 editing, Tab completion and a history kept in\n"
    "                 ~/.local/state/heapy/history ($XDG_STATE_HOME/heapy/history)\n"
    "In lines, words are quoted as in a shell, ';' separates commands and '#' starts a comment;\n"
    "read from standard input, a failing command prints its error and the next one runs; the\n"
    "exit status is the last command's. Each command given --json prints one line of JSON.\n"
    "\n"
    "Examples:\n"
    "  heapy --core core.1234 heap\n"
    "  heapy --core core.1234 heap \\; row 0 \\; by via\n"
    "  heapy --core core.1234 heap --json \\; select \"dict of __main__.Foo\" --json\n"
    "  heapy --pid 1234\n"
    "  printf 'heap\\nrow 0\\nreferrers\\n' | heapy --core core.1234\n"
    "  heapy --core core.1234 --script triage.heapy\n";

// What the command line asked for. `command` holds every word that is not one of the global
// options below, in order and unchanged: it goes to Session::run as it is.
struct Options {
    std::optional<std::string> core;
    std::optional<std::string> exe;
    std::optional<std::string> sysroot;
    std::optional<std::string> assume_layout;
    std::optional<int> pid;
    bool allow_truncated = false;
    bool interactive = false;          // -i: read commands from stdin (after `command`, `script`)
    std::optional<std::string> script; // --script FILE: run the commands in FILE
    bool keep_going = false;           // --keep-going: a failing line does not stop the script
    bool help = false;
    bool version = false;
    std::vector<std::string> command;
};

// A mistake in the command line; the message is one line, without the "heapy: " prefix.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Global options may come before, between or after the command words:
//   --core FILE, --exe FILE, --sysroot DIR, --pid PID, --script FILE (also --core=FILE ...),
//   --allow-truncated, --keep-going,
//   -i/--interactive, --help/-h, --version. A bare "--" ends them: every later word is a command
//   word, even "--pid". The command words may hold several commands separated by ";" words
//   (split_commands in plugin/cli/command_loop.hpp).
inline Options parse_args(std::span<const std::string> args) {
    Options o;
    auto value_of = [&](size_t& i, std::string_view name,
                        std::string_view word) -> std::optional<std::string> {
        // "--name=VALUE" or "--name VALUE"; nullopt when `word` is not this option.
        if (word == name) {
            if (i + 1 >= args.size())
                throw UsageError(std::string(name) + " needs a value" +
                                 (name == "--pid"             ? " (a process id)"
                                  : name == "--sysroot"       ? " (a directory)"
                                  : name == "--assume-layout" ? " (a version, e.g. 3.14)"
                                                              : " (a file name)"));
            return args[++i];
        }
        if (word.size() > name.size() && word.substr(0, name.size()) == name &&
            word[name.size()] == '=')
            return std::string(word.substr(name.size() + 1));
        return std::nullopt;
    };
    auto set_once = [](std::optional<std::string>& slot, std::string_view name, std::string v) {
        if (slot) throw UsageError(std::string(name) + " given twice");
        if (v.empty()) throw UsageError(std::string(name) + " needs a non-empty value");
        slot = std::move(v);
    };
    std::optional<std::string> pid_text;
    bool options_done = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (options_done) {
            o.command.push_back(word);
            continue;
        }
        if (word == "--") {
            options_done = true;
        } else if (auto v = value_of(i, "--core", word)) {
            set_once(o.core, "--core", std::move(*v));
        } else if (auto v = value_of(i, "--exe", word)) {
            set_once(o.exe, "--exe", std::move(*v));
        } else if (auto v = value_of(i, "--sysroot", word)) {
            set_once(o.sysroot, "--sysroot", std::move(*v));
        } else if (auto v = value_of(i, "--assume-layout", word)) {
            set_once(o.assume_layout, "--assume-layout", std::move(*v));
        } else if (auto v = value_of(i, "--pid", word)) {
            set_once(pid_text, "--pid", std::move(*v));
        } else if (auto v = value_of(i, "--script", word)) {
            set_once(o.script, "--script", std::move(*v));
        } else if (word == "--allow-truncated") {
            o.allow_truncated = true;
        } else if (word == "--keep-going") {
            o.keep_going = true;
        } else if (word == "-i" || word == "--interactive") {
            o.interactive = true;
        } else if (word == "--help" || word == "-h") {
            o.help = true;
        } else if (word == "--version") {
            o.version = true;
        } else {
            o.command.push_back(word);
        }
    }
    if (pid_text) {
        int64_t pid = 0;
        for (char c : *pid_text) {
            if (c < '0' || c > '9' || pid > 0x7fffffff)
                throw UsageError("--pid needs a process id (a positive number), not '" + *pid_text +
                                 "'");
            pid = pid * 10 + (c - '0');
        }
        if (pid <= 0 || pid > 0x7fffffff)
            throw UsageError("--pid needs a process id (a positive number), not '" + *pid_text +
                             "'");
        o.pid = static_cast<int>(pid);
    }
    if (o.core && o.pid) throw UsageError("give either --core or --pid, not both");
    if (o.exe && !o.core) throw UsageError("--exe goes with --core (the executable of the core)");
    if (o.sysroot && !o.core)
        throw UsageError("--sysroot goes with --core (where the files the core names are now)");
    if (o.keep_going && !o.script)
        throw UsageError("--keep-going goes with --script (a failing line does not stop it)");
    if (o.script && !o.command.empty())
        throw UsageError("give commands either on the command line or with --script, not both");
    return o;
}

} // namespace heapy::cli
