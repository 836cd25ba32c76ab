#include "core/commands/session.hpp"

#include "core/commands/commands.hpp"
#include "core/commands/help_examples.hpp"
#include "core/commands/help_wrap.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

namespace {
// The last progress report of the command that runs.
struct LastProgress {
    bool enabled = true;
    std::string what;
    uint64_t done = 0;
    uint64_t total = 0;
};

// The front end's progress reports, passed on only while enabled; and the last one again at each
// poll for Ctrl-C, so that a step that reports nothing itself (dominators, a BFS) still shows its
// seconds going by (the front end's printer redraws at most twice a second).
FrontEnd gated_progress(FrontEnd frontend, const std::shared_ptr<LastProgress>& last) {
    auto report = std::move(frontend.progress);
    frontend.progress = [last, report](std::string_view what, uint64_t done, uint64_t total) {
        if (!last->enabled) return;
        if (what != last->what) last->what = what;
        last->done = done;
        last->total = total;
        report(what, done, total);
    };
    frontend.interrupted = [last, report, asked = std::move(frontend.interrupted)] {
        if (last->enabled && !last->what.empty()) report(last->what, last->done, last->total);
        return asked();
    };
    return frontend;
}

bool has_word(std::span<const std::string> args, std::string_view word) {
    return std::find(args.begin(), args.end(), word) != args.end();
}
} // namespace

struct Session::State {
    std::shared_ptr<LastProgress> progress;
    SessionState state;
};

Session::Session(memory::Target target, FrontEnd frontend) {
    auto progress = std::make_shared<LastProgress>();
    state_ = std::make_unique<State>(State{
        progress, SessionState(std::move(target), gated_progress(std::move(frontend), progress))});
}
Session::~Session() = default;

memory::Target Session::no_target() {
    memory::Target target;
    target.description = "no target (the commands read files)";
    return target;
}

CommandResult Session::run(std::span<const std::string> words) {
    // --progress and --no-progress apply to every command; by default progress is shown, except
    // to a command that prints JSON (a script reads it).
    std::vector<std::string> kept;
    for (const std::string& word : words)
        if (word != "--progress" && word != "--no-progress") kept.push_back(word);
    *state_->progress = {};
    state_->progress->enabled = has_word(words, "--progress") ||
                                (!has_word(words, "--no-progress") && !has_word(kept, "--json"));
    std::span<const std::string> args(kept);
    if (args.empty()) return {0, help(), ""};
    const std::string& name = args[0];
    if (name == "help" || name == "--help" || name == "-h")
        return {0,
                help(args.size() > 1 ? std::string_view(args[1]) : std::string_view(),
                     state_->state.frontend().prompt, state_->state.frontend().columns()),
                ""};
    const CommandSpec* spec = find_command(name);
    if (!spec) {
        const std::string_view like = nearest_command(name);
        return {2, "",
                fmt::format("unknown command '{}'{}: run 'heapy help' for the list", name,
                            like.empty() ? "" : fmt::format(" (did you mean '{}'?)", like))};
    }
    try {
        Arguments parsed = parse_arguments(spec->name, args.subspan(1), spec->options);
        if (!spec->takes_words && !parsed.positional.empty())
            throw Error(fmt::format("'heapy {}' takes no argument '{}' (usage: {})", spec->name,
                                    parsed.positional[0], spec->usage));
        return {0, spec->handler(state_->state, parsed), ""};
    } catch (const OutputStopped&) {
        return {0, "", ""}; // the reader chose to stop: nothing more to say
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

std::vector<CommandInfo> Session::commands() {
    std::vector<CommandInfo> out;
    for (const auto& spec : command_table()) {
        CommandInfo info{std::string(spec.name),
                         {},
                         std::string(spec.summary),
                         std::string(spec.usage),
                         spec.summary.empty(),
                         spec.needs_target,
                         spec.options};
        for (auto alias : spec.aliases) info.aliases.emplace_back(alias);
        out.push_back(std::move(info));
    }
    return out;
}

std::string Session::help(std::string_view topic, Prompt prompt, size_t width) {
    return fit_help(help_text(topic, prompt), width);
}

std::string Session::help_text(std::string_view topic, Prompt prompt) {
    if (!topic.empty()) {
        const CommandSpec* spec = find_command(topic);
        if (!spec)
            return fmt::format("Unknown command '{}'. Run 'heapy help' for the list.\n", topic);
        std::string aliases;
        for (auto alias : spec->aliases) aliases += fmt::format(" (alias: {})", alias);
        return fmt::format("{}{}\n\nUsage: {}\n\n{}\n", spec->summary, aliases, spec->usage,
                           examples_at(spec->details, prompt));
    }
    std::string out =
        "heapy: guppy3's heapy for CPython heaps in cores and paused processes.\n\nCommands:\n";
    for (const auto& spec : command_table())
        if (!spec.summary.empty()) out += fmt::format("  {:<10} {}\n", spec.name, spec.summary);
    out += "\nEvery command also takes --no-progress (no status line while it works) and "
           "--progress (a\n"
           "status line even with --json). Ctrl-C stops a command; the session stays usable.\n"
           "Run 'heapy help COMMAND' for details and an example.\n";
    return out;
}

} // namespace heapy::commands
