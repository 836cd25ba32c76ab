// The standalone command's prompt at a terminal: libedit's line editing (arrows, Ctrl-L, ...),
// history kept in a file under the user's state directory, and completion of commands, options
// and their values (core/commands/completion.hpp).
#pragma once

#include "plugin/cli/command_loop.hpp"

#include <filesystem>
#include <string>

namespace heapy::cli {

class LineEditor {
  public:
    using Status = LineReader::Status;

    // Reads and later writes the history at `history` (none when empty).
    explicit LineEditor(std::filesystem::path history);
    ~LineEditor();
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    // Shows `prompt` and reads a line into `line`. `interrupted`: Ctrl-C at the prompt (a signal
    // handler that counts it, installed without SA_RESTART, says so through `interrupted()`).
    Status read(const char* prompt, std::string& line, bool (*interrupted)());

  private:
    std::filesystem::path history_;
};

// Where the history of the prompt is kept: $XDG_STATE_HOME/heapy/history, else
// ~/.local/state/heapy/history; empty when neither is known.
std::filesystem::path history_file();

} // namespace heapy::cli
