#pragma once

#include "core/memory/target.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace heapy::commands {

// setref's reference point: the addresses of the objects there were, sorted, without duplicates.
using ReferencePoint = std::shared_ptr<const std::vector<uint64_t>>;

// Reference points of live processes, kept for the life of this program (the debugger's session),
// apart from any one Session: gdb and lldb drop their Session whenever the process runs (its
// analysis is stale then), and `setref`, `continue`, `heap` must still compare with the objects
// of before. A process is known by its pid, where /proc has it its start time (pids are reused),
// and the target's description. Cores have no key: their reference point lives in their session.
class ReferencePoints {
  public:
    static std::optional<std::string> key_of(const memory::Target& target);
    static ReferencePoint find(const std::string& key);
    static void put(const std::string& key, ReferencePoint point);
    static void erase(const std::string& key);
};

// Whether `target` is a live process (a core that a debugger reads for us has a pid too).
bool is_live_process(const memory::Target& target);

// Whether `address` is in the reference point.
bool contains(const std::vector<uint64_t>& point, uint64_t address);

} // namespace heapy::commands
