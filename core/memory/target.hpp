#pragma once

#include "core/memory/memory.hpp"
#include "core/memory/symbols.hpp"

#include <memory>
#include <optional>
#include <string>

namespace heapy::memory {

// Everything the analysis needs from a target: its memory and its symbols.
struct Target {
    std::unique_ptr<Memory> memory;
    std::unique_ptr<Symbols> symbols;
    std::string description;        // e.g. "core file core.1234 of /usr/bin/python3.11"
    std::optional<int> pid;         // live process
    std::string executable;         // path of the main executable, as read
    std::vector<std::string> notes; // warnings found while opening (e.g. a missing shared object)
};

// Opens an ELF core file. `executable` overrides the executable named in the core. Throws
// heapy::Error with a one-line message for a missing, unreadable, truncated or non-core file.
Target open_core(const std::string& core_path, const std::optional<std::string>& executable);

// Opens a live process through /proc/PID/mem. The caller keeps the process stopped while the
// Target is used (see ProcessStopper). Throws heapy::Error when the process cannot be read.
Target open_process(int pid);

} // namespace heapy::memory
