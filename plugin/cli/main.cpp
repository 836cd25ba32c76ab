// The standalone `heapy` command: opens a core file or a live process by itself and runs one
// command of the shared command language (core/commands) on it.
#include "core/commands/session.hpp"
#include "core/errors.hpp"
#include "core/memory/process_stopper.hpp"
#include "core/memory/target.hpp"
#include "plugin/cli/args.hpp"
#include "plugin/common/frontend_util.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <new>
#include <optional>
#include <string>
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

int usage_error(const std::string& message) {
    print_error(message);
    std::fputs("Try 'heapy --help'.\n", stderr);
    return 2;
}

bool write_stdout(const std::string& text) {
    if (text.empty()) return true;
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
           std::fflush(stdout) == 0;
}

int run(const heapy::cli::Options& o) {
    using namespace heapy;
    heapy::frontend::ProgressPrinter progress(
        [](std::string_view s) {
            std::fwrite(s.data(), 1, s.size(), stderr);
            std::fflush(stderr);
        },
        ::isatty(STDERR_FILENO) != 0);

    commands::CommandResult result;
    {
        // Everything that holds the target lives in this scope: a live process is resumed
        // before any output is written.
        std::optional<memory::ProcessStopper> stopper;
        memory::Target target;
        if (o.core) {
            target = memory::open_core(*o.core, memory::CoreOptions{o.exe, o.allow_truncated});
        } else {
            stopper.emplace(*o.pid); // every thread stays stopped until the end of this scope
            target = memory::open_process(*o.pid);
        }
        commands::FrontEnd fe;
        fe.interrupted = [] { return g_interrupts.load() > 0; };
        fe.progress = [&progress](std::string_view what, uint64_t done, uint64_t total) {
            progress.update(what, done, total);
        };
        commands::Session session(std::move(target), std::move(fe));
        result = session.run(o.command);
        progress.finish();
    }
    if (!write_stdout(result.output)) {
        print_error("cannot write the output (standard output closed?)");
        return 1;
    }
    if (result.status != 0) {
        print_error(result.error.empty() ? "the command failed" : result.error);
        if (result.status == 130) return 130; // interrupted, as a shell reports Ctrl-C
        return result.status > 0 && result.status < 126 ? result.status : 1;
    }
    return 0;
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
    bool help_word = !o.command.empty() && o.command[0] == "help";
    if (o.help || help_word) {
        size_t topic_at = help_word ? 1 : 0;
        std::string topic = o.command.size() > topic_at ? o.command[topic_at] : "";
        if (topic.empty()) { // the overview starts with the global options
            std::fputs(heapy::cli::usage.data(), stdout);
            std::fputs("\n", stdout);
        }
        return write_stdout(heapy::commands::Session::help(topic)) ? 0 : 1;
    }
    if (o.command.empty())
        return usage_error("no command given (e.g. 'heapy --core FILE heap'; 'heapy help' lists "
                           "the commands)");
    if (!o.core && !o.pid)
        return usage_error("no target: give --core FILE [--exe FILE] or --pid PID");

    install_signal_handlers();
    try {
        return run(o);
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
