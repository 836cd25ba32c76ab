#include "core/commands/session.hpp"

#include "core/classify/classifier.hpp"
#include "core/commands/analysis.hpp"
#include "core/commands/arguments.hpp"
#include "core/errors.hpp"
#include "core/report/set_format.hpp"

#include <fmt/format.h>

#include <functional>
#include <optional>

namespace heapy::commands {

namespace {

struct CommandSpec {
    std::string_view name;
    std::string_view summary;
    std::string_view usage;
    std::string_view details;
    std::vector<OptionSpec> options;
};

const std::vector<CommandSpec>& command_specs() {
    static const std::vector<CommandSpec> specs = {
        {"heap", "Show the reachable heap, partitioned as hpy().heap() would.",
         "heapy heap [--by KIND] [--all] [--json]",
         "Walks every object reachable from the interpreters, their modules and every thread's frames,\n"
         "and prints heapy's partition table (first 10 rows; 'heapy more' shows the next ones).\n"
         "  --by KIND   classify by clodo (class or dict owner, the default) or type\n"
         "  --all       print every row\n"
         "  --json      print one line of JSON with every row\n"
         "Example:\n"
         "  (gdb) heapy heap --by type",
         {{"by", true}, {"all", false}, {"json", false}}},
        {"more", "Show the next rows of the last table (heapy's _.more).", "heapy more [--json]",
         "Example:\n  (gdb) heapy heap\n  (gdb) heapy more", {{"json", false}}},
        {"all", "Show every row of the last table (heapy's _.all).", "heapy all [--json]",
         "Example:\n  (gdb) heapy heap\n  (gdb) heapy all", {{"json", false}}},
        {"info", "Show the Python runtime found in the target and how it was found.", "heapy info [--json]",
         "Prints the CPython version, where _PyRuntime is, the interpreters and threads, and the size of\n"
         "the reachable heap.\nExample:\n  (lldb) heapy info",
         {{"json", false}}},
        {"_objects", "", "heapy _objects",
         "Lists every reachable object as 'address size kind' (a tool for heapy's own tests).", {}},
        {"help", "Show help for heapy or one of its commands.", "heapy help [COMMAND]",
         "Example:\n  heapy help heap", {}},
    };
    return specs;
}

const CommandSpec* find_command(std::string_view name) {
    for (const auto& spec : command_specs())
        if (spec.name == name) return &spec;
    return nullptr;
}

std::string unreadable_note(uint64_t unreadable) {
    if (unreadable == 0) return {};
    return fmt::format("{} object{} could not be read (missing or corrupt memory) and {} skipped.\n", unreadable,
                       unreadable == 1 ? "" : "s", unreadable == 1 ? "was" : "were");
}

// Text ends with exactly one newline, as a command's output must.
std::string line_ended(std::string text) {
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    return text;
}

std::string json_escape(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(char(c));
        } else if (c < 0x20) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out.push_back(char(c));
        }
    }
    return out;
}

} // namespace

struct Session::State {
    memory::Target target;
    FrontEnd frontend;
    std::unique_ptr<Analysis> analysis;
    std::optional<report::Partition> last;
    size_t next_row = 0;

    Analysis& analysed() {
        if (!analysis) analysis = std::make_unique<Analysis>(target, frontend);
        return *analysis;
    }

    std::string show_partition(report::Partition partition, bool all, bool json) {
        const uint64_t unreadable = analysed().graph().unreadable;
        std::string out;
        if (json) {
            out = report::partition_json(partition);
            if (unreadable && out.size() > 1 && out.back() == '}') {
                out.pop_back();
                out += fmt::format(", \"unreadable\": {}}}", unreadable);
            }
            out += "\n";
        } else {
            out = line_ended(report::format_partition(partition, 0, all ? SIZE_MAX : report::kRowsPerPage, true));
            out += unreadable_note(unreadable);
        }
        next_row = all ? partition.rows.size() : std::min(partition.rows.size(), report::kRowsPerPage);
        last = std::move(partition);
        return out;
    }

    std::string heap(const Arguments& args) {
        const std::string* by = args.value("by");
        auto classifier = classify::find_classifier(by ? *by : "clodo");
        if (!classifier)
            throw Error(fmt::format("unknown classifier '{}': use one of {}", *by, classify::classifier_names()));
        Analysis& a = analysed();
        return show_partition(classify::partition(a.classify_context(), a.reachable(), *classifier), args.flag("all"),
                              args.flag("json"));
    }

    std::string more(const Arguments& args, bool all) {
        if (!last) throw Error("no table to continue: run 'heapy heap' first");
        const report::Partition& p = *last;
        if (args.flag("json")) {
            report::Partition rest = p;
            rest.rows.assign(p.rows.begin() + std::ptrdiff_t(all ? 0 : next_row), p.rows.end());
            if (!all && rest.rows.size() > report::kRowsPerPage) rest.rows.resize(report::kRowsPerPage);
            next_row = all ? p.rows.size() : next_row + rest.rows.size();
            return report::partition_json(rest) + "\n";
        }
        if (all) {
            next_row = p.rows.size();
            return line_ended(report::format_partition(p, 0, SIZE_MAX, true));
        }
        if (next_row >= p.rows.size()) return "No more rows.\n";
        std::string out = line_ended(report::format_partition(p, next_row, report::kRowsPerPage, false));
        size_t shown = std::min(report::kRowsPerPage, p.rows.size() - next_row);
        if (p.rows.size() - next_row == report::kRowsPerPage + 1) shown += 1;
        next_row += shown;
        return out;
    }

    std::string objects() {
        Analysis& a = analysed();
        auto context = a.classify_context();
        auto clodo = *classify::find_classifier("clodo");
        std::string out;
        for (uint32_t node : a.reachable()) {
            report::Partition one = classify::partition(context, {node}, clodo);
            out += fmt::format("0x{:x} {} {}\n", a.graph().nodes[node].address(), a.graph().size_of(node),
                               one.rows.front().kind);
        }
        return out;
    }

    std::string info(const Arguments& args) {
        Analysis& a = analysed();
        const cpython::Runtime& rt = a.runtime();
        size_t threads = 0;
        for (const auto& interp : rt.interpreters) threads += interp.threads.size();
        if (args.flag("json")) {
            return fmt::format("{{\"python\": \"{}\", \"runtime\": \"0x{:x}\", \"interpreters\": {}, \"threads\": {}, "
                               "\"objects\": {}, \"size\": {}, \"unreadable\": {}, \"found_by\": \"{}\", "
                               "\"target\": \"{}\"}}\n",
                               rt.version.text(), rt.address, rt.interpreters.size(), threads,
                               a.graph().object_count(), a.graph().total_size, a.graph().unreadable,
                               json_escape(rt.found_by), json_escape(target.description));
        }
        std::string out = fmt::format("Target: {}\nPython: CPython {} ({})\n_PyRuntime: 0x{:x}\n", target.description,
                                      rt.version.text(), rt.found_by, rt.address);
        for (const auto& interp : rt.interpreters) {
            out += fmt::format("Interpreter i{} at 0x{:x} (id {}): {} thread{}\n", interp.number, interp.address,
                               interp.id, interp.threads.size(), interp.threads.size() == 1 ? "" : "s");
            for (const auto& thread : interp.threads)
                out += fmt::format("  thread {} (native {}) at 0x{:x}\n", thread.thread_id, thread.native_thread_id,
                                   thread.address);
        }
        out += fmt::format("Reachable heap: {} objects, {} bytes\n", a.graph().object_count(), a.graph().total_size);
        out += unreadable_note(a.graph().unreadable);
        for (const auto& note : target.notes) out += "Note: " + note + "\n";
        return out;
    }
};

Session::Session(memory::Target target, FrontEnd frontend)
    : state_(std::make_unique<State>(State{std::move(target), std::move(frontend), nullptr, std::nullopt, 0})) {}
Session::~Session() = default;

CommandResult Session::run(std::span<const std::string> args) {
    if (args.empty()) return {0, help(), ""};
    const std::string& name = args[0];
    const CommandSpec* spec = find_command(name);
    if (!spec) return {2, "", fmt::format("unknown command '{}': run 'heapy help' for the list", name)};
    try {
        Arguments parsed = parse_arguments(name, args.subspan(1), spec->options);
        if (name == "help") return {0, help(parsed.positional.empty() ? "" : parsed.positional[0]), ""};
        if (!parsed.positional.empty())
            throw Error(fmt::format("'heapy {}' takes no argument '{}' (usage: {})", name, parsed.positional[0],
                                    spec->usage));
        if (name == "heap") return {0, state_->heap(parsed), ""};
        if (name == "more") return {0, state_->more(parsed, false), ""};
        if (name == "all") return {0, state_->more(parsed, true), ""};
        if (name == "info") return {0, state_->info(parsed), ""};
        if (name == "_objects") return {0, state_->objects(), ""};
        return {2, "", fmt::format("command '{}' is not implemented", name)};
    } catch (const Interrupted&) {
        return {130, "", "interrupted"};
    } catch (const Error& e) {
        return {1, "", e.what()};
    } catch (const std::bad_alloc&) {
        return {1, "", "out of memory while analysing the heap"};
    } catch (const std::exception& e) {
        return {1, "", fmt::format("internal error: {}", e.what())};
    }
}

std::string Session::help(std::string_view topic) {
    if (!topic.empty()) {
        const CommandSpec* spec = find_command(topic);
        if (!spec) return fmt::format("Unknown command '{}'. Run 'heapy help' for the list.\n", topic);
        return fmt::format("{}\n\nUsage: {}\n\n{}\n", spec->summary, spec->usage, spec->details);
    }
    std::string out = "heapy: guppy3's heapy for CPython heaps in cores and paused processes.\n\nCommands:\n";
    for (const auto& spec : command_specs())
        if (!spec.summary.empty()) out += fmt::format("  {:<8} {}\n", spec.name, spec.summary);
    out += "\nRun 'heapy help COMMAND' for details and an example.\n";
    return out;
}

} // namespace heapy::commands
