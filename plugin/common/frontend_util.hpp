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

// The command names the session's help text mentions: every line of the form "heapy NAME ..."
// (NAME = a lower-case word). "heap" is always there. Debuggers register these as subcommands.
// TODO(commands): use a list from Session itself once it offers one.
inline std::vector<std::string> command_names(std::string_view help) {
    std::vector<std::string> names{"heap"};
    auto is_name_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    };
    while (!help.empty()) {
        size_t eol = help.find('\n');
        std::string_view line = help.substr(0, eol);
        help = eol == std::string_view::npos ? std::string_view() : help.substr(eol + 1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        constexpr std::string_view prefix = "heapy ";
        if (line.substr(0, prefix.size()) != prefix) continue;
        line.remove_prefix(prefix.size());
        size_t n = 0;
        while (n < line.size() && is_name_char(line[n])) ++n;
        if (n == 0 || line[0] < 'a' || line[0] > 'z') continue;
        if (n < line.size() && line[n] != ' ' && line[n] != '\t') continue;
        std::string name(line.substr(0, n));
        bool seen = false;
        for (const auto& known : names) seen = seen || known == name;
        if (!seen) names.push_back(std::move(name));
    }
    return names;
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

// A throttled one-line status ("heapy: reading objects: 120000 of 480000 (25%)") for work that
// takes more than `delay`, redrawn at most every `interval`. On a terminal the line is redrawn in
// place and erased by finish(); elsewhere nothing is printed (scripts want clean stderr).
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
        line += format(what, done, total);
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

    static std::string format(std::string_view what, uint64_t done, uint64_t total) {
        std::string s = "heapy: ";
        s += what;
        s += ": ";
        s += std::to_string(done);
        if (total > 0) {
            s += " of ";
            s += std::to_string(total);
            auto pct = static_cast<unsigned>(done >= total ? 100.0
                                                           : 100.0 * static_cast<double>(done) /
                                                                 static_cast<double>(total));
            s += " (" + std::to_string(pct) + "%)";
        }
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
