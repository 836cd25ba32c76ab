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
    if (rt.interpreters.size() > 1) title += fmt::format(", interpreter i{}", stack.interpreter);
    return title;
}

std::string stacks_json(Analysis& a, classify::ClassifyContext& context,
                        const std::vector<cpython::ThreadStack>& stacks) {
    std::string out = "{\"threads\": [";
    for (size_t t = 0; t < stacks.size(); ++t) {
        const auto& s = stacks[t];
        out += fmt::format("{}{{\"interpreter\": {}, \"thread_id\": {}, \"native_thread_id\": {}, "
                           "\"thread_state\": \"0x{:x}\", \"cut\": \"{}\", \"frames\": [",
                           t ? ", " : "", s.interpreter, s.thread.thread_id,
                           s.thread.native_thread_id, s.thread.address, json_escape(s.cut));
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
    for (const auto& s : stacks) {
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
