// The standalone `heapy` command: opens a core file or a live process by itself and runs commands
// of the shared command language (core/commands) on it, in one session: one command, a chain of
// them (`heap \; row 0`), a script (--script FILE) or lines read from standard input (-i).
#include "core/commands/help_wrap.hpp"
#include "core/commands/session.hpp"
#include "core/errors.hpp"
#include "core/memory/process_stopper.hpp"
#include "core/memory/target.hpp"
#include "plugin/cli/args.hpp"
#include "plugin/cli/command_loop.hpp"
#include "plugin/cli/line_editor.hpp"
#include "plugin/common/frontend_util.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vector>

namespace {

std::atomic<int> g_interrupts{0};

// First Ctrl-C: ask the running command to stop (it polls FrontEnd::interrupted). Second: leave at
// once; the kernel detaches from a process we hold stopped, so it is never left behind.
extern "C" void on_interrupt(int) {
    if (g_interrupts.fetch_add(1) > 0) {
        static const char msg[] = "\nheapy: interrupted\n";
        ssize_t n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)n;
        _exit(130);
    }
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    // Output is written after the target is released, but a closed pipe must not kill us.
    signal(SIGPIPE, SIG_IGN);
}

void print_error(const std::string& message) {
    std::fprintf(stderr, "%s\n", heapy::frontend::error_line(message).c_str());
}

// The width of the terminal standard output goes to; 80 when it is not one.
size_t output_columns() {
    struct winsize size {};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col)
        return size.ws_col;
    return 80;
}

bool needs_target(std::string_view command) {
    for (const auto& info : heapy::commands::Session::commands())
        if (info.name == command || std::ranges::count(info.aliases, command))
            return info.needs_target;
    return true;
}

int usage_error(const std::string& message) {
    print_error(message);
    std::fputs("Try 'heapy --help'.\n", stderr);
    return 2;
}

bool write_stdout(std::string_view text) {
    if (text.empty()) return true;
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
           std::fflush(stdout) == 0;
}

// Standard output closed while a session reads commands: nothing more can be shown.
struct OutputClosed {};

// The exit status when standard output can take no more. A reader that closed the pipe (`heapy
// ... | head`) ends us quietly, with the status of a Unix tool killed by SIGPIPE.
int output_failed(int error) {
    if (error == EPIPE) return 128 + SIGPIPE;
    print_error(std::string("cannot write the output: ") + std::strerror(error));
    return 1;
}

// Where the results of the commands go. A chain (commands on the command line) on a live process
// is buffered and written once the target is released, so that the process is resumed before any
// output is written (a reader that stops reading must not keep it stopped); otherwise each result
// is written at once, a long listing as it is made.
class Output {
  public:
    explicit Output(bool buffered) : buffered_(buffered) {}

    bool buffered() const { return buffered_; }
    // Writes part of a result as it is made; false once standard output is closed.
    bool stream(std::string_view text) {
        if (!closed_ && !write_stdout(text)) close();
        return !closed_;
    }
    bool closed() const { return closed_; }
    // The errno of the write that failed.
    int failure() const { return failure_; }

    void out(std::string text) {
        if (text.empty()) return;
        if (buffered_) {
            pending_.push_back({false, std::move(text)});
        } else if (!write_stdout(text)) {
            close();
            throw OutputClosed{};
        }
    }
    void error(const std::string& message) {
        if (buffered_) {
            pending_.push_back({true, message});
        } else {
            std::fflush(stdout);
            print_error(message);
        }
    }
    // Writes what was buffered, in order; false when standard output is closed.
    bool flush() {
        for (const auto& [is_error, text] : pending_) {
            if (is_error)
                print_error(text);
            else if (!write_stdout(text)) {
                close();
                return false;
            }
        }
        pending_.clear();
        return true;
    }

  private:
    struct Pending {
        bool is_error;
        std::string text;
    };
    void close() {
        closed_ = true;
        failure_ = errno;
    }

    bool buffered_;
    bool closed_ = false;
    int failure_ = 0;
    std::vector<Pending> pending_;
};

// The exit status for a command's status (the shell's range; 130: interrupted).
int exit_status(int status) {
    if (status == 0 || status == 130) return status;
    return status > 0 && status < 126 ? status : 1;
}

// The lines of a script file; throws heapy::Error when it cannot be read.
std::vector<std::string> read_script(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw heapy::Error("cannot read script " + path + ": " + std::strerror(errno));
    heapy::cli::LineReader reader(fd);
    std::vector<std::string> lines;
    std::string line;
    heapy::cli::LineReader::Status status;
    while ((status = reader.next(line)) != heapy::cli::LineReader::Status::end) {
        if (status == heapy::cli::LineReader::Status::line) {
            lines.push_back(std::move(line));
        } else if (status == heapy::cli::LineReader::Status::failed) {
            int e = errno;
            ::close(fd);
            throw heapy::Error("cannot read script " + path + ": " + std::strerror(e));
        }
    }
    ::close(fd);
    return lines;
}

// What one run of `heapy` does: a chain of commands from the command line, then the lines of a
// script, then lines from standard input (each part optional).
struct Plan {
    std::vector<heapy::cli::Command> chain;
    std::optional<std::string> script_path;
    std::vector<std::string> script;
    bool interactive = false;
};

int run(const heapy::cli::Options& o, const Plan& plan) {
    using namespace heapy;
    const bool stdin_tty = ::isatty(STDIN_FILENO) != 0;
    heapy::frontend::ProgressPrinter progress(
        [](std::string_view s) {
            std::fwrite(s.data(), 1, s.size(), stderr);
            std::fflush(stderr);
        },
        ::isatty(STDERR_FILENO) != 0);
    const bool reads_lines = plan.interactive || plan.script_path;
    Output output(!reads_lines && o.pid);

    int status = 0;
    {
        // Everything that holds the target lives in this scope: a live process is resumed
        // before any buffered output is written.
        std::optional<memory::ProcessStopper> stopper;
        memory::Target target;
        if (o.core) {
            memory::CoreOptions options{.executable = o.exe,
                                        .sysroot = o.sysroot.value_or(""),
                                        .allow_truncated = o.allow_truncated};
            options.decompress_progress = [&progress](uint64_t read, uint64_t total, uint64_t) {
                if (g_interrupts.load() > 0) throw Interrupted(); // Ctrl-C stops it too
                progress.update("decompressing the core", read, total);
            };
            target = memory::open_core(*o.core, options);
            progress.restart();
        } else if (!o.pid) {
            target = commands::Session::no_target();
        } else {
            stopper.emplace(*o.pid); // every thread stays stopped until the end of this scope
            target = memory::open_process(*o.pid);
        }
        target.assume_layout = o.assume_layout.value_or("");
        commands::FrontEnd fe;
        fe.interrupted = [] { return g_interrupts.load() > 0; };
        fe.command_prefix = ""; // in a chain, a script and at the prompt alike
        fe.prompt = commands::Prompt::heapy;
        fe.columns = output_columns;
        if (!output.buffered())
            fe.write = [&output](std::string_view text) { return output.stream(text); };
        fe.progress = [&progress](std::string_view what, uint64_t done, uint64_t total) {
            progress.update(what, done, total);
        };
        commands::Session session(std::move(target), std::move(fe));

        // "FILE:LINE: " before the errors of a script and of piped input; nothing in a chain or
        // at a terminal, where the command in error is plain to see.
        std::string source;
        const heapy::cli::CommandLoop* loop = nullptr;
        auto where = [&] {
            return loop && !source.empty()
                       ? source + ":" + std::to_string(loop->line_number()) + ": "
                       : std::string();
        };
        auto run_one = [&](const heapy::cli::Command& command) {
            progress.restart();
            // A Ctrl-C while the target was opened stops the first command.
            commands::CommandResult r = session.run(command);
            g_interrupts = 0;
            progress.finish();
            if (output.closed()) throw OutputClosed{};
            if (r.status == 0 && loop && source.empty() && command.size() == 1 &&
                command[0] == "help")
                r.output += "Type 'quit' or 'exit' (or end the input) to leave.\n";
            output.out(std::move(r.output));
            if (r.status != 0)
                output.error(where() + (r.error.empty() ? "the command failed" : r.error));
            return exit_status(r.status);
        };
        auto line_error = [&](size_t, std::string_view message) {
            output.error(where() + std::string(message));
        };

        try {
            bool quit = false;
            status = heapy::cli::run_chain(plan.chain, run_one, quit);
            if (plan.script_path && !quit) {
                heapy::cli::CommandLoop script(run_one, line_error, status,
                                               o.keep_going ? heapy::cli::OnFailure::go_on
                                                            : heapy::cli::OnFailure::stop);
                source = *plan.script_path;
                loop = &script;
                for (const std::string& line : plan.script) {
                    quit = !script.feed(line);
                    if (quit || script.status() == 130) break; // Ctrl-C stops a script
                }
                status = script.status();
                quit = quit || status == 130;
            }
            if (plan.interactive && !quit) {
                heapy::cli::CommandLoop lines(run_one, line_error, status);
                source = stdin_tty ? "" : "<stdin>";
                loop = &lines;
                heapy::cli::LineReader reader(STDIN_FILENO);
                std::optional<heapy::cli::LineEditor> editor;
                if (stdin_tty) editor.emplace(heapy::cli::history_file());
                std::string line;
                std::optional<int> read_status; // when reading fails or is interrupted
                for (;;) {
                    std::fflush(stdout);
                    g_interrupts = 0;
                    auto got = editor ? editor->read("(heapy) ", line,
                                                     [] { return g_interrupts.load() > 0; })
                                      : reader.next(line);
                    if (got == heapy::cli::LineReader::Status::line) {
                        if (!lines.feed(line)) break;
                        // Ctrl-C stops piped input; at a terminal it only stops the command.
                        if (!stdin_tty && lines.status() == 130) break;
                    } else if (got == heapy::cli::LineReader::Status::interrupted) {
                        g_interrupts = 0;
                        if (!stdin_tty) {
                            output.error("interrupted");
                            read_status = 130;
                            break;
                        }
                        std::fputs("\n", stderr); // Ctrl-C at the prompt: a fresh prompt
                    } else if (got == heapy::cli::LineReader::Status::failed) {
                        output.error(std::string("cannot read standard input: ") +
                                     std::strerror(errno));
                        read_status = 1;
                        break;
                    } else {
                        if (stdin_tty) std::fputs("\n", stderr); // Ctrl-D at the prompt
                        break;
                    }
                }
                status = read_status.value_or(lines.status());
            }
        } catch (const OutputClosed&) {
            return output_failed(output.failure());
        }
        progress.finish();
    }
    if (!output.flush()) return output_failed(output.failure());
    return status;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    heapy::cli::Options o;
    try {
        o = heapy::cli::parse_args(args);
    } catch (const heapy::cli::UsageError& e) {
        return usage_error(e.what());
    }

    if (o.version) {
        std::printf("heapy %s\n", HEAPY_VERSION);
        return 0;
    }
    std::vector<heapy::cli::Command> chain = heapy::cli::split_commands(o.command);
    bool help_only = chain.size() == 1 && chain[0][0] == "help" && !o.script && !o.interactive;
    if (o.help || help_only) {
        size_t topic_at = help_only ? 1 : 0;
        std::string topic = !chain.empty() && chain[0].size() > topic_at ? chain[0][topic_at] : "";
        if (topic.empty()) { // the overview starts with the global options
            std::fputs(heapy::commands::fit_help(heapy::cli::usage, output_columns()).c_str(),
                       stdout);
            std::fputs("\n", stdout);
        }
        return write_stdout(heapy::commands::Session::help(topic, heapy::commands::Prompt::heapy,
                                                           output_columns()))
                   ? 0
                   : output_failed(errno);
    }
    Plan plan;
    plan.chain = std::move(chain);
    plan.script_path = o.script;
    // No command at all: read them from standard input.
    plan.interactive = o.interactive || (plan.chain.empty() && !o.script);
    // `load` reads a file, not a target.
    const bool loads_only =
        !plan.chain.empty() && !o.script && !o.interactive &&
        std::all_of(plan.chain.begin(), plan.chain.end(),
                    [](const heapy::cli::Command& c) { return !needs_target(c[0]); });
    if (!o.core && !o.pid && !loads_only) {
        if (plan.chain.empty() && !o.script && !o.interactive)
            return usage_error("no command given (e.g. 'heapy --core FILE heap'; 'heapy help' "
                               "lists the commands)");
        return usage_error("no target: give --core FILE [--exe FILE] or --pid PID");
    }

    try {
        if (o.script) plan.script = read_script(*o.script); // before a slow open of the target
    } catch (const heapy::Error& e) {
        print_error(e.what());
        return 2;
    }
    install_signal_handlers();
    try {
        return run(o, plan);
    } catch (const heapy::Error& e) {
        print_error(e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        print_error("out of memory");
        return 1;
    } catch (const std::exception& e) {
        print_error(std::string("internal error: ") + e.what());
        return 1;
    }
}
