#pragma once

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

// One analysis session over one target: the command language shared by the CLI, gdb and lldb,
// and the state kept between commands (the analysed heap, the current set, the last partition).
class Session {
  public:
    Session(memory::Target target, FrontEnd frontend = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs one command; `args` are the words after "heapy" (e.g. {"heap", "--by", "type"}).
    CommandResult run(std::span<const std::string> args);

    // Help for every command (empty topic) or for one command.
    static std::string help(std::string_view topic = {});

  private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace heapy::commands
