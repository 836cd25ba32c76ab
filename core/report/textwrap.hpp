#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// Python's textwrap.wrap(text, width, initial_indent=..., subsequent_indent=...) with the
// default options (expand tabs, replace whitespace, break on hyphens, drop whitespace, break
// long words). Returns the lines without newlines.
std::vector<std::string> wrap(std::string_view text, size_t width, std::string_view initial_indent = {},
                              std::string_view subsequent_indent = {});

// Python's textwrap.fill: the wrapped lines joined with "\n".
std::string fill(std::string_view text, size_t width, std::string_view initial_indent = {},
                 std::string_view subsequent_indent = {});

} // namespace heapy::report
