#pragma once

#include "core/commands/arguments.hpp"
#include "core/commands/session_state.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace heapy::commands {

using Handler = std::string (*)(SessionState& state, const Arguments& args);

// One `heapy ...` command: its words, help and implementation.
struct CommandSpec {
    std::string_view name;
    std::vector<std::string_view> aliases;
    std::string_view summary; // one line; empty for commands hidden from `help`
    std::string_view usage;
    std::string_view details; // options and an example
    std::vector<OptionSpec> options;
    Handler handler = nullptr;
    bool takes_words = false; // positional arguments allowed
    bool needs_target = true; // false: reads only files (front ends run it without a target)
};

const std::vector<CommandSpec>& command_table();
const CommandSpec* find_command(std::string_view name);
// The shown command or alias `name` is most likely a mistyping of (at most two letters changed,
// added, removed or swapped), or "" when none is that close.
std::string_view nearest_command(std::string_view name);

// Handlers, grouped by file.
std::string cmd_heap(SessionState&, const Arguments&); // set_commands.cpp
std::string cmd_by(SessionState&, const Arguments&);
std::string cmd_row(SessionState&, const Arguments&);
std::string cmd_select(SessionState&, const Arguments&);
std::string cmd_iso(SessionState&, const Arguments&);
std::string cmd_referrers(SessionState&, const Arguments&);
std::string cmd_referents(SessionState&, const Arguments&);
std::string cmd_heapu(SessionState&, const Arguments&);
std::string cmd_leaks(SessionState&, const Arguments&);
std::string cmd_more(SessionState&, const Arguments&);
std::string cmd_all(SessionState&, const Arguments&);
std::string cmd_info(SessionState&, const Arguments&); // info_commands.cpp
std::string cmd_objects(SessionState&, const Arguments&);
std::string cmd_wait(SessionState&, const Arguments&);
std::string cmd_setref(SessionState&, const Arguments&); // stat_commands.cpp
std::string cmd_dump(SessionState&, const Arguments&);
std::string cmd_load(SessionState&, const Arguments&);
std::string cmd_diff(SessionState&, const Arguments&);
std::string cmd_dominos(SessionState&, const Arguments&); // retained_commands.cpp
std::string cmd_domisize(SessionState&, const Arguments&);
std::string cmd_top(SessionState&, const Arguments&);
std::string cmd_shpaths(SessionState&, const Arguments&); // path_commands.cpp
std::string cmd_rp(SessionState&, const Arguments&);
std::string cmd_export(SessionState&, const Arguments&); // export_command.cpp
std::string cmd_stacks(SessionState&, const Arguments&); // stacks_command.cpp
std::string cmd_where(SessionState&, const Arguments&); // where_command.cpp
std::string cmd_report(SessionState&, const Arguments&); // report_command.cpp

} // namespace heapy::commands
