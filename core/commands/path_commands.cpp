// Commands that show how objects are held: shpaths (heapy's X.sp) and rp (heapy's X.rp).
#include "core/classify/render.hpp"
#include "core/commands/commands.hpp"
#include "core/commands/refpat_source.hpp"
#include "core/errors.hpp"
#include "core/heap/reference_pattern.hpp"
#include "core/heap/shortest_paths.hpp"
#include "core/report/path_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace heapy::commands {

namespace {

constexpr size_t kMaxJsonPaths = 10000;
constexpr size_t kMaxJsonLines = 10000;

size_t positive_option(const Arguments& args, std::string_view name, size_t fallback) {
    const std::string* text = args.value(name);
    if (!text) return fallback;
    try {
        size_t used = 0;
        long long value = std::stoll(*text, &used);
        if (used == text->size() && value > 0) return size_t(value);
    } catch (const std::exception&) {
    }
    throw Error(fmt::format("--{} needs a positive number, not '{}'", name, *text));
}

// The node of the object at `word`, walking the unreachable objects if need be.
uint32_t node_of(Analysis& a, const std::string& word) {
    uint64_t address = parse_address(word);
    auto node = a.node_at(address);
    if (!node) {
        a.unreachable();
        node = a.node_at(address);
    }
    if (!node || *node == heap::ObjectGraph::kRoot)
        throw Error(fmt::format(
            "no object at {} in the heap (not reachable, not on a GC list, or not an object)",
            word));
    return *node;
}

// Everything a paths listing needs after the command returned.
struct PathsState {
    PathsState(cpython::ObjectDecoder& decoder, const heap::ObjectGraph& graph,
               uint32_t reachable_end, const std::vector<uint32_t>& targets,
               const std::function<bool()>& interrupted)
        : relations(decoder, graph), paths(graph, reachable_end, targets, relations, interrupted) {}
    heap::DecodedRelations relations;
    heap::ShortestPaths paths;
};

// The Clodo kind of a set's objects, "<mixed>" when they differ.
std::string kind_of_set(classify::Renderer& renderer, const heap::NodeList& set) {
    if (set.empty()) return "<Nothing>";
    std::string kind = renderer.kind_brief(set.front());
    for (uint32_t node : set)
        if (renderer.kind_brief(node) != kind) return "<mixed>";
    return kind;
}

struct PatternState {
    PatternState(classify::ClassifyContext context, const heap::Referrers& referrers,
                 heap::NodeList set, uint32_t depth)
        : source(context, referrers), pattern(source, std::move(set), depth) {}
    ClassifiedSource source;
    heap::ReferencePattern pattern;
};

// heapy's Printer.get_str over a pattern that is generated only as far as the page needs.
struct PatternPage {
    std::string text;
    size_t next = 0;
};

PatternPage pattern_page(heap::ReferencePattern& rp, size_t first, size_t max, bool top) {
    std::vector<std::string> out;
    if (top) out.emplace_back(heap::ReferencePattern::kLabel);
    size_t lineno = first;
    size_t printed = 0;
    while (rp.has_line(lineno)) {
        if (max != SIZE_MAX && printed >= max) {
            if (!rp.has_line(lineno + 1)) {
                out.push_back(rp.text(lineno));
                ++lineno;
                break;
            }
            // _oh_get_more_state_msg: the count only once the whole pattern was generated.
            std::string state =
                rp.fully_generated() ? fmt::format("{} more lines. ", rp.generated() - lineno) : "";
            out.push_back("<" + state + "Type e.g. '_.more' for more.>");
            break;
        }
        out.push_back(rp.text(lineno));
        ++printed;
        ++lineno;
    }
    PatternPage page;
    page.text = fmt::format("{}", fmt::join(out, "\n"));
    while (!page.text.empty() && (page.text.back() == ' ' || page.text.back() == '\n'))
        page.text.pop_back();
    page.next = lineno;
    return page;
}

} // namespace

std::string cmd_shpaths(SessionState& state, const Arguments& args) {
    if (args.positional.size() > 1)
        throw Error("'heapy shpaths' takes at most one address (see 'heapy help shpaths')");
    const size_t limit = positive_option(args, "limit", report::kRowsPerPage);
    Analysis& a = state.analysis();
    std::vector<uint32_t> targets;
    std::string what;
    if (args.positional.size() == 1) {
        targets.push_back(node_of(a, args.positional[0]));
        what = fmt::format("the object at 0x{:x} is not", a.graph().nodes[targets[0]].address());
    } else {
        targets = state.current();
        what =
            targets.size() == 1
                ? fmt::format("the object at 0x{:x} is not", a.graph().nodes[targets[0]].address())
                : fmt::format("none of the {} objects of the current set is", targets.size());
    }
    const uint32_t reachable_end = a.classify_context().reachable_end;
    auto shared = std::make_shared<PathsState>(a.decoder(), a.graph(), reachable_end, targets,
                                               state.frontend().interrupted);
    heap::ShortestPaths& paths = shared->paths;
    const bool json = args.flag("json");

    if (paths.count() == 0) {
        // heapy prints nothing; say why.
        if (json) return "{\"paths\": [], \"total\": 0, \"reachable\": false}\n";
        if (targets.empty()) return "No path: the current set is empty.\n";
        return fmt::format("No path: {} reachable from the root (see 'heapy heapu').\n", what);
    }
    const uint64_t total = paths.count();
    auto path_text = [shared](size_t i) { return shared->paths.text(i); };
    auto page_size = [limit](size_t max) { return max == SIZE_MAX ? max : limit; };
    Listing listing;
    listing.text = [total, path_text, page_size](size_t first, size_t max, bool) {
        return report::format_paths(size_t(total), path_text, first, page_size(max));
    };
    listing.page_end = [total, page_size](size_t first, size_t max) {
        return report::paths_page_end(size_t(total), first, page_size(max));
    };
    listing.json = [total, path_text](size_t first, size_t max) {
        std::vector<std::string> texts;
        const size_t end = size_t(std::min<uint64_t>(total, max == SIZE_MAX ? total : first + max));
        for (size_t i = first; i < end && texts.size() < kMaxJsonPaths; ++i)
            texts.push_back(path_text(i));
        std::string out = report::paths_json(texts);
        out.pop_back();
        return out + fmt::format(", \"total\": {}}}", total);
    };
    std::string text = state.show_listing(std::move(listing), args.flag("all"), json);
    if (paths.saturated() && !json)
        text += "The number of paths exceeds 2**64; the counts above are cut.\n";
    return text;
}

std::string cmd_rp(SessionState& state, const Arguments& args) {
    if (!args.positional.empty())
        throw Error("'heapy rp' takes no address: make the set with 'heapy iso ADDR' first");
    const size_t depth = positive_option(args, "depth", 7);
    Analysis& a = state.analysis();
    heap::NodeList set = state.current();
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    auto context = state.context(*classify::find_classifier("clodo"));
    auto shared = std::make_shared<PatternState>(context, a.referrers(), std::move(set),
                                                 uint32_t(std::min<size_t>(depth, UINT32_MAX)));
    Listing listing;
    listing.text = [shared](size_t first, size_t max, bool top) {
        return pattern_page(shared->pattern, first, max, top).text;
    };
    listing.page_end = [shared](size_t first, size_t max) {
        return pattern_page(shared->pattern, first, max, false).next;
    };
    listing.json = [shared](size_t first, size_t max) {
        heap::ReferencePattern& rp = shared->pattern;
        std::string out = fmt::format("{{\"label\": \"{}\", \"lines\": [",
                                      json_escape(heap::ReferencePattern::kLabel));
        const size_t end = max == SIZE_MAX ? SIZE_MAX : first + max;
        size_t shown = 0;
        for (size_t i = first; i < end && shown < kMaxJsonLines && rp.has_line(i); ++i, ++shown) {
            const auto& line = rp.line(i);
            out += fmt::format("{}{{\"index\": {}, \"name\": \"{}\", \"depth\": {}, \"marker\": "
                               "\"{}\", \"count\": {}, "
                               "\"kind\": \"{}\", \"text\": \"{}\"}}",
                               shown ? ", " : "", i, json_escape(line.name), line.depth,
                               rp.marker(i), line.set.size(),
                               json_escape(kind_of_set(shared->source.renderer(), line.set)),
                               json_escape(rp.text(i)));
        }
        bool complete = !rp.has_line(first + shown);
        return out + fmt::format("], \"complete\": {}}}", complete ? "true" : "false");
    };
    return state.show_listing(std::move(listing), args.flag("all"), args.flag("json"));
}

} // namespace heapy::commands
