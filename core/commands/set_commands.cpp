// Commands that make and show sets: heap, by, row, select, iso, referrers, referents, heapu,
// leaks.
#include "core/commands/commands.hpp"
#include "core/commands/node_sets.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

namespace {

constexpr std::string_view kSinceReferenceNote =
    "Only objects created since the reference point are shown\n"
    "('setref --clear' shows all).\n";

NodeSet unique_nodes(SessionState& state, NodeSet nodes) {
    return commands::sorted_unique(std::move(nodes), state.analysis().graph().nodes.size(),
                                   state.frontend());
}

// The reachable heap minus the objects that were there at the reference point (null: all of it).
SharedNodeSet heap_set(SessionState& state) {
    Analysis& a = state.analysis();
    ReferencePoint old = state.reference();
    if (!old) return nullptr;
    NodeSet out;
    for (uint32_t node : a.reachable())
        if (!contains(*old, a.graph().nodes[node].address())) out.push_back(node);
    return std::make_shared<const NodeSet>(std::move(out));
}

const std::string& single_word(const Arguments& args, std::string_view command,
                               std::string_view what) {
    if (args.positional.size() != 1)
        throw Error(fmt::format("'heapy {}' needs exactly one {} (see 'heapy help {}')", command,
                                what, command));
    return args.positional[0];
}

std::string show_current(SessionState& state, const Arguments& args,
                         const classify::ClassifierInfo& fallback) {
    auto classifier = args.value("by") ? classifier_option(args, "") : fallback;
    return state.show_set(state.current_or_heap(), classifier, args);
}

// A subset of the rows table: shown by its classifier, it leaves that table the one to pick
// from; with --by it becomes the table.
std::string show_subset(SessionState& state, const Arguments& args) {
    if (args.value("by")) return show_current(state, args, state.classifier());
    return state.show_set(state.current_or_heap(), state.classifier(), args, {}, TableRole::subset);
}

// The nodes minus the objects that were there at the reference point.
NodeSet since_reference(Analysis& a, const ReferencePoint& old, const NodeSet& nodes) {
    if (!old) return nodes;
    NodeSet out;
    for (uint32_t node : nodes)
        if (!contains(*old, a.graph().nodes[node].address())) out.push_back(node);
    return out;
}

uint64_t total_size(Analysis& a, const NodeSet& nodes) {
    uint64_t size = 0;
    for (uint32_t node : nodes) size += a.graph().size_of(node);
    return size;
}

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// What the search for leaks looked into, and what it could not.
std::string leak_search_note(const heap::UnfoundObjects& search) {
    if (search.no_regions)
        return "The target does not say where its memory is: no allocator was searched.\n";
    if (search.mimalloc)
        return fmt::format(
            "Searched {} of mimalloc's heaps{}.\n", plural(search.blocks, "block", "blocks"),
            search.mimalloc_whole ? "" : " (a heap was cut short: unreadable or looping)");
    std::string note =
        fmt::format("Searched {} ({}) and glibc malloc's {} ({}, {} mapped on their own).\n",
                    plural(search.pools.pools, "pymalloc pool", "pymalloc pools"),
                    plural(search.pools.blocks, "block", "blocks"),
                    plural(search.chunks.heaps, "heap", "heaps"),
                    plural(search.chunks.chunks, "chunk", "chunks"), search.chunks.mmapped);
    if (search.pools.pools == 0)
        note += "No pymalloc pool was found: was the process run with PYTHONMALLOC=malloc?\n";
    if (search.static_free_lists_unplaced > 0)
        note += fmt::format("{} of the interpreter's C free lists could not be placed (no local "
                            "symbols: a stripped libpython?): an object a stale slot of one names "
                            "counts as held by C, not as leaked.\n",
                            search.static_free_lists_unplaced);
    return note;
}

} // namespace

std::string cmd_heap(SessionState& state, const Arguments& args) {
    const classify::ClassifierInfo classifier = classifier_option(args, "clodo");
    // `by via` of the heap names nearly every edge: the first walk keeps their relations.
    state.analysis(classifier.classifier == classify::Classifier::Via);
    state.set_current(heap_set(state));
    return state.show_set(state.current_or_heap(), classifier, args,
                          state.reference() ? std::string(kSinceReferenceNote) : std::string());
}

std::string cmd_by(SessionState& state, const Arguments& args) {
    const std::string& name = single_word(args, "by", "classifier name");
    auto classifier = classify::find_classifier(name);
    if (!classifier)
        throw Error(fmt::format("unknown classifier '{}': use one of {}", name,
                                classify::classifier_names()));
    return state.show_set(state.current_or_heap(), *classifier, args);
}

std::string cmd_row(SessionState& state, const Arguments& args) {
    const std::string& word = single_word(args, "row", "row number");
    const classify::PartitionResult* last = state.rows_table();
    if (!last) throw Error("no table to pick a row from: run 'heapy heap' first");
    int64_t row = 0;
    try {
        size_t used = 0;
        row = std::stoll(word, &used);
        if (used != word.size()) throw std::invalid_argument(word);
    } catch (const std::exception&) {
        throw Error(fmt::format("'{}' is not a row number", word));
    }
    const int64_t rows = int64_t(last->table.rows.size());
    if (row < 0) row += rows; // heapy's h[-1]
    if (row < 0 || row >= rows)
        throw Error(fmt::format("row {} does not exist: the last table has {} row{}", word, rows,
                                rows == 1 ? "" : "s"));
    state.set_current(unique_nodes(state, last->members(size_t(row))));
    return show_subset(state, args);
}

std::string cmd_select(SessionState& state, const Arguments& args) {
    if (args.positional.empty())
        throw Error("'heapy select' needs the name of a kind, e.g. \"dict of __main__.Foo\"");
    std::string name;
    for (const auto& word : args.positional) name += (name.empty() ? "" : " ") + word;
    const classify::PartitionResult* last = state.rows_table();
    if (!last) throw Error("no table to select from: run 'heapy heap' first");
    NodeSet nodes;
    bool found = false;
    for (size_t i = 0; i < last->table.rows.size(); ++i) {
        const std::string name_of_row = last->table.kind(i);
        std::string_view kind = name_of_row;
        // Size kinds are printed right-aligned; accept them without the padding.
        if (kind == name || kind.substr(kind.find_first_not_of(' ') == std::string_view::npos
                                            ? 0
                                            : kind.find_first_not_of(' ')) == name) {
            const std::vector<uint32_t> members = last->members(i);
            nodes.insert(nodes.end(), members.begin(), members.end());
            found = true;
        }
    }
    if (!found)
        throw Error(fmt::format("the last table has no kind named '{}' (see 'heapy all')", name));
    state.set_current(unique_nodes(state, std::move(nodes)));
    return show_subset(state, args);
}

std::string cmd_iso(SessionState& state, const Arguments& args) {
    if (args.positional.empty())
        throw Error("'heapy iso' needs at least one address, e.g. heapy iso 0x7f3a5c1d2e40");
    Analysis& a = state.analysis();
    NodeSet nodes;
    for (const auto& word : args.positional) {
        uint64_t address = parse_address(word);
        auto node = a.node_at(address);
        if (!node) {
            a.unreachable(); // the object may be garbage the roots do not reach
            node = a.node_at(address);
        }
        if (!node || *node == heap::ObjectGraph::kRoot)
            throw Error(fmt::format(
                "no object at {} in the heap (not reachable, not on a GC list, or not an object)",
                word));
        nodes.push_back(*node);
    }
    state.set_current(unique_nodes(state, std::move(nodes)));
    return show_current(state, args, *classify::find_classifier("clodo"));
}

std::string cmd_referrers(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    const heap::Referrers& referrers = a.referrers();
    NodeSet out;
    const NodeSet& current = state.current();
    for (size_t i = 0; i < current.size(); ++i) {
        if (i % kNodesPerPoll == 0) {
            poll_interrupt(state.frontend());
            state.frontend().progress("finding the referrers", i, current.size());
        }
        const uint32_t node = current[i];
        for (uint32_t referrer : referrers.of(node)) {
            if (referrer == heap::ObjectGraph::kRoot) continue;
            // As heapy: the referrers of reachable objects are reachable objects.
            if (a.is_reachable(node) && !a.is_reachable(referrer)) continue;
            out.push_back(referrer);
        }
    }
    state.set_current(unique_nodes(state, std::move(out)));
    return show_current(state, args, *classify::find_classifier("clodo"));
}

std::string cmd_referents(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    const heap::ObjectGraph& graph = a.graph();
    NodeSet out;
    const NodeSet& current = state.current();
    for (size_t i = 0; i < current.size(); ++i) {
        if (i % kNodesPerPoll == 0) {
            poll_interrupt(state.frontend());
            state.frontend().progress("finding the referents", i, current.size());
        }
        const uint32_t node = current[i];
        for (uint32_t e = graph.edge_begin[node]; e < graph.edge_begin[node + 1]; ++e)
            out.push_back(graph.targets[e]);
    }
    state.set_current(unique_nodes(state, std::move(out)));
    return show_current(state, args, *classify::find_classifier("clodo"));
}

std::string cmd_heapu(SessionState& state, const Arguments& args) {
    if (args.flag("garbage") && args.flag("held")) throw Error("use --garbage or --held, not both");
    Analysis& a = state.analysis();
    const heap::UnreachableSplit& split = a.unreachable();
    const ReferencePoint old = state.reference();
    const NodeSet garbage = since_reference(a, old, split.garbage);
    const NodeSet held = since_reference(a, old, split.held);
    auto total = [&](const NodeSet& nodes) { return total_size(a, nodes); };
    std::string note =
        fmt::format("{} object{} ({} bytes) {} cyclic garbage a collection would free;\n"
                    "{} object{} ({} bytes) {} held from outside the Python heap.\n",
                    garbage.size(), garbage.size() == 1 ? "" : "s", total(garbage),
                    garbage.size() == 1 ? "is" : "are", held.size(), held.size() == 1 ? "" : "s",
                    total(held), held.size() == 1 ? "is" : "are");
    if (old) note += kSinceReferenceNote;
    if (a.gc_lists().collecting)
        note += "The process was inside a garbage collection: the GC lists may be incomplete.\n";
    if (a.gc_lists().broken)
        note += "A GC list was cut short (unreadable or looping memory): objects may be missing.\n";
    NodeSet nodes = args.flag("garbage") ? garbage
                    : args.flag("held")  ? held
                                         : since_reference(a, old, split.all);
    state.set_current(unique_nodes(state, std::move(nodes)));
    std::string shown =
        state.show_set(state.current_shared(), classifier_option(args, "type"), args, note);
    if (!args.flag("json")) return shown;
    return json_with_fields(
        std::move(shown),
        fmt::format("\"garbage\": {{\"count\": {}, \"size\": {}}}, \"held\": {{\"count\": {}, "
                    "\"size\": {}}}",
                    garbage.size(), total(garbage), held.size(), total(held)));
}

std::string cmd_leaks(SessionState& state, const Arguments& args) {
    Analysis& a = state.analysis();
    const Analysis::Leaks& leaks = a.leaks();
    const ReferencePoint old = state.reference();
    NodeSet nodes = since_reference(a, old, leaks.nodes);
    const uint64_t size = total_size(a, nodes);
    std::string note = fmt::format(
        "{} ({} bytes) {} alive in allocator blocks, yet neither reachable nor on a GC list:\n"
        "leaked references (a missing Py_DECREF) or objects only C code holds.\n",
        plural(nodes.size(), "object", "objects"), size, nodes.size() == 1 ? "is" : "are");
    note += leak_search_note(leaks.search);
    if (old) note += kSinceReferenceNote;
    const size_t count = nodes.size();
    state.set_current(unique_nodes(state, std::move(nodes)));
    std::string shown =
        state.show_set(state.current_shared(), classifier_option(args, "type"), args, note);
    if (!args.flag("json")) return shown;
    const heap::UnfoundObjects& search = leaks.search;
    return json_with_fields(
        std::move(shown),
        fmt::format("\"leaked\": {{\"count\": {}, \"size\": {}}}, \"searched\": {{\"allocator\": "
                    "\"{}\", \"blocks\": {}, \"pymalloc_pools\": {}, \"malloc_heaps\": {}, "
                    "\"malloc_chunks\": {}, \"complete\": {}}}",
                    count, size, search.mimalloc ? "mimalloc" : "pymalloc+malloc", search.blocks,
                    search.pools.pools, search.chunks.heaps, search.chunks.chunks,
                    !search.no_regions && search.mimalloc_whole));
}

std::string cmd_more(SessionState& state, const Arguments& args) {
    return state.more(false, args.flag("json"));
}

std::string cmd_all(SessionState& state, const Arguments& args) {
    return state.more(true, args.flag("json"));
}

} // namespace heapy::commands
