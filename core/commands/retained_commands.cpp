// Commands about what keeps memory alive: dominos, domisize (top: top_command.cpp).
#include "core/commands/commands.hpp"
#include "core/errors.hpp"
#include "core/heap/dominators.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

namespace {

uint64_t total_size(const Analysis& a, const std::vector<uint32_t>& nodes) {
    uint64_t size = 0;
    for (uint32_t node : nodes) size += a.graph().size_of(node);
    return size;
}

} // namespace

std::string cmd_dominos(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    state.set_current(heap::dominated_by(a.graph(), a.reachable_end(), state.current()));
    return state.show_set(
        state.current_shared(),
        args.value("by") ? classifier_option(args, "") : *classify::find_classifier("clodo"), args);
}

std::string cmd_domisize(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    NodeSet nodes = heap::dominated_by(a.graph(), a.reachable_end(), state.current());
    uint64_t size = total_size(a, nodes);
    if (args.flag("json"))
        return fmt::format("{{\"domisize\": {}, \"count\": {}}}\n", size, nodes.size());
    return fmt::format("{}\n", size);
}

} // namespace heapy::commands
