#pragma once

#include "core/memory/memory.hpp"

#include <string_view>
#include <vector>

namespace heapy::memory {

// Parses the text of /proc/PID/maps. Pseudo mappings keep their names ("[heap]", "[stack]",
// "[vvar]"); deleted files keep the " (deleted)" suffix. Malformed lines are skipped.
std::vector<Region> parse_proc_maps(std::string_view text);

// Reads /proc/PID/maps. Throws heapy::Error when it cannot.
std::vector<Region> read_proc_maps(int pid);

// The thread ids in /proc/PID/task (empty when the process is gone).
std::vector<int> list_threads(int pid);

// True for kernel pseudo mappings that /proc/PID/mem cannot read ([vvar], [vsyscall], ...).
bool is_unreadable_pseudo_mapping(std::string_view path);

} // namespace heapy::memory
