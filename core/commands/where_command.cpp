// where: the allocation traceback of objects, from the tables tracemalloc kept in the target.
#include "core/commands/commands.hpp"
#include "core/cpython/allocations.hpp"
#include "core/cpython/tracemalloc.hpp"
#include "core/cpython/type_registry.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

namespace heapy::commands {

namespace {

// The node of the object at `address`: reachable, on a GC list, or leaked.
uint32_t object_node(Analysis& a, const std::string& word) {
    const uint64_t address = parse_address(word);
    auto node = a.node_at(address);
    if (!node) {
        a.unreachable();
        node = a.node_at(address);
    }
    if (!node) {
        a.leaks();
        node = a.node_at(address);
    }
    if (!node || *node == heap::ObjectGraph::kRoot ||
        a.graph().nodes[*node].kind() != heap::NodeKind::Object)
        throw Error(fmt::format("no object at {} in the heap", word));
    return *node;
}

std::string frames_json(const cpython::AllocationTrace& trace) {
    std::string out = "[";
    for (size_t i = 0; i < trace.frames.size(); ++i)
        out += fmt::format("{}{{\"file\": \"{}\", \"line\": {}}}", i ? ", " : "",
                           json_escape(trace.frames[i].file), trace.frames[i].line);
    return out + "]";
}

} // namespace

std::string cmd_where(SessionState& state, const Arguments& args) {
    if (args.positional.empty())
        throw Error("'heapy where' needs at least one address, e.g. heapy where 0x7f3a5c1d2e40");
    Analysis& a = state.analysis();
    cpython::Tracemalloc& tracemalloc = a.tracemalloc();
    if (!tracemalloc.unavailable().empty())
        throw Error(
            fmt::format("{}: no allocation sites.{}", tracemalloc.unavailable(),
                        tracemalloc.tracing() ? "" : std::string(" ") + cpython::kTracemallocHint));
    auto context = state.context(*classify::find_classifier("clodo"));
    const bool json = args.flag("json");
    std::string out = json ? "{\"objects\": [" : "";
    for (size_t i = 0; i < args.positional.size(); ++i) {
        const uint32_t node = object_node(a, args.positional[i]);
        const uint64_t address = a.graph().nodes[node].address();
        const cpython::TypeInfo& type = a.decoder().types().at(a.graph().type_of(node));
        const auto trace = tracemalloc.trace(
            address - cpython::allocation_offset(a.decoder().layout(), type.flags));
        const std::string kind = classify::clodo_name(context, node);
        if (json) {
            out += fmt::format("{}{{\"address\": \"0x{:x}\", \"kind\": \"{}\", \"size\": {}, "
                               "\"traced\": {}, \"total_frames\": {}, \"traceback\": {}}}",
                               i ? ", " : "", address, json_escape(kind), a.graph().size_of(node),
                               trace.has_value(), trace ? trace->total_frames : 0,
                               trace ? frames_json(*trace) : "[]");
            continue;
        }
        if (!trace) {
            out += fmt::format("0x{:x} {} ({} bytes): not traced (allocated before tracemalloc "
                               "started, or not by Python's allocators)\n",
                               address, kind, a.graph().size_of(node));
            continue;
        }
        out += fmt::format("0x{:x} {} ({} bytes) was allocated at (most recent call first):\n",
                           address, kind, a.graph().size_of(node));
        for (const auto& frame : trace->frames)
            out += fmt::format("  File \"{}\", line {}\n", frame.file, frame.line);
        if (trace->total_frames > trace->frames.size())
            out += fmt::format("  <{} older frames not kept: tracemalloc.start(N) keeps N>\n",
                               trace->total_frames - trace->frames.size());
    }
    return json ? out + "]}\n" : out;
}

} // namespace heapy::commands
