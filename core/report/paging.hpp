#pragma once

// heapy's OutputHandling printer, shared by every table: a label, a row header, lines (a
// "line" is one formatted row and may span several text lines when wrapped), pages of at most
// `max_lines` lines with the "exactly one more line is printed instead of the footer" rule, and
// the final rstrip() of the whole text.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace heapy::report {

// heapy's Part.line_length: the width rows and headers are wrapped to.
inline constexpr size_t kLineLength = 100;

// Rows per page (heapy's max_more_lines); `kAllLines` prints everything (heapy's `.all`).
inline constexpr size_t kLinesPerPage = 10;
inline constexpr size_t kAllLines = static_cast<size_t>(-1);

struct PageSource {
    std::optional<std::string> label;      // printed first when `top` (heapy: get_label)
    std::optional<std::string> row_header; // printed before the first line, if any line
    std::optional<std::string> empty_msg;  // printed when there is no line at `first`
    size_t num_lines = 0;                  // lines that exist: 0 .. num_lines-1
    std::function<std::string(size_t)> line;
    // Footer after the last printed line `last` of a page that started at `first`.
    std::function<std::string(size_t first, size_t last)> more_msg;
};

struct Page {
    std::string text;     // no trailing newline, trailing whitespace stripped (heapy rstrip())
    size_t next_line = 0; // where `.more` continues (heapy's _oh_next_lineno)
};

// heapy's Printer.get_str: `top` = the label is printed (the first page and `.all`), `first` =
// the first line (0 for the top, `next_line` of the previous page for `.more`).
Page render_page(const PageSource& source, size_t first = 0, size_t max_lines = kLinesPerPage,
                 bool top = true);

// Where the page starting at `first` ends (the next page's `first`), for `num_lines` lines.
size_t page_end(size_t num_lines, size_t first, size_t max_lines = kLinesPerPage);

// heapy's Format.get_formatted_row: `prefix` (the numeric columns) + `name`, the name split at
// '\n', the first piece wrapped with textwrap.wrap(prefix + piece, 100, subsequent_indent =
// len(prefix) spaces), each further piece wrapped with initial and subsequent indent = len(prefix)
// spaces; the lines joined with '\n'.
std::string wrap_row(std::string_view prefix, std::string_view name);

// heapy's Format._oh_get_row_header: textwrap.fill(stat_header + kind_header, 100,
// subsequent_indent = len(stat_header) spaces) when the table's count or size is non-zero, else ""
// (which still prints as an empty line when rows follow).
std::string row_header(std::string_view stat_header, std::string_view kind_header, bool nonzero);

} // namespace heapy::report
