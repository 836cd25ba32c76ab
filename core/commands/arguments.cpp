#include "core/commands/arguments.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>

namespace heapy::commands {

const OptionSpec* find_option(std::span<const OptionSpec> options, std::string_view name) {
    for (const auto& option : options)
        if (option.name == name) return &option;
    return nullptr;
}

Arguments parse_arguments(std::string_view command, std::span<const std::string> args,
                          std::span<const OptionSpec> options) {
    Arguments out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
            out.positional.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        std::string value;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            inline_value = true;
        }
        const OptionSpec* spec = find_option(options, name);
        if (!spec)
            throw Error(fmt::format("unknown option --{} for 'heapy {}' (see 'heapy help {}')",
                                    name, command, command));
        if (!spec->takes_value) {
            if (inline_value)
                throw Error(fmt::format("option --{} of 'heapy {}' takes no value", name, command));
            out.flags.insert(name);
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size())
                throw Error(fmt::format("option --{} of 'heapy {}' needs a value", name, command));
            value = args[++i];
        }
        out.values[name] = value;
    }
    return out;
}

} // namespace heapy::commands
