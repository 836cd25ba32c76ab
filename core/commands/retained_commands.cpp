// Commands about what keeps memory alive: dominos, domisize, top.
#include "core/commands/commands.hpp"
#include "core/errors.hpp"
#include "core/heap/dominators.hpp"
#include "core/heap/shortest_paths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace heapy::commands {

namespace {

uint64_t total_size(const Analysis& a, const std::vector<uint32_t>& nodes) {
    uint64_t size = 0;
    for (uint32_t node : nodes) size += a.graph().size_of(node);
    return size;
}

std::string first_path(Analysis& a, uint32_t node) {
    heap::DecodedRelations relations(a.decoder(), a.graph());
    heap::ShortestPaths paths(a.graph(), a.reachable_end(), {node}, relations);
    return paths.count() ? paths.text(0) : std::string();
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

std::string cmd_top(SessionState& state, const Arguments& args) {
    size_t limit = 10;
    if (!args.positional.empty()) {
        try {
            size_t used = 0;
            long long n = std::stoll(args.positional[0], &used);
            if (used != args.positional[0].size() || n <= 0) throw std::invalid_argument("n");
            limit = size_t(n);
        } catch (const std::exception&) {
            throw Error(
                fmt::format("'{}' is not a positive number of objects", args.positional[0]));
        }
    }
    const std::string* by = args.value("by");
    const bool by_size = by && *by == "size";
    if (by && !by_size && *by != "retained")
        throw Error(fmt::format("'heapy top --by {}': use retained or size", *by));

    Analysis& a = state.analysis();
    const heap::DominatorTree& tree = a.dominators();
    const heap::ObjectGraph& graph = a.graph();
    auto context = state.context(*classify::find_classifier("clodo"));
    const uint64_t reachable_size = tree.retained[heap::ObjectGraph::kRoot];
    auto value = [&](uint32_t node) { return by_size ? graph.size_of(node) : tree.retained[node]; };

    struct Entry {
        std::string name;
        uint64_t address = 0;
        uint64_t retained = 0;
        uint64_t size = 0;
        uint64_t count = 0;
        std::string path;
    };
    std::vector<Entry> entries;
    if (args.flag("kinds")) {
        // Per kind: the objects of the kind that no other object of the kind dominates.
        std::unordered_map<std::string, Entry> kinds;
        std::vector<std::string> name_of(graph.nodes.size());
        for (uint32_t node : a.reachable()) name_of[node] = classify::clodo_name(context, node);
        for (uint32_t node : a.reachable()) {
            bool nested = false;
            for (uint32_t up = tree.idom[node];
                 up != heap::DominatorTree::kNone && up != heap::ObjectGraph::kRoot;
                 up = tree.idom[up])
                if (name_of[up] == name_of[node]) {
                    nested = true;
                    break;
                }
            Entry& e = kinds[name_of[node]];
            e.name = name_of[node];
            e.size += graph.size_of(node);
            if (!nested) {
                e.retained += tree.retained[node];
                ++e.count;
            }
        }
        for (auto& [name, e] : kinds) entries.push_back(std::move(e));
        std::sort(entries.begin(), entries.end(), [&](const Entry& x, const Entry& y) {
            uint64_t vx = by_size ? x.size : x.retained, vy = by_size ? y.size : y.retained;
            return vx != vy ? vx > vy : x.name < y.name;
        });
        if (entries.size() > limit) entries.resize(limit);
    } else {
        std::vector<uint32_t> nodes = a.reachable();
        const size_t n = std::min(limit, nodes.size());
        std::partial_sort(nodes.begin(), nodes.begin() + std::ptrdiff_t(n), nodes.end(),
                          [&](uint32_t x, uint32_t y) {
                              return value(x) != value(y) ? value(x) > value(y) : x < y;
                          });
        nodes.resize(n);
        for (uint32_t node : nodes)
            entries.push_back({classify::clodo_name(context, node), graph.nodes[node].address(),
                               tree.retained[node], graph.size_of(node), tree.retained_count[node],
                               first_path(a, node)});
    }

    if (args.flag("json")) {
        std::string out = fmt::format("{{\"total\": {}, \"by\": \"{}\", \"rows\": [",
                                      reachable_size, by_size ? "size" : "retained");
        for (size_t i = 0; i < entries.size(); ++i) {
            const Entry& e = entries[i];
            out +=
                fmt::format("{}{{\"kind\": \"{}\", \"retained\": {}, \"size\": {}, \"count\": {}",
                            i ? ", " : "", json_escape(e.name), e.retained, e.size, e.count);
            if (e.address)
                out += fmt::format(", \"address\": \"0x{:x}\", \"path\": \"{}\"", e.address,
                                   json_escape(e.path));
            out += "}";
        }
        return out + "]}\n";
    }
    std::string out =
        fmt::format("{} by {} size. Reachable heap: {} objects, {} bytes.\n",
                    args.flag("kinds") ? "Kinds" : "Objects", by_size ? "own" : "retained",
                    a.reachable().size(), reachable_size);
    out += args.flag("kinds") ? " Index   Retained   %     Size  Roots Kind\n"
                              : " Index   Retained   %     Size  Objects Address        Kind\n";
    for (size_t i = 0; i < entries.size(); ++i) {
        const Entry& e = entries[i];
        long pct = report::percent(e.retained, reachable_size);
        if (args.flag("kinds")) {
            out += fmt::format("{:6d} {:10d} {:3d} {:8d} {:6d} {}\n", i, e.retained, pct, e.size,
                               e.count, e.name);
        } else {
            out += fmt::format("{:6d} {:10d} {:3d} {:8d} {:8d} 0x{:x} {}\n", i, e.retained, pct,
                               e.size, e.count, e.address, e.name);
            if (!e.path.empty()) out += fmt::format("{:>32}{}\n", "", e.path);
        }
    }
    if (state.reference())
        out += "The reference point (setref) does not apply: top covers the whole heap.\n";
    return out;
}

} // namespace heapy::commands
