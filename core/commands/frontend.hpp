#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace heapy::commands {

// Where the user types commands, as help's examples show them: `(gdb) heapy heap`,
// `(lldb) heapy heap`, or at heapy's own prompt `(heapy) heap`.
enum class Prompt { gdb, lldb, heapy };

// What a front end (CLI, gdb, lldb) gives the command layer besides memory and symbols.
struct FrontEnd {
    // Returns true once the user asked to stop (Ctrl-C). Polled every few thousand objects.
    std::function<bool()> interrupted = [] { return false; };
    // Progress of a long step: `what` names it, `done` of `total` units (total 0 = unknown).
    std::function<void(std::string_view what, uint64_t done, uint64_t total)> progress =
        [](std::string_view, uint64_t, uint64_t) {};
    // What the user types before a command here ("heapy " in a debugger, "" at heapy's own
    // prompt): what the output tells the user to type next names it.
    std::string command_prefix = "heapy ";
    Prompt prompt = Prompt::gdb;
    // The width of the user's terminal (80 when the output is not a terminal): help fits it.
    std::function<size_t()> columns = [] { return size_t(80); };
    // Where a long listing goes as it is made (null: into CommandResult::output). Returns false
    // once it can take no more: the user quit the pager, the reader closed the pipe.
    std::function<bool(std::string_view text)> write;
    // Whether a pager shows what `write` gets: it then gets one line at a time, so that `more`
    // goes on at the first line the user did not see when they quit the pager.
    std::function<bool()> paged = [] { return false; };
};

// Thrown when FrontEnd::write takes no more: the command ends there, quietly.
struct OutputStopped {};

} // namespace heapy::commands
