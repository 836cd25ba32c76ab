// stacks: where each thread was, frame by frame, as a traceback names the frames.
#include "core/commands/commands.hpp"
#include "core/commands/stack_locals.hpp"
#include "core/cpython/python_stacks.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

namespace {

constexpr int64_t kDefaultLocals = 5;

std::string line_text(int line) {
    return line < 0 ? "?" : std::to_string(line);
}

std::string thread_title(const cpython::Runtime& rt, const cpython::ThreadStack& stack) {
    std::string title = fmt::format("Thread {}", stack.thread.thread_id);
    if (rt.layout->has(rt.layout->tstate_native_thread_id))
        title += fmt::format(" (native {})", stack.thread.native_thread_id);
    if (!stack.name.empty()) title += fmt::format(" \"{}\"", stack.name);
    if (rt.interpreters.size() > 1) title += fmt::format(", interpreter i{}", stack.interpreter);
    if (stack.activity != cpython::ThreadActivity::Unknown)
        title += fmt::format(", {}", cpython::activity_text(stack.activity));
    return title;
}

// Who holds the GIL of the interpreter of `stack`, the first of its threads.
std::string gil_line(const std::vector<cpython::ThreadStack>& stacks,
                     const cpython::ThreadStack& stack) {
    const cpython::GilState& gil = stack.gil;
    const std::string where = stacks.front().interpreter == stacks.back().interpreter
                                  ? ""
                                  : fmt::format(" of interpreter i{}", stack.interpreter);
    if (!gil.known) return "";
    if (!gil.enabled) return fmt::format("No GIL{}: a free-threaded build.\n", where);
    if (!gil.locked) return fmt::format("The GIL{} is free.\n", where);
    for (const auto& s : stacks)
        if (s.thread.address == gil.holder && s.interpreter == stack.interpreter)
            return fmt::format("The GIL{} is held by thread {}{}.\n", where, s.thread.thread_id,
                               s.name.empty() ? "" : fmt::format(" \"{}\"", s.name));
    return fmt::format("The GIL{} is held by thread state 0x{:x}, of no thread listed.\n", where,
                       gil.holder);
}

const char* activity_word(cpython::ThreadActivity activity) {
    switch (activity) {
    case cpython::ThreadActivity::Attached:
        return "attached";
    case cpython::ThreadActivity::Detached:
        return "detached";
    case cpython::ThreadActivity::Suspended:
        return "suspended";
    case cpython::ThreadActivity::Unknown:
        break;
    }
    return "unknown";
}

std::string stacks_json(Analysis& a, classify::ClassifyContext& context,
                        const std::vector<cpython::ThreadStack>& stacks) {
    std::string out = "{\"threads\": [";
    for (size_t t = 0; t < stacks.size(); ++t) {
        const auto& s = stacks[t];
        const bool holds_gil =
            s.gil.known && s.gil.enabled && s.gil.locked && s.gil.holder == s.thread.address;
        out += fmt::format("{}{{\"interpreter\": {}, \"thread_id\": {}, \"native_thread_id\": {}, "
                           "\"thread_state\": \"0x{:x}\", \"name\": {}, \"activity\": \"{}\", "
                           "\"holds_gil\": {}, \"cut\": \"{}\", \"frames\": [",
                           t ? ", " : "", s.interpreter, s.thread.thread_id,
                           s.thread.native_thread_id, s.thread.address,
                           s.name.empty() ? std::string("null")
                                          : fmt::format("\"{}\"", json_escape(s.name)),
                           activity_word(s.activity), holds_gil, json_escape(s.cut));
        for (size_t f = 0; f < s.frames.size(); ++f) {
            const auto& frame = s.frames[f];
            out += fmt::format("{}{{\"function\": \"{}\", \"file\": \"{}\", \"line\": {}, "
                               "\"frame\": \"0x{:x}\", \"code\": \"0x{:x}\", \"locals\": [",
                               f ? ", " : "", json_escape(frame.function), json_escape(frame.file),
                               frame.line < 0 ? "null" : std::to_string(frame.line), frame.address,
                               frame.code);
            const auto rows = local_rows(a, context, frame);
            for (size_t i = 0; i < rows.size(); ++i)
                out += fmt::format("{}{{\"name\": \"{}\", \"address\": \"0x{:x}\", "
                                   "\"kind\": \"{}\", \"size\": {}, \"retained\": {}}}",
                                   i ? ", " : "", json_escape(rows[i].local->name),
                                   rows[i].local->object, json_escape(rows[i].kind), rows[i].size,
                                   rows[i].retained);
            out += "]}";
        }
        out += "]}";
    }
    return out + "]}\n";
}

} // namespace

std::string cmd_stacks(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    auto context = state.context(*classify::find_classifier("clodo"));
    const auto stacks = cpython::python_stacks(a.runtime(), a.decoder());
    if (args.flag("json")) return stacks_json(a, context, stacks);
    int64_t shown = kDefaultLocals;
    if (const std::string* n = args.value("locals")) {
        try {
            shown = std::stoll(*n);
        } catch (const std::exception&) {
            shown = -1;
        }
        if (shown < 0) throw Error(fmt::format("--locals wants a count, not '{}'", *n));
    }
    std::string out;
    for (size_t t = 0; t < stacks.size(); ++t) {
        const auto& s = stacks[t];
        if (t == 0 || stacks[t - 1].interpreter != s.interpreter) out += gil_line(stacks, s);
        out += thread_title(a.runtime(), s) + ":\n";
        if (s.frames.empty() && s.cut.empty()) out += "  (no Python frame: idle or in C)\n";
        for (const auto& frame : s.frames) {
            out += fmt::format("  File \"{}\", line {}, in {}\n", frame.file, line_text(frame.line),
                               frame.function);
            const auto rows = local_rows(a, context, frame);
            for (size_t i = 0; i < rows.size() && int64_t(i) < shown; ++i)
                out += fmt::format("    {} = {} ({} bytes, retains {})\n", rows[i].local->name,
                                   rows[i].kind, rows[i].size, rows[i].retained);
            if (int64_t(rows.size()) > shown && shown > 0)
                out +=
                    fmt::format("    <{} more locals: --locals N>\n", rows.size() - size_t(shown));
        }
        if (!s.cut.empty()) out += fmt::format("  (stopped: {})\n", s.cut);
    }
    return out;
}

} // namespace heapy::commands
