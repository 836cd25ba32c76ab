#include "core/commands/completion.hpp"

#include "core/commands/commands.hpp"

#include <algorithm>

namespace heapy::commands {

namespace {

std::vector<std::string> command_names() {
    std::vector<std::string> names{"help"};
    for (const auto& spec : command_table()) {
        if (spec.summary.empty()) continue; // hidden
        names.emplace_back(spec.name);
        names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
    }
    return names;
}

const OptionSpec* option_named(const CommandSpec& spec, std::string_view word) {
    return word.starts_with("--") ? find_option(spec.options, word.substr(2)) : nullptr;
}

// Every word that may come after `words`, whatever its start.
std::vector<std::string> choices(std::span<const std::string> words, std::string_view partial) {
    if (words.empty() || (words[0] == "help" && words.size() == 1)) return command_names();
    const CommandSpec* spec = find_command(words[0]);
    if (!spec) return {};
    if (const OptionSpec* option = option_named(*spec, words.back());
        option && option->takes_value && words.size() > 1)
        return {option->values.begin(), option->values.end()};
    std::vector<std::string> out;
    if (spec->name == "by" && words.size() == 1 && !partial.starts_with("-"))
        for (std::string_view kind : find_command("heap")->options.front().values)
            out.emplace_back(kind);
    for (const auto& option : spec->options) out.push_back("--" + std::string(option.name));
    return out;
}

} // namespace

std::vector<std::string> complete(std::span<const std::string> words, std::string_view partial) {
    std::vector<std::string> out = choices(words, partial);
    std::erase_if(out, [partial](const std::string& word) { return !word.starts_with(partial); });
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace heapy::commands
