#pragma once

#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::commands {

// The options one command accepts.
struct OptionSpec {
    std::string_view name; // without dashes, e.g. "by"
    bool takes_value = false;
    // The values it takes, for completion (empty: any, e.g. a number or a file name).
    std::vector<std::string_view> values = {};
};

// A command line split into positional words, `--flag`s and `--option value`s.
struct Arguments {
    std::vector<std::string> positional;
    std::set<std::string> flags;
    std::map<std::string, std::string> values;

    bool flag(std::string_view name) const { return flags.count(std::string(name)) != 0; }
    const std::string* value(std::string_view name) const {
        auto it = values.find(std::string(name));
        return it == values.end() ? nullptr : &it->second;
    }
};

// The option named `name` (without dashes) among `options`, or nullptr.
const OptionSpec* find_option(std::span<const OptionSpec> options, std::string_view name);

// Parses `args` against `options`; accepts `--name value` and `--name=value`. Throws heapy::Error
// naming the command for an unknown option or a missing value.
Arguments parse_arguments(std::string_view command, std::span<const std::string> args,
                          std::span<const OptionSpec> options);

} // namespace heapy::commands
