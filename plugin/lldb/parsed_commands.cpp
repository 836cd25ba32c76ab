#include "plugin/lldb/parsed_commands.hpp"

#include "core/commands/session.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

namespace heapy::lldb_frontend {

namespace {

using commands::CommandInfo;
using commands::OptionSpec;
using commands::Session;

// What lldb calls the things heapy's usage lines name (ADDR, N, FILE, ...): the type of an
// argument or option value, which lldb prints (<address>) and completes (files).
struct ValueKind {
    std::string_view arg_type;
    std::string_view completion = "eNoCompletion";
};

ValueKind value_kind(std::string_view placeholder) {
    static const std::map<std::string_view, ValueKind> kinds = {
        {"ADDR", {"eArgTypeAddress"}},
        {"N", {"eArgTypeCount"}},
        {"SECONDS", {"eArgTypeCount"}},
        {"FILE", {"eArgTypeFilename", "eDiskFileCompletion"}},
        {"FILE.html", {"eArgTypeFilename", "eDiskFileCompletion"}},
        {"OLD.stat", {"eArgTypeFilename", "eDiskFileCompletion"}},
    };
    // The rest (KIND, KIND-NAME, a|b|c) are <value>s: lldb completes a <name> with its own things.
    auto it = kinds.find(placeholder);
    return it == kinds.end() ? ValueKind{"eArgTypeValue"} : it->second;
}

// What the front ends add to every command (--allow-truncated: lldb's, as the standalone
// command's option; the other two: the session's).
const std::vector<std::pair<std::string_view, std::string_view>> kEveryCommandFlags = {
    {"allow-truncated", "analyse what a truncated core file holds instead of refusing it"},
    {"progress", "show a status line while it works, even with --json"},
    {"no-progress", "no status line while it works"},
};

// Help for the options whose command's help has no line of their own.
const std::map<std::string_view, std::string_view> kOptionHelp = {
    {"by", "classify the result by KIND instead (see 'help heapy heap')"},
    {"all", "print every row"},
    {"json", "print the result as one line of JSON"},
    {"garbage", "only the cyclic garbage the next collection would free"},
    {"held", "only what is held from outside the Python heap: leaked references, C statics"},
    {"clear", "remove the reference point"},
};

// Commands whose arguments may start with "-", which lldb's option parsing would take for an
// option: `row -1` is the last row, as heapy's h[-1]. They stay the library's own commands.
bool words_may_start_with_dash(std::string_view command) {
    return command == "row";
}

// A command's help split in two: the lines that describe options ("  --depth N   how many
// levels", with their continuation lines), as the text after each option's name and placeholder
// by option name, and the rest (lldb lists the options with their help itself). An option
// described twice (top's "--by size", "--by prod") keeps both, each after its value.
struct SplitHelp {
    std::map<std::string, std::string> options;
    std::string rest;
};

SplitHelp split_help(std::string_view help) {
    SplitHelp out;
    std::string* current = nullptr; // the option whose lines these are
    while (!help.empty()) {
        size_t end = help.find('\n');
        std::string_view line = help.substr(0, end);
        help.remove_prefix(end == std::string_view::npos ? help.size() : end + 1);
        if (line.starts_with("  --")) {
            line.remove_prefix(4);
            std::string name(line.substr(0, line.find(' ')));
            std::string_view rest = line.substr(std::min(line.size(), name.size()));
            std::string value; // "size" in "--by size   order by own size instead"
            if (rest.starts_with(" ") && !rest.starts_with("  ")) {
                size_t value_end = rest.find(' ', 1);
                std::string_view token = rest.substr(1, value_end - 1);
                if (!token.empty() && std::islower(static_cast<unsigned char>(token[0])))
                    value = token;
                rest.remove_prefix(std::min(rest.size(), value_end));
            }
            rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ')));
            current = &out.options[name];
            if (!current->empty()) *current += "; ";
            if (!value.empty()) *current += value + ": ";
            *current += rest;
        } else if (current && line.starts_with("    ")) {
            *current += " " + std::string(line.substr(line.find_first_not_of(' ')));
        } else {
            current = nullptr;
            out.rest += std::string(line) + (end == std::string_view::npos ? "" : "\n");
        }
    }
    return out;
}

// The words of `usage` after "heapy NAME", brackets and "|" dropped, with whether each was in
// brackets: "heapy top [N] [--by retained|size|prod]" → (N, optional), (--by),
// (retained|size|prod).
struct UsageWord {
    std::string_view text;
    bool optional = false;
};

std::vector<UsageWord> usage_words(std::string_view usage) {
    std::vector<UsageWord> words;
    int depth = 0;
    size_t at = 0;
    for (int skip = 2; at < usage.size();) {
        size_t end = std::min(usage.size(), usage.find(' ', at));
        std::string_view token = usage.substr(at, end - at);
        at = end + 1;
        if (skip > 0) {
            --skip;
            continue;
        }
        bool optional = depth > 0 || token.starts_with('[');
        depth += static_cast<int>(std::ranges::count(token, '[') - std::ranges::count(token, ']'));
        while (token.starts_with('[')) token.remove_prefix(1);
        while (token.ends_with(']')) token.remove_suffix(1);
        if (token.empty() || token == "|") continue;
        words.push_back({token, optional});
    }
    return words;
}

const OptionSpec* option_of(const CommandInfo& info, std::string_view word) {
    return word.starts_with("--") ? commands::find_option(info.options, word.substr(2)) : nullptr;
}

nlohmann::json definition(const std::string& name, const CommandInfo& info) {
    std::string help = Session::help(info.name, commands::Prompt::lldb, 80);
    const SplitHelp split = split_help(help_after_usage(help));

    std::map<std::string_view, std::string_view> placeholders; // option → its usage placeholder
    nlohmann::json arguments = nlohmann::json::array();
    std::vector<UsageWord> words = usage_words(info.usage);
    for (size_t i = 0; i < words.size(); ++i) {
        if (const OptionSpec* option = option_of(info, words[i].text)) {
            if (option->takes_value && i + 1 < words.size())
                placeholders[option->name] = words[++i].text;
            continue;
        }
        if (words[i].text.starts_with("--")) continue; // described elsewhere
        std::string_view placeholder = words[i].text;
        bool repeated = placeholder.ends_with("...");
        if (repeated) placeholder.remove_suffix(3);
        std::string_view type =
            info.name == "row" ? "eArgTypeIndex" : value_kind(placeholder).arg_type;
        arguments.push_back({{"arg_type", type},
                             {"repeat", repeated ? (words[i].optional ? "star" : "plus")
                                                 : (words[i].optional ? "optional" : "plain")}});
    }

    nlohmann::json options = nlohmann::json::array();
    auto add_option = [&](std::string_view option_name, const OptionSpec* spec,
                          std::string_view fallback_help) {
        nlohmann::json o;
        o["name"] = option_name;
        auto line = split.options.find(std::string(option_name));
        auto standard = kOptionHelp.find(option_name);
        o["help"] = line != split.options.end()     ? std::string_view(line->second)
                    : standard != kOptionHelp.end() ? standard->second
                                                    : fallback_help;
        if (spec && spec->takes_value) {
            auto placeholder = placeholders.find(spec->name);
            ValueKind kind =
                value_kind(placeholder == placeholders.end() ? "" : placeholder->second);
            o["value_type"] = kind.arg_type;
            o["completion_type"] = spec->values.empty() ? kind.completion : "eNoCompletion";
            if (!spec->values.empty()) {
                nlohmann::json values = nlohmann::json::array();
                for (std::string_view v : spec->values) values.push_back({v, ""});
                o["enum_values"] = values;
            }
        }
        options.push_back(std::move(o));
    };
    for (const OptionSpec& option : info.options) add_option(option.name, &option, "");
    for (const auto& [flag, flag_help] : kEveryCommandFlags) add_option(flag, nullptr, flag_help);

    std::string brief = info.summary;
    if (name != info.name) brief = "Alias for 'heapy " + info.name + "': " + brief;
    return {{"name", name},
            {"short_help", brief},
            // lldb prints it straight after the options: a blank line keeps them apart.
            {"long_help", "\n" + split.rest},
            {"options", options},
            {"arguments", arguments}};
}

nlohmann::json help_definition() {
    return {
        {"name", "help"},
        {"short_help", "Show help for every heapy command or for one (as 'help heapy COMMAND')."},
        {"long_help", ""},
        {"options", nlohmann::json::array()},
        {"arguments", {{{"arg_type", "eArgTypeValue"}, {"repeat", "optional"}}}}};
}

} // namespace

std::string help_after_usage(std::string_view help) {
    size_t at = help.find("\nUsage: ");
    if (at == std::string_view::npos) return {};
    size_t body = help.find_first_not_of('\n', help.find('\n', at + 1));
    return body == std::string_view::npos ? std::string() : std::string(help.substr(body));
}

std::string parsed_command_definitions() {
    nlohmann::json commands = nlohmann::json::array();
    for (const CommandInfo& info : Session::commands()) {
        if (info.hidden || words_may_start_with_dash(info.name)) continue;
        commands.push_back(definition(info.name, info));
        for (const std::string& alias : info.aliases) commands.push_back(definition(alias, info));
    }
    commands.push_back(help_definition());
    return nlohmann::json{{"no_repeat", kNoRepeat}, {"commands", commands}}.dump();
}

} // namespace heapy::lldb_frontend
