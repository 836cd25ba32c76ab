// `top`: the objects, or kinds, that retain the most memory, with their shortest paths.
#include "core/commands/commands.hpp"
#include "core/commands/node_sets.hpp"
#include "core/commands/top_entries.hpp"
#include "core/errors.hpp"
#include "core/heap/dominators.hpp"
#include "core/heap/shortest_paths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace heapy::commands {

namespace {

TopOptions top_options(const Arguments& args) {
    TopOptions options;
    if (!args.positional.empty()) {
        try {
            size_t used = 0;
            long long n = std::stoll(args.positional[0], &used);
            if (used != args.positional[0].size() || n <= 0) throw std::invalid_argument("n");
            options.limit = size_t(n);
        } catch (const std::exception&) {
            throw Error(
                fmt::format("'{}' is not a positive number of objects", args.positional[0]));
        }
    }
    const std::string* by = args.value("by");
    options.by_size = by && *by == "size";
    options.by_producer = by && *by == "prod";
    if (by && !options.by_size && !options.by_producer && *by != "retained")
        throw Error(fmt::format("'heapy top --by {}': use retained, size or prod", *by));
    options.kinds = args.flag("kinds") || options.by_producer;
    return options;
}

std::string top_json(const std::vector<TopEntry>& entries, uint64_t reachable_size, bool by_size) {
    std::string out = fmt::format("{{\"total\": {}, \"by\": \"{}\", \"rows\": [", reachable_size,
                                  by_size ? "size" : "retained");
    for (size_t i = 0; i < entries.size(); ++i) {
        const TopEntry& e = entries[i];
        out += fmt::format("{}{{\"kind\": \"{}\", \"retained\": {}, \"size\": {}, \"count\": {}",
                           i ? ", " : "", json_escape(e.name), e.retained, e.size, e.count);
        if (e.address)
            out += fmt::format(", \"address\": \"0x{:x}\", \"path\": \"{}\"", e.address,
                               json_escape(e.path));
        out += "}";
    }
    return out + "]}";
}

// The table `row N` and `select KIND` pick from after top: row N is the object (or the objects
// of the kind) of line N.
classify::PartitionResult top_rows_table(const std::vector<TopEntry>& entries, size_t count,
                                         uint64_t size) {
    classify::PartitionResult table;
    table.table = report::Partition(count, size, "top", "Kind");
    NodeSet nodes;
    for (size_t row = 0; row < entries.size(); ++row) {
        const TopEntry& e = entries[row];
        for (uint32_t node : e.nodes) {
            nodes.push_back(node);
            table.row_of.push_back(uint32_t(row));
        }
        table.table.add_row(e.name, e.nodes.size(), e.size);
    }
    table.nodes = std::make_shared<const NodeSet>(std::move(nodes));
    return table;
}

} // namespace

std::string top_text(const std::vector<TopEntry>& entries, const TopOptions& options,
                     size_t reachable_count, uint64_t reachable_size) {
    std::string out =
        fmt::format("{} by {} size. Reachable heap: {} objects, {} bytes.\n",
                    options.by_producer ? "Producers (lines of allocation)"
                    : options.kinds     ? "Kinds"
                                        : "Objects",
                    options.by_size ? "own" : "retained", reachable_count, reachable_size);
    // Columns widen alike where a number does not fit (set_format.hpp).
    report::ColumnWidths w{6, 10, 3, 8, size_t(options.kinds ? 6 : 8)};
    for (size_t i = 0; i < entries.size(); ++i) {
        w.fit(0, int64_t(i));
        w.fit(1, int64_t(entries[i].retained));
        w.fit(3, int64_t(entries[i].size));
        w.fit(4, int64_t(entries[i].count));
    }
    out += w.header(options.by_producer ? " Index   Retained   %     Size  Roots Producer"
                    : options.kinds     ? " Index   Retained   %     Size  Roots Kind"
                                    : " Index   Retained   %     Size  Objects Address        Kind",
                    {0, 7, 18, 22, 31}) +
           "\n";
    for (size_t i = 0; i < entries.size(); ++i) {
        const TopEntry& e = entries[i];
        long pct = report::percent(e.retained, reachable_size);
        if (options.kinds) {
            out += fmt::format("{:{}d} {:{}d} {:3d} {:{}d} {:{}d} {}\n", i, w[0], e.retained, w[1],
                               pct, e.size, w[3], e.count, w[4], e.name);
        } else {
            out += fmt::format("{:{}d} {:{}d} {:3d} {:{}d} {:{}d} 0x{:x} {}\n", i, w[0], e.retained,
                               w[1], pct, e.size, w[3], e.count, w[4], e.address, e.name);
            if (!e.path.empty()) // under Retained
                out += fmt::format("{:{}}{}\n", "", w[0] + 1, e.path);
        }
    }
    return out;
}

std::string first_path(Analysis& a, uint32_t node) {
    heap::DecodedRelations relations(a.decoder(), a.graph());
    heap::ShortestPaths paths(a.graph(), a.reachable_end(), {node}, relations,
                              a.classify_context().interrupted);
    return paths.count() ? paths.text(0) : std::string();
}

// Per kind: the objects of the kind that no other object of the kind dominates.
std::vector<TopEntry> top_kinds(Analysis& a, const classify::ClassifyContext& context,
                                const TopOptions& options) {
    const heap::DominatorTree& tree = a.dominators();
    const heap::ObjectGraph& graph = a.graph();
    std::unordered_map<std::string, TopEntry> kinds;
    constexpr std::string_view kStep = "summing retained sizes by kind";
    const std::vector<uint32_t>& reachable = a.reachable();
    std::vector<std::string> name_of(graph.nodes.size());
    for (size_t i = 0; i < reachable.size(); ++i) {
        if (i % kNodesPerPoll == 0) context.checkpoint(kStep, i, 2 * reachable.size());
        std::string name = options.by_producer ? a.producer(reachable[i])
                                               : classify::clodo_name(context, reachable[i]);
        name_of[reachable[i]] = name.empty() ? "unknown" : std::move(name);
    }
    for (size_t i = 0; i < reachable.size(); ++i) {
        if (i % kNodesPerPoll == 0)
            context.checkpoint(kStep, reachable.size() + i, 2 * reachable.size());
        const uint32_t node = reachable[i];
        bool nested = false;
        for (uint32_t up = tree.idom[node];
             up != heap::DominatorTree::kNone && up != heap::ObjectGraph::kRoot; up = tree.idom[up])
            if (name_of[up] == name_of[node]) {
                nested = true;
                break;
            }
        TopEntry& e = kinds[name_of[node]];
        e.name = name_of[node];
        e.size += graph.size_of(node);
        e.nodes.push_back(node);
        if (!nested) {
            e.retained += tree.retained[node];
            ++e.count;
        }
    }
    std::vector<TopEntry> entries;
    for (auto& [name, e] : kinds) entries.push_back(std::move(e));
    std::sort(entries.begin(), entries.end(), [&](const TopEntry& x, const TopEntry& y) {
        uint64_t vx = options.by_size ? x.size : x.retained;
        uint64_t vy = options.by_size ? y.size : y.retained;
        return vx != vy ? vx > vy : x.name < y.name;
    });
    if (entries.size() > options.limit) entries.resize(options.limit);
    return entries;
}

std::vector<TopEntry> top_objects(Analysis& a, const classify::ClassifyContext& context,
                                  const TopOptions& options) {
    const heap::DominatorTree& tree = a.dominators();
    const heap::ObjectGraph& graph = a.graph();
    auto value = [&](uint32_t node) {
        return options.by_size ? graph.size_of(node) : tree.retained[node];
    };
    std::vector<uint32_t> nodes = a.reachable();
    const size_t n = std::min(options.limit, nodes.size());
    std::partial_sort(
        nodes.begin(), nodes.begin() + std::ptrdiff_t(n), nodes.end(),
        [&](uint32_t x, uint32_t y) { return value(x) != value(y) ? value(x) > value(y) : x < y; });
    nodes.resize(n);
    std::vector<TopEntry> entries;
    for (uint32_t node : nodes) {
        context.checkpoint("finding the paths to the objects", entries.size(), nodes.size());
        entries.push_back({classify::clodo_name(context, node),
                           graph.nodes[node].address(),
                           tree.retained[node],
                           graph.size_of(node),
                           tree.retained_count[node],
                           first_path(a, node),
                           {node}});
    }
    return entries;
}

std::string cmd_top(SessionState& state, const Arguments& args) {
    const TopOptions options = top_options(args);
    Analysis& a = state.analysis();
    const uint64_t reachable_size = a.dominators().retained[heap::ObjectGraph::kRoot];
    const classify::ClassifierInfo clodo = *classify::find_classifier("clodo");
    auto context = state.context(clodo);
    if (options.by_producer) {
        cpython::Tracemalloc& tracemalloc = a.tracemalloc();
        if (!tracemalloc.unavailable().empty())
            throw Error(fmt::format(
                "{}: no producers to rank.{}", tracemalloc.unavailable(),
                tracemalloc.tracing() ? "" : std::string(" ") + cpython::kTracemallocHint));
    }
    const std::vector<TopEntry> entries =
        options.kinds ? top_kinds(a, context, options) : top_objects(a, context, options);

    std::string text = top_text(entries, options, a.reachable().size(), reachable_size);
    if (state.reference())
        text += "The reference point (setref) does not apply: top covers the whole heap.\n";
    std::string json = top_json(entries, reachable_size, options.by_size);
    state.set_rows_table(top_rows_table(entries, a.reachable().size(), reachable_size), clodo);
    return state.show_listing(single_page_listing(std::move(text), std::move(json)), false,
                              args.flag("json"));
}

} // namespace heapy::commands
