// Commands about the target itself: info; and _objects and _wait for heapy's own tests.
#include "core/commands/commands.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace heapy::commands {

std::string cmd_info(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    const cpython::Runtime& rt = a.runtime();
    const memory::Target& target = state.target();
    size_t threads = 0;
    for (const auto& interp : rt.interpreters) threads += interp.threads.size();
    uint64_t reachable_size = 0;
    for (uint32_t node : a.reachable()) reachable_size += a.graph().size_of(node);
    if (args.flag("json")) {
        return fmt::format(
            "{{\"python\": \"{}\", \"runtime\": \"0x{:x}\", \"interpreters\": {}, \"threads\": {}, "
            "\"objects\": {}, \"size\": {}, \"unreadable\": {}, \"found_by\": \"{}\", "
            "\"target\": \"{}\"}}\n",
            rt.version.text(), rt.address, rt.interpreters.size(), threads, a.reachable().size(),
            reachable_size, a.graph().unreadable, json_escape(rt.found_by),
            json_escape(target.description));
    }
    std::string out = fmt::format("Target: {}\nPython: CPython {} ({})\n_PyRuntime: 0x{:x}\n",
                                  target.description, rt.version.text(), rt.found_by, rt.address);
    if (rt.debug_offsets) {
        const auto& d = *rt.debug_offsets;
        out += fmt::format("_Py_DebugOffsets: version 0x{:08x}, {} fields checked, {} differ from "
                           "heapy's layout{}\n",
                           d.version, d.fields_checked, d.mismatches.size(),
                           d.mismatches.empty() ? "" : " (the target's are used):");
        for (const auto& m : d.mismatches) out += "  " + m + "\n";
        for (const auto& r : d.rejected) out += "  ignored, out of bounds: " + r + "\n";
    }
    for (const auto& interp : rt.interpreters) {
        out += fmt::format("Interpreter i{} at 0x{:x} (id {}): {} thread{}\n", interp.number,
                           interp.address, interp.id, interp.threads.size(),
                           interp.threads.size() == 1 ? "" : "s");
        for (const auto& thread : interp.threads) {
            // CPython keeps the native (kernel) thread id from 3.11 on only.
            if (rt.layout->has(rt.layout->tstate_native_thread_id))
                out += fmt::format("  thread {} (native {}) at 0x{:x}\n", thread.thread_id,
                                   thread.native_thread_id, thread.address);
            else
                out += fmt::format("  thread {} at 0x{:x}\n", thread.thread_id, thread.address);
        }
    }
    out +=
        fmt::format("Reachable heap: {} objects, {} bytes\n", a.reachable().size(), reachable_size);
    out += unreadable_note(a.graph().unreadable);
    for (const auto& note : target.notes) out += "Note: " + note + "\n";
    return out;
}

std::string cmd_objects(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    auto context = state.context(*classify::find_classifier("clodo"));
    const std::vector<uint32_t>& nodes = args.flag("leaked")        ? a.leaks().nodes
                                         : args.flag("unreachable") ? a.unreachable().all
                                                                    : a.reachable();
    std::string out;
    for (uint32_t node : nodes)
        out += fmt::format("0x{:x} {} {}\n", a.graph().nodes[node].address(),
                           a.graph().size_of(node), classify::clodo_name(context, node));
    return out;
}

std::string cmd_wait(SessionState& state, const Arguments& args) {
    double seconds = 0;
    try {
        seconds = args.positional.empty() ? 0 : std::stod(args.positional[0]);
    } catch (const std::exception&) {
        throw Error(fmt::format("'{}' is not a number of seconds", args.positional[0]));
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
        if (state.frontend().interrupted()) throw Interrupted();
        state.frontend().progress("waiting", 0, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "waited\n";
}

} // namespace heapy::commands
