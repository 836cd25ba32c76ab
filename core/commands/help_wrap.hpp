#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace heapy::commands {

// Help text (a command's, the overview, the standalone command's usage) fitted to `width`
// columns: each paragraph of prose is refilled; an entry of a list ("  --by KIND   text", "  heap
// Show...") is refilled with its text's column as the indent of the lines after the first;
// example command lines are kept as they are, to be copied. Words are never broken.
std::string fit_help(std::string_view text, size_t width);

} // namespace heapy::commands
