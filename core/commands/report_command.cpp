// report: one HTML page with where the memory is (html_report.hpp; the page: report/html/).
#include "core/commands/commands.hpp"
#include "core/commands/export_file.hpp"
#include "core/commands/report_tree.hpp"
#include "core/commands/stack_locals.hpp"
#include "core/commands/top_entries.hpp"
#include "core/cpython/python_stacks.hpp"
#include "core/errors.hpp"
#include "core/report/diff_format.hpp"
#include "core/report/html_report.hpp"
#include "core/report/stat.hpp"
#include "core/report/stat_dump.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace heapy::commands {

namespace {

using nlohmann::json;

constexpr size_t kDefaultDetail = 5000;
constexpr size_t kTopObjects = 10;
constexpr size_t kUnreachableKinds = 20; // kinds shown for heapu's garbage and held parts

size_t count_option(const Arguments& args, std::string_view name, size_t fallback) {
    const std::string* text = args.value(name);
    if (!text) return fallback;
    try {
        size_t used = 0;
        const long long n = std::stoll(*text, &used);
        if (used == text->size() && n > 0) return size_t(n);
    } catch (const std::exception&) {
    }
    throw Error(fmt::format("--{} wants a positive number, not '{}'", name, *text));
}

double now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

// The Stat dump of --diff, read before the heap is walked so that a bad file fails at once.
report::Stat load_old_stat(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return report::load_stat(text.str());
    } catch (const Error& e) {
        throw Error(fmt::format("{} is not a Stat dump of 'heapy dump': {}", path, e.what()));
    }
}

json partition_rows(const report::Partition& table, size_t max_rows = SIZE_MAX) {
    json rows = json::array();
    for (size_t i = 0; i < table.rows.size() && i < max_rows; ++i)
        rows.push_back({table.kind(i), table.rows[i].count, table.rows[i].size});
    return rows;
}

json partition_json(const classify::ClassifyContext& context, classify::SharedNodes nodes,
                    std::string_view classifier, size_t max_rows = SIZE_MAX) {
    const auto result =
        classify::partition(context, std::move(nodes), *classify::find_classifier(classifier));
    return {{"classifier", classifier},          {"header", result.table.header},
            {"count", result.table.count},       {"size", result.table.size},
            {"kinds", result.table.rows.size()}, {"rows", partition_rows(result.table, max_rows)}};
}

json top_json(Analysis& a, const classify::ClassifyContext& context) {
    TopOptions options;
    options.limit = kTopObjects;
    json rows = json::array();
    for (const TopEntry& e : top_objects(a, context, options))
        rows.push_back({{"kind", e.name},
                        {"address", fmt::format("0x{:x}", e.address)},
                        {"retained", e.retained},
                        {"size", e.size},
                        {"count", e.count},
                        {"path", e.path}});
    return rows;
}

json unreachable_json(SessionState& state, Analysis& a) {
    const heap::UnreachableSplit& split = a.unreachable();
    auto context = state.context(*classify::find_classifier("type"));
    auto part = [&](const std::vector<uint32_t>& nodes) {
        return partition_json(context, std::make_shared<const NodeSet>(nodes), "type",
                              kUnreachableKinds);
    };
    json notes = json::array();
    if (a.gc_lists().collecting)
        notes.push_back("The process was inside a garbage collection: the GC lists may be "
                        "incomplete.");
    if (a.gc_lists().broken)
        notes.push_back("A GC list was cut short (unreadable or looping memory): objects may be "
                        "missing.");
    return {{"garbage", part(split.garbage)}, {"held", part(split.held)}, {"notes", notes}};
}

json stacks_json(Analysis& a, const memory::Target& target, classify::ClassifyContext& context) {
    const cpython::Runtime& rt = a.runtime();
    json threads = json::array();
    for (const cpython::ThreadStack& s : cpython::python_stacks(rt, a.decoder(), &target)) {
        json frames = json::array();
        for (const cpython::PythonFrame& frame : s.frames) {
            json locals = json::array();
            for (const LocalRow& row : local_rows(a, context, frame))
                locals.push_back({row.local->name, row.kind, row.size, row.retained});
            frames.push_back({{"function", frame.function},
                              {"file", frame.file},
                              {"line", frame.line},
                              {"locals", std::move(locals)}});
        }
        json thread = {{"interpreter", s.interpreter},
                       {"thread_id", s.thread.thread_id},
                       {"cut", s.cut},
                       {"frames", std::move(frames)}};
        if (s.thread.native_thread_id != 0) thread["native_thread_id"] = s.thread.native_thread_id;
        if (!s.name.empty()) thread["name"] = s.name;
        if (s.activity != cpython::ThreadActivity::Unknown || s.syscall)
            thread["activity"] = cpython::activity_text(s);
        threads.push_back(std::move(thread));
    }
    return threads;
}

json diff_json(SessionState& state, const report::Stat& old, const std::string& path) {
    const auto classifier = classify::find_classifier_by_header(old.kindheader);
    if (!classifier)
        throw Error(fmt::format("{} was made with a table 'heapy report' cannot make ('{}'); "
                                "dump 'heapy heap' (Clodo) or 'heapy heap --by type'",
                                path, old.kindheader));
    const auto result = classify::partition(state.context(*classifier, true), nullptr, *classifier);
    const report::Stat now_stat = report::partition_stat(result.table, now());
    const report::Stat difference = report::stat_difference(now_stat, old, now());
    json rows = json::array();
    for (const report::StatRow& row : difference.rows)
        rows.push_back({row.kind, row.count, row.size});
    return {{"file", path},           {"header", old.kindheader}, {"old_count", old.count},
            {"old_size", old.size},   {"count", now_stat.count},  {"size", now_stat.size},
            {"rows", std::move(rows)}};
}

json header_json(SessionState& state, Analysis& a) {
    const cpython::Runtime& rt = a.runtime();
    size_t threads = 0;
    for (const auto& interp : rt.interpreters) threads += interp.threads.size();
    uint64_t size = 0;
    for (uint32_t node : a.reachable()) size += a.graph().size_of(node);
    json notes = json::array();
    auto add_lines = [&](const std::string& text) {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);)
            if (!line.empty()) notes.push_back(line);
    };
    add_lines(unreadable_note(a.graph().unreadable));
    add_lines(guessed_note(a.graph().guessed));
    add_lines(state.truncation_line());
    for (const auto& note : state.target().notes) notes.push_back("Note: " + note);
    if (state.reference())
        notes.push_back("The reference point (setref) does not apply: the report covers the "
                        "whole heap.");
    return {{"target", state.target().description},
            {"python", rt.version.text()},
            {"interpreters", rt.interpreters.size()},
            {"threads", threads},
            {"objects", a.reachable().size()},
            {"size", size},
            {"retained", a.dominators().retained[heap::ObjectGraph::kRoot]},
            {"heapy", HEAPY_VERSION},
            {"notes", std::move(notes)}};
}

} // namespace

std::string cmd_report(SessionState& state, const Arguments& args) {
    if (args.positional.size() != 1)
        throw Error("'heapy report' needs one file name (see 'heapy help report')");
    const std::string& path = args.positional[0];
    const size_t detail = count_option(args, "detail", kDefaultDetail);
    std::optional<report::Stat> old;
    if (const std::string* diff = args.value("diff")) old = load_old_stat(*diff);
    ExportFile file(path); // before the walk: a path that cannot be written fails at once

    Analysis& a = state.analysis();
    auto clodo = state.context(*classify::find_classifier("clodo"), true);
    json data = {{"header", header_json(state, a)}};
    data["tree"] = retained_tree_json(a, clodo, detail);
    data["top"] = top_json(a, clodo);
    data["partitions"] = {
        partition_json(clodo, nullptr, "clodo"),
        partition_json(state.context(*classify::find_classifier("type"), true), nullptr, "type")};
    data["unreachable"] = unreachable_json(state, a);
    data["stacks"] = stacks_json(a, state.target(), clodo);
    if (old) data["diff"] = diff_json(state, *old, *args.value("diff"));

    std::string page =
        report::html_report(fmt::format("heapy report: {}", state.target().description),
                            data.dump(-1, ' ', false, json::error_handler_t::replace));
    const size_t bytes = page.size();
    file.write(page);
    file.finish();
    const size_t boxes = data["tree"]["boxes"].size();
    if (args.flag("json")) {
        json out = {{"file", path}, {"bytes", bytes}, {"boxes", boxes}};
        return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    }
    return fmt::format("Wrote {} ({} bytes, {} boxes in the chart).\n", path, bytes, boxes);
}

} // namespace heapy::commands
