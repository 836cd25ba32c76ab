// stacks: where each thread was, frame by frame, as a traceback names the frames.
#include "core/commands/commands.hpp"
#include "core/commands/node_sets.hpp"
#include "core/commands/stack_locals.hpp"
#include "core/cpython/python_stacks.hpp"
#include "core/cpython/suspended_frames.hpp"
#include "core/cpython/type_registry.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

namespace {

constexpr int64_t kDefaultLocals = 5;
constexpr size_t kNodesPerPoll = 1 << 16;

std::string line_text(int line) {
    return line < 0 ? "?" : std::to_string(line);
}

std::string thread_title(const cpython::Runtime& rt, const cpython::ThreadStack& stack) {
    std::string title = fmt::format("Thread {}", stack.thread.thread_id);
    if (stack.thread.native_thread_id != 0)
        title += fmt::format(" (native {})", stack.thread.native_thread_id);
    if (!stack.name.empty()) title += fmt::format(" \"{}\"", stack.name);
    if (rt.interpreters.size() > 1) title += fmt::format(", interpreter i{}", stack.interpreter);
    if (stack.activity != cpython::ThreadActivity::Unknown || stack.syscall)
        title += fmt::format(", {}", cpython::activity_text(stack));
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

// "syscall", "waits_on" and "cpu" of a thread: what the kernel saw it doing.
std::string syscall_json(const cpython::ThreadStack& s) {
    if (!s.syscall) return "\"cpu\": null, \"syscall\": null, \"waits_on\": null";
    if (!s.syscall->in_syscall) return "\"cpu\": \"user\", \"syscall\": null, \"waits_on\": null";
    return fmt::format("\"cpu\": \"syscall\", \"syscall\": \"{}\", \"waits_on\": \"{}\"",
                       json_escape(s.syscall->name),
                       s.waits_for_gil ? "gil" : memory::syscall_wait_word(s.syscall->wait));
}

std::string frame_json(Analysis& a, classify::ClassifyContext& context,
                       const cpython::PythonFrame& frame) {
    std::string out = fmt::format(
        "{{\"function\": \"{}\", \"file\": \"{}\", \"line\": {}, \"frame\": \"0x{:x}\", "
        "\"code\": \"0x{:x}\", \"locals\": [",
        json_escape(frame.function), json_escape(frame.file),
        frame.line < 0 ? "null" : std::to_string(frame.line), frame.address, frame.code);
    const auto rows = local_rows(a, context, frame);
    for (size_t i = 0; i < rows.size(); ++i)
        out += fmt::format("{}{{\"name\": \"{}\", \"address\": \"0x{:x}\", \"kind\": \"{}\", "
                           "\"size\": {}, \"retained\": {}}}",
                           i ? ", " : "", json_escape(rows[i].local->name), rows[i].local->object,
                           json_escape(rows[i].kind), rows[i].size, rows[i].retained);
    return out + "]}";
}

// {"threads": [...]: the threads, without the closing brace (--all adds "suspended").
std::string stacks_json(Analysis& a, classify::ClassifyContext& context,
                        const std::vector<cpython::ThreadStack>& stacks) {
    std::string out = "{\"threads\": [";
    for (size_t t = 0; t < stacks.size(); ++t) {
        const auto& s = stacks[t];
        const bool holds_gil =
            s.gil.known && s.gil.enabled && s.gil.locked && s.gil.holder == s.thread.address;
        out += fmt::format(
            "{}{{\"interpreter\": {}, \"thread_id\": {}, \"native_thread_id\": {}, "
            "\"thread_state\": \"0x{:x}\", \"name\": {}, \"activity\": \"{}\", "
            "\"holds_gil\": {}, {}, \"cut\": \"{}\", \"frames\": [",
            t ? ", " : "", s.interpreter, s.thread.thread_id, s.thread.native_thread_id,
            s.thread.address,
            s.name.empty() ? std::string("null") : fmt::format("\"{}\"", json_escape(s.name)),
            activity_word(s.activity), holds_gil, syscall_json(s), json_escape(s.cut));
        for (size_t f = 0; f < s.frames.size(); ++f)
            out += (f ? ", " : "") + frame_json(a, context, s.frames[f]);
        out += "]}";
    }
    return out + "]";
}

// The reachable generators, coroutines and asyncio Tasks, for --all.
std::vector<cpython::Candidate> generator_candidates(Analysis& a, const FrontEnd& frontend) {
    std::vector<cpython::Candidate> out;
    const heap::ObjectGraph& graph = a.graph();
    size_t seen = 0;
    for (uint32_t node : a.reachable()) {
        if (++seen % kNodesPerPoll == 0) poll_interrupt(frontend);
        if (graph.nodes[node].kind() != heap::NodeKind::Object) continue;
        const cpython::TypeInfo& type = a.decoder().types().at(graph.type_of(node));
        const bool generator = type.kind == cpython::Kind::Generator ||
                               type.kind == cpython::Kind::Coroutine ||
                               type.kind == cpython::Kind::AsyncGenerator;
        if (generator || type.tp_name == "_asyncio.Task")
            out.push_back({graph.nodes[node].address(), &type});
    }
    return out;
}

std::string awaits_text(Analysis& a, classify::ClassifyContext& context, uint64_t address) {
    if (address == 0) return "";
    if (auto node = a.node_at(address))
        return fmt::format("{} 0x{:x}", classify::clodo_name(context, *node), address);
    return fmt::format("0x{:x}", address);
}

std::string suspended_json(Analysis& a, classify::ClassifyContext& context,
                           const std::vector<cpython::SuspendedObject>& suspended) {
    std::string out = ", \"suspended\": [";
    for (size_t i = 0; i < suspended.size(); ++i) {
        const auto& s = suspended[i];
        out += fmt::format(
            "{}{{\"kind\": \"{}\", \"address\": \"0x{:x}\", \"name\": {}, "
            "\"awaits\": {}, \"frames\": [",
            i ? ", " : "", cpython::suspended_kind_text(s.kind), s.address,
            s.name.empty() ? std::string("null") : fmt::format("\"{}\"", json_escape(s.name)),
            s.awaits ? fmt::format("\"{}\"", json_escape(awaits_text(a, context, s.awaits)))
                     : std::string("null"));
        for (size_t f = 0; f < s.frames.size(); ++f)
            out += (f ? ", " : "") + frame_json(a, context, s.frames[f]);
        out += "]}";
    }
    return out + "]";
}

std::string frame_text(Analysis& a, classify::ClassifyContext& context,
                       const cpython::PythonFrame& frame, int64_t shown) {
    std::string out = fmt::format("  File \"{}\", line {}, in {}\n", frame.file,
                                  line_text(frame.line), frame.function);
    const auto rows = local_rows(a, context, frame);
    for (size_t i = 0; i < rows.size() && int64_t(i) < shown; ++i)
        out += fmt::format("    {} = {} ({} bytes, retains {})\n", rows[i].local->name,
                           rows[i].kind, rows[i].size, rows[i].retained);
    if (int64_t(rows.size()) > shown && shown > 0)
        out += fmt::format("    <{} more locals: --locals N>\n", rows.size() - size_t(shown));
    return out;
}

} // namespace

std::string cmd_stacks(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    auto context = state.context(*classify::find_classifier("clodo"));
    const auto stacks = cpython::python_stacks(a.runtime(), a.decoder(), &state.target());
    const bool all = args.flag("all");
    const auto suspended =
        all ? cpython::suspended_objects(a.runtime(), a.decoder(),
                                         generator_candidates(a, state.frontend()), stacks,
                                         state.frontend().interrupted)
            : std::vector<cpython::SuspendedObject>{};
    if (args.flag("json"))
        return stacks_json(a, context, stacks) +
               (all ? suspended_json(a, context, suspended) : std::string()) + "}\n";
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
        for (const auto& frame : s.frames) out += frame_text(a, context, frame, shown);
        if (!s.cut.empty()) out += fmt::format("  (stopped: {})\n", s.cut);
    }
    if (!all) return out;
    out += suspended.empty() ? "No suspended generator, coroutine or task.\n" : "";
    for (const auto& s : suspended) {
        poll_interrupt(state.frontend());
        out += fmt::format("{} 0x{:x}{}{}:\n", cpython::suspended_kind_text(s.kind), s.address,
                           s.name.empty() ? "" : fmt::format(" \"{}\"", s.name),
                           s.awaits ? ", awaiting " + awaits_text(a, context, s.awaits) : "");
        if (s.frames.empty()) out += "  (its coroutine is not suspended: done or running)\n";
        for (const auto& frame : s.frames) out += frame_text(a, context, frame, shown);
    }
    return out;
}

} // namespace heapy::commands
