#pragma once

#include "core/commands/arguments.hpp"
#include "core/commands/frontend.hpp"
#include "core/memory/target.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace heapy::commands {

// The result of one `heapy ...` command.
struct CommandResult {
    int status = 0;     // 0 on success; non-zero when the command failed
    std::string output; // what to print on stdout (ends with a newline when not empty)
    std::string error;  // one-line message for stderr when status != 0
};

// One command of the language, as a front end registers it (gdb and lldb: `heapy NAME`).
struct CommandInfo {
    std::string name;                 // e.g. "shpaths"
    std::vector<std::string> aliases; // other names that run it, e.g. {"sp"}
    std::string summary;              // one line; empty for hidden commands
    std::string usage;                // e.g. "heapy shpaths [ADDR] [--limit N] [--all] [--json]"
    bool hidden = false;              // left out of help("") (tools for heapy's own tests)
    bool needs_target = true;         // false: runs without a target (`load` reads a file)
    std::vector<OptionSpec> options;  // what it accepts besides --progress and --no-progress
};

// One analysis session over one target: the command language shared by the CLI, gdb and lldb,
// and the state kept between commands (the analysed heap, the current set, the last partition).
class Session {
  public:
    Session(memory::Target target, FrontEnd frontend = {});
    // The target of a session for the commands that need none (CommandInfo::needs_target).
    static memory::Target no_target();
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs one command; `args` are the words after "heapy" (e.g. {"heap", "--by", "type"}).
    CommandResult run(std::span<const std::string> args);

    // Help for every command (empty topic) or for one command (a name or an alias): its
    // summary, usage, options and an example typed at `prompt`; fitted to `width` columns.
    static std::string help(std::string_view topic = {}, Prompt prompt = Prompt::gdb,
                            size_t width = 80);

    // Every command, hidden ones included, in the order help("") lists them. Front ends register
    // their commands from this (`help` itself is not in it: run() answers it).
    static std::vector<CommandInfo> commands();

  private:
    static std::string help_text(std::string_view topic, Prompt prompt);

    struct State;
    std::unique_ptr<State> state_;
};

} // namespace heapy::commands
