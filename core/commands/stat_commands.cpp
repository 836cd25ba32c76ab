// Commands on summaries: setref, dump, load, diff.
#include "core/commands/commands.hpp"
#include "core/errors.hpp"
#include "core/report/diff_format.hpp"
#include "core/report/stat.hpp"
#include "core/report/stat_dump.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace heapy::commands {

namespace {

double now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

const std::string& file_argument(const Arguments& args, std::string_view command) {
    if (args.positional.size() != 1)
        throw Error(
            fmt::format("'heapy {}' needs one file name (see 'heapy help {}')", command, command));
    return args.positional[0];
}

// The last table shown; without one (a first command), the reachable heap classified as a
// table with the header `header` would be (Clodo when none is given or no classifier has it).
report::Stat last_table_stat(SessionState& state,
                             std::optional<std::string_view> header = std::nullopt) {
    if (!state.last_partition()) {
        auto classifier = header ? classify::find_classifier_by_header(*header) : std::nullopt;
        state.show_set(state.current_or_heap(),
                       classifier ? *classifier : *classify::find_classifier("clodo"), Arguments{});
    }
    return report::partition_stat(state.last_partition()->table, now());
}

std::string stat_json(const report::Stat& stat, size_t first, size_t max) {
    std::string out = fmt::format("{{\"count\": {}, \"size\": {}", stat.count, stat.size);
    if (stat.b_count)
        out += fmt::format(", \"b_count\": {}, \"b_size\": {}", *stat.b_count,
                           stat.b_size.value_or(0));
    out += fmt::format(", \"header\": \"{}\", \"rows\": [", json_escape(stat.kindheader));
    size_t end = max == SIZE_MAX ? stat.rows.size() : std::min(stat.rows.size(), first + max);
    for (size_t i = std::min(first, end); i < end; ++i)
        out +=
            fmt::format("{}{{{}\"kind\": \"{}\", \"count\": {}, \"size\": {}}}",
                        i == first ? "" : ", ", first > 0 ? fmt::format("\"index\": {}, ", i) : "",
                        json_escape(stat.rows[i].kind), stat.rows[i].count, stat.rows[i].size);
    return out + "]}";
}

std::string show_stat(SessionState& state, report::Stat stat, const Arguments& args) {
    auto shared = std::make_shared<report::Stat>(std::move(stat));
    Listing listing;
    listing.text = [shared](size_t first, size_t max, bool top) {
        return report::format_stat(*shared, first, max, top);
    };
    listing.page_end = [shared](size_t first, size_t max) {
        return report::stat_page_end(*shared, first, max);
    };
    listing.json = [shared](size_t first, size_t max) { return stat_json(*shared, first, max); };
    return state.show_listing(std::move(listing), args.flag("all"), args.flag("json"));
}

} // namespace

std::string cmd_setref(SessionState& state, const Arguments& args) {
    if (args.flag("clear")) {
        state.clear_reference();
        if (args.flag("json")) return "{\"reference_point\": null}\n";
        return "Reference point cleared: 'heapy heap' shows the whole heap again.\n";
    }
    if (!is_live_process(state.target()))
        throw Error("setref needs a live process: a core never changes, so every later table "
                    "would be empty; to compare two cores of one program, 'heapy dump FILE' on "
                    "the first and 'heapy diff FILE' on the second");
    Analysis& a = state.analysis();
    std::vector<uint64_t> addresses;
    addresses.reserve(a.reachable().size());
    for (uint32_t node : a.reachable()) addresses.push_back(a.graph().nodes[node].address());
    for (uint32_t node : a.unreachable().all) addresses.push_back(a.graph().nodes[node].address());
    const size_t count = state.set_reference(std::move(addresses));
    if (args.flag("json")) return fmt::format("{{\"reference_point\": {}}}\n", count);
    return fmt::format(
        "Reference point set at {} objects: later 'heapy heap' and 'heapy heapu' show only objects "
        "created after it.\n",
        count);
}

std::string cmd_dump(SessionState& state, const Arguments& args) {
    const std::string& path = file_argument(args, "dump");
    report::Stat stat = last_table_stat(state);
    std::string existing;
    if (std::ifstream probe(path, std::ios::binary); probe) existing = read_file(path);
    std::string text = report::append_stat_dump(existing, stat);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush())
        throw Error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    if (args.flag("json"))
        return fmt::format("{{\"file\": \"{}\", \"rows\": {}, \"count\": {}, \"size\": {}}}\n",
                           json_escape(path), stat.rows.size(), stat.count, stat.size);
    return fmt::format("Wrote {} rows ({} objects, {} bytes) to {}.\n", stat.rows.size(),
                       stat.count, stat.size, path);
}

std::string cmd_load(SessionState& state, const Arguments& args) {
    const std::string& path = file_argument(args, "load");
    return show_stat(state, report::load_stat(read_file(path)), args);
}

std::string cmd_diff(SessionState& state, const Arguments& args) {
    const std::string& path = file_argument(args, "diff");
    report::Stat b = report::load_stat(read_file(path));
    report::Stat a = last_table_stat(state, b.kindheader);
    if (a.kindheader != b.kindheader)
        throw Error(fmt::format(
            "{} was made with another classifier ('{}'); show the heap the same way first, e.g. "
            "'heapy heap --by ...'",
            path, b.kindheader));
    return show_stat(state, report::stat_difference(a, b, now()), args);
}

} // namespace heapy::commands
