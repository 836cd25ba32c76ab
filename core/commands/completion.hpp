#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::commands {

// What can come next on a command line, for a front end's completion: `words` are the whole
// words typed after "heapy" (the command, then its arguments), `partial` the word being typed.
// Commands and aliases (not the tools for heapy's own tests), the command's options, the values of
// an option that takes one of a few (--by KIND, --format FORMAT) and the classifier of `by KIND`;
// those that start with `partial`, sorted.
std::vector<std::string> complete(std::span<const std::string> words, std::string_view partial);

} // namespace heapy::commands
