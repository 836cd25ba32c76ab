// Small helpers shared by the three front ends (CLI, gdb, lldb). Header-only, so that the unit
// tests (tests/unit/frontend_*.cpp) can use them without linking a front end.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::frontend {

// Removes every `flag` word from `args`; true when there was one. For the options a debugger front
// end takes itself (--allow-truncated), which the command language does not know.
inline bool take_flag(std::vector<std::string>& args, std::string_view flag) {
    size_t before = args.size();
    std::erase_if(args, [flag](const std::string& word) { return word == flag; });
    return args.size() != before;
}

enum class Debugger { gdb, lldb };

// The engine's messages tell a user of the standalone command which option to add (--exe,
// --allow-truncated). In a debugger the executable is the one the debugger loaded: say how to
// load it there instead, and how to pass --allow-truncated to a heapy command.
inline std::string debugger_advice(std::string_view message, Debugger debugger) {
    const bool gdb = debugger == Debugger::gdb;
    const std::string load_exe = gdb ? "`file EXE`" : "`target create EXE --core CORE`";
    struct Rewrite {
        std::string_view from;
        std::string to;
    };
    // The phrases of core/memory/open_core.cpp and core/cpython/runtime.cpp, most specific first;
    // any other mention of --exe is covered by the last one.
    const Rewrite rewrites[] = {
        {"pass --allow-truncated to analyse what is there",
         "add --allow-truncated to the command to analyse what is there (`heapy heap "
         "--allow-truncated`)"},
        {"pass a core dump, and the executable with --exe",
         gdb ? "load a core dump with `core-file CORE` and its executable with `file EXE`"
             : "load a core dump and its executable with `target create EXE --core CORE`"},
        {"pass the executable the core was made from with --exe",
         "load the executable the core was made from with " + load_exe},
        {"give --exe the executable the core was made from",
         "load the executable the core was made from with " + load_exe},
        {"pass the original with --exe", "load the original with " + load_exe},
        {"pass it with --exe", "load it with " + load_exe},
        {"that --exe names its executable", std::string("that ") + (gdb ? "gdb" : "lldb") +
                                                " loaded its executable (" + load_exe + ")"},
        {"that --exe names the executable the process ran",
         std::string("that ") + (gdb ? "gdb" : "lldb") +
             " loaded the executable the process ran (" + load_exe + ")"},
        {"pass --sysroot DIR, the directory its files are under",
         gdb ? "set gdb's sysroot to the directory its files are under (`set sysroot DIR`, then "
               "`core-file CORE` again)"
             : "make that directory the platform's sysroot (`platform select remote-linux "
               "--sysroot DIR`, then `target create EXE --core CORE`)"},
        {"--exe", "the executable loaded with " + load_exe},
    };
    std::string text(message);
    for (const Rewrite& r : rewrites) {
        for (size_t at = text.find(r.from); at != std::string::npos;
             at = text.find(r.from, at + r.to.size()))
            text.replace(at, r.from.size(), r.to);
    }
    return text;
}

// debugger_advice for the notes a command prints (lines starting with "Note: "), e.g. `heapy
// info`'s "Note: executable ... cannot be read (...); pass it with --exe".
inline std::string debugger_advice_in_notes(std::string_view output, Debugger debugger) {
    constexpr std::string_view note = "Note: ";
    if (output.find(note) == std::string_view::npos) return std::string(output);
    std::string out;
    while (!output.empty()) {
        size_t eol = output.find('\n');
        std::string_view line = output.substr(0, eol == std::string_view::npos ? eol : eol + 1);
        output.remove_prefix(line.size());
        if (line.substr(0, note.size()) == note)
            out += debugger_advice(line, debugger);
        else
            out += line;
    }
    return out;
}

// One line for the user: "heapy: <message>", whatever prefix or trailing newline `message` had.
// Embedded newlines become "; " so that a debugger error stays on one line.
inline std::string error_line(std::string_view message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.remove_suffix(1);
    constexpr std::string_view prefix = "heapy: ";
    while (message.substr(0, prefix.size()) == prefix) message.remove_prefix(prefix.size());
    if (message.empty()) message = "unknown error";
    std::string line(prefix);
    for (char c : message) {
        if (c == '\n')
            line += "; ";
        else if (c != '\r')
            line += c;
    }
    return line;
}

// A throttled one-line status ("heapy: finding how objects are referred to: 25% (4 s)") for work
// that takes more than `delay`, redrawn at most every `interval`. On a terminal the line is redrawn
// in place and erased by finish(); elsewhere nothing is printed (scripts want clean stderr).
class ProgressPrinter {
  public:
    using Clock = std::chrono::steady_clock;
    using Sink = std::function<void(std::string_view)>;

    ProgressPrinter(Sink sink, bool terminal,
                    std::chrono::milliseconds delay = std::chrono::milliseconds(1000),
                    std::chrono::milliseconds interval = std::chrono::milliseconds(500))
        : sink_(std::move(sink)), terminal_(terminal), delay_(delay), interval_(interval),
          start_(Clock::now()) {}
    ProgressPrinter(const ProgressPrinter&) = delete;
    ProgressPrinter& operator=(const ProgressPrinter&) = delete;
    ~ProgressPrinter() { finish(); }

    // Restarts the delay: call when a new command starts.
    void restart() {
        finish();
        start_ = Clock::now();
        last_ = {};
    }

    void update(std::string_view what, uint64_t done, uint64_t total) {
        if (!terminal_ || !sink_) return;
        auto now = Clock::now();
        if (now - start_ < delay_) return;
        if (shown_ && now - last_ < interval_) return;
        last_ = now;
        std::string line = "\r";
        line += format(what, done, total,
                       std::chrono::duration_cast<std::chrono::seconds>(now - start_));
        line += "\x1b[K"; // erase the rest of a longer previous line
        sink_(line);
        shown_ = true;
    }

    // Erases the status line, if one is shown.
    void finish() {
        if (!shown_) return;
        shown_ = false;
        if (sink_) sink_("\r\x1b[K");
    }

    // "heapy: WHAT: 25% (3 s)" with a total, "heapy: WHAT: 1200 (3 s)" with a count of what
    // WHAT names, "heapy: WHAT (3 s)" for work that cannot say how far it is: the seconds since
    // the command started show it is alive when the rest stands still.
    static std::string format(std::string_view what, uint64_t done, uint64_t total,
                              std::chrono::seconds elapsed) {
        std::string s = "heapy: ";
        s += what;
        if (total > 0) {
            auto pct = static_cast<unsigned>(done >= total ? 100.0
                                                           : 100.0 * static_cast<double>(done) /
                                                                 static_cast<double>(total));
            s += ": " + std::to_string(pct) + "%";
        } else if (done > 0) {
            s += ": " + std::to_string(done);
        }
        s += " (" + std::to_string(elapsed.count()) + " s)";
        return s;
    }

  private:
    Sink sink_;
    bool terminal_;
    std::chrono::milliseconds delay_;
    std::chrono::milliseconds interval_;
    Clock::time_point start_;
    Clock::time_point last_{};
    bool shown_ = false;
};

} // namespace heapy::frontend
