#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// Python's textwrap.wrap(text, width, initial_indent=..., subsequent_indent=...) with the
// default options (expand tabs, replace whitespace, break on hyphens, drop whitespace, break
// long words). Returns the lines without newlines.
//
// This is an exact emulation of Python 3.11's TextWrapper (wordsep_re chunking, long-word
// splitting, whitespace dropping). Text is UTF-8 and is handled as Python handles the decoded
// str: lengths count code points, and \w / \d are Python 3.11's Unicode classes (see
// pyunicode.hpp). Bytes that are not valid UTF-8 count as one character each and are copied
// through unchanged. `width` must be > 0 (Python raises ValueError; this throws
// std::invalid_argument). One deliberate difference: where CPython never returns (the indent
// is at least `width` wide and the text starts with whitespace, e.g. wrap(" a", 1, "> ")), this
// drops the whitespace and goes on (giving {"> a"}).
std::vector<std::string> wrap(std::string_view text, size_t width,
                              std::string_view initial_indent = {},
                              std::string_view subsequent_indent = {});

// Python's textwrap.fill: the wrapped lines joined with "\n".
std::string fill(std::string_view text, size_t width, std::string_view initial_indent = {},
                 std::string_view subsequent_indent = {});

} // namespace heapy::report
