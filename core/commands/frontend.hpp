#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace heapy::commands {

// What a front end (CLI, gdb, lldb) gives the command layer besides memory and symbols.
struct FrontEnd {
    // Returns true once the user asked to stop (Ctrl-C). Polled every few thousand objects.
    std::function<bool()> interrupted = [] { return false; };
    // Progress of a long step: `what` names it, `done` of `total` units (total 0 = unknown).
    std::function<void(std::string_view what, uint64_t done, uint64_t total)> progress =
        [](std::string_view, uint64_t, uint64_t) {};
    // What the user types here for the next page of a listing: table footers name it.
    std::string more_command = "heapy more";
};

} // namespace heapy::commands
