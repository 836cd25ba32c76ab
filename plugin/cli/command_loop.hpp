// Several commands in one session of the standalone `heapy` command: chains on the command line
// (`heapy --core C heap \; row 0`), and lines read from standard input (-i) or a file (--script).
// Header-only so that the unit tests can check it (tests/unit/frontend_command_loop_test.cpp).
#pragma once

#include <cerrno>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace heapy::cli {

using Command = std::vector<std::string>;

// Splits command words at every ";" word: {"heap", ";", "row", "0"} -> {{"heap"}, {"row", "0"}}.
// Empty commands (";" first, last or twice in a row) are dropped.
inline std::vector<Command> split_commands(std::span<const std::string> words) {
    std::vector<Command> commands(1);
    for (const std::string& word : words) {
        if (word == ";")
            commands.emplace_back();
        else
            commands.back().push_back(word);
    }
    std::erase_if(commands, [](const Command& c) { return c.empty(); });
    return commands;
}

// A line that cannot be split (an unterminated quote); the message has no "heapy: " prefix.
class LineError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Splits one line into commands the way a POSIX shell splits words: blanks separate words;
// '...' keeps everything literally; "..." keeps everything but \" and \\ (and \$, \`), which lose
// their backslash; outside quotes a backslash keeps the next character; an unquoted ';' ends a
// command; an unquoted '#' at the start of a word starts a comment. `select "dict of
// __main__.Foo"` gives {"select", "dict of __main__.Foo"}; `heap; row 0` gives two commands.
// Throws LineError for an unterminated quote or a backslash at the end.
inline std::vector<Command> split_line(std::string_view line) {
    std::vector<Command> commands(1);
    std::string word;
    bool in_word = false; // a word has started (it may be empty: "")
    auto end_word = [&] {
        if (in_word) commands.back().push_back(std::move(word));
        word.clear();
        in_word = false;
    };
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            end_word();
        } else if (c == ';') {
            end_word();
            commands.emplace_back();
        } else if (c == '#' && !in_word) {
            break;
        } else if (c == '\\') {
            if (i + 1 >= line.size())
                throw LineError("a backslash at the end of the line (a line cannot go on to the "
                                "next one)");
            word += line[++i];
            in_word = true;
        } else if (c == '\'') {
            size_t close = line.find('\'', i + 1);
            if (close == std::string_view::npos) throw LineError("unterminated ' quote");
            word.append(line.substr(i + 1, close - i - 1));
            i = close;
            in_word = true;
        } else if (c == '"') {
            in_word = true;
            bool closed = false;
            for (++i; i < line.size(); ++i) {
                char q = line[i];
                if (q == '"') {
                    closed = true;
                    break;
                }
                if (q == '\\' && i + 1 < line.size()) {
                    char next = line[i + 1];
                    if (next == '"' || next == '\\' || next == '$' || next == '`') {
                        word += next;
                        ++i;
                        continue;
                    }
                }
                word += q;
            }
            if (!closed) throw LineError("unterminated \" quote");
        } else {
            word += c;
            in_word = true;
        }
    }
    end_word();
    std::erase_if(commands, [](const Command& c) { return c.empty(); });
    return commands;
}

// `quit` or `exit` (with no arguments) ends a session read from lines.
inline bool is_quit(const Command& command) {
    return command.size() == 1 && (command[0] == "quit" || command[0] == "exit");
}

// Runs `commands` in order until one fails; returns the status of the failed one, or 0. A `quit`
// or `exit` among them ends the chain there and sets `quit`.
inline int run_chain(const std::vector<Command>& commands,
                     const std::function<int(const Command&)>& run, bool& quit) {
    quit = false;
    for (const Command& command : commands) {
        if (is_quit(command)) {
            quit = true;
            return 0;
        }
        if (int status = run(command); status != 0) return status;
    }
    return 0;
}

// What a loop does after a command failed: run the next one (a terminal, a pipe, a script with
// --keep-going) or stop there (a script).
enum class OnFailure { go_on, stop };

// Runs lines of commands (from a terminal, a pipe or a script), one after another: a command that
// fails reports its error (through `run`); the next one runs, or with OnFailure::stop none does.
// The status is that of the last command run (a line that cannot be split counts as a failed
// command, status 2), or `status` as given when no command ran.
class CommandLoop {
  public:
    using Run = std::function<int(const Command&)>;
    // `error(line_number, message)` reports a line that cannot be split.
    using Error = std::function<void(size_t line_number, std::string_view message)>;

    CommandLoop(Run run, Error error, int status = 0, OnFailure on_failure = OnFailure::go_on)
        : run_(std::move(run)), error_(std::move(error)), status_(status), on_failure_(on_failure) {
    }

    // Runs the commands of one line; returns false once `quit` or `exit` was read, or with
    // OnFailure::stop once a command failed.
    bool feed(std::string_view line) {
        ++line_number_;
        std::vector<Command> commands;
        try {
            commands = split_line(line);
        } catch (const LineError& e) {
            error_(line_number_, e.what());
            status_ = 2;
            return on_failure_ == OnFailure::go_on;
        }
        for (Command& command : commands) {
            if (is_quit(command)) return false;
            // A line copied from a debugger session, or typed out of habit.
            if (command.size() > 1 && command[0] == "heapy") command.erase(command.begin());
            status_ = run_(command);
            if (status_ != 0 && on_failure_ == OnFailure::stop) return false;
        }
        return true;
    }

    int status() const { return status_; }
    size_t line_number() const { return line_number_; }

  private:
    Run run_;
    Error error_;
    int status_;
    OnFailure on_failure_;
    size_t line_number_ = 0;
};

// Reads lines from a file descriptor with read(2), so that Ctrl-C at a prompt (EINTR, the
// SIGINT handler being installed without SA_RESTART) can be told apart from the end of input.
class LineReader {
  public:
    enum class Status { line, end, interrupted, failed };

    explicit LineReader(int fd) : fd_(fd) {}

    // The next line, without its '\n'. The last line needs no '\n'. `interrupted`: a signal came
    // while waiting (on a terminal, the line being typed is gone: the terminal dropped it).
    Status next(std::string& line) {
        for (;;) {
            if (size_t eol = buffer_.find('\n', scanned_); eol != std::string::npos) {
                line.assign(buffer_, 0, eol);
                buffer_.erase(0, eol + 1);
                scanned_ = 0;
                return Status::line;
            }
            scanned_ = buffer_.size();
            if (at_end_) {
                if (buffer_.empty()) return Status::end;
                line = std::move(buffer_);
                buffer_.clear();
                scanned_ = 0;
                return Status::line;
            }
            char chunk[4096];
            ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n > 0) {
                buffer_.append(chunk, static_cast<size_t>(n));
            } else if (n == 0) {
                at_end_ = true;
            } else if (errno == EINTR) {
                return Status::interrupted;
            } else {
                return Status::failed;
            }
        }
    }

  private:
    int fd_;
    std::string buffer_;
    size_t scanned_ = 0; // buffer_[0, scanned_) holds no '\n'
    bool at_end_ = false;
};

} // namespace heapy::cli
