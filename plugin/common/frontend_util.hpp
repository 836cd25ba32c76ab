// Small helpers shared by the three front ends (CLI, gdb, lldb). Header-only, so that the unit
// tests (tests/unit/frontend_*.cpp) can use them without linking a front end.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::frontend {

// The command names the session's help mentions, for debuggers to register as subcommands:
// every word that starts a line of the overview `help("")` or follows "heapy " in it, kept when
// that command's own help `help(name)` shows its usage ("heapy NAME"). "heap" is always first.
// `unlisted` names commands the overview leaves out (e.g. tools for heapy's own tests); they are
// kept on the same condition.
// TODO(commands): take the list from Session itself once it offers one.
inline std::vector<std::string>
command_names(const std::function<std::string(std::string_view topic)>& help,
              std::initializer_list<std::string_view> unlisted = {}) {
    auto is_name_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    };
    std::vector<std::string> names{"heap"};
    auto add_if_documented = [&](std::string_view name) {
        for (const auto& known : names)
            if (known == name) return;
        std::string own = help(name);
        std::string usage = "heapy " + std::string(name);
        size_t at = own.find(usage);
        if (at == std::string::npos) return;
        size_t end = at + usage.size();
        if (end < own.size() && is_name_char(own[end])) return;
        names.emplace_back(name);
    };
    auto consider = [&](std::string_view text) { // a word at the start of `text`
        size_t n = 0;
        while (n < text.size() && is_name_char(text[n])) ++n;
        if (n == 0 || text[0] < 'a' || text[0] > 'z') return;
        if (n < text.size() && text[n] != ' ' && text[n] != '\t') return;
        add_if_documented(text.substr(0, n));
    };
    std::string overview = help("");
    std::string_view rest = overview;
    while (!rest.empty()) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        consider(line);
        for (size_t at = line.find("heapy "); at != std::string_view::npos;
             at = line.find("heapy ", at + 1))
            consider(line.substr(at + 6));
    }
    for (std::string_view name : unlisted) add_if_documented(name);
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
