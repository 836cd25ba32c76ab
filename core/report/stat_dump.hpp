#pragma once

// guppy's Stat dump format (HEAPY.md §6): `X.stat.dump(f)` / `X.dump(f)` and `hp.load(f)`.

#include "core/report/stat.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// ".end: .loader: _load_stat": the line ending a package.
inline constexpr std::string_view kStatEndLine = ".end: .loader: _load_stat";

// The lines of one package without newlines and without the end line (heapy's get_trows):
// .loader: _load_stat / .format: / .timemade: '%f' / then, per stat.order,
//   Partition:  .count .size .kindname .kindheader .numrows [.b_count .b_size]
//   Slice:      .count .size .kindheader .kindname .numrows [.b_count .b_size]
//   Difference: .b_count .b_size .count .size .kindheader .kindname .numrows
// (".kindname: " keeps its trailing space when empty; it is left out when absent), then one
// ".r: <count> <size> <name>" per row (IdFormat: ".r: <size> <render>"). Names are written as
// they are: like heapy, a name containing a newline makes a file that does not load back.
std::vector<std::string> stat_lines(const Stat& stat);

// The text Stat.dump() writes: every line with '\n', then the end line unless the last line
// already is the end line.
std::string dump_stat(const Stat& stat);

// dump(filename) in its default mode 'a': the file's new content, given its old content
// ("" for a new file). The package is appended as is (even after a last line without '\n').
std::string append_stat_dump(std::string_view existing, const Stat& stat);

// dump(open_file): writes dump_stat(stat) to `out`.
void write_stat(std::ostream& out, const Stat& stat);

// hp.load(filename): the first package of a dump file's text. Lines end at "\n", "\r\n" or "\r"
// (Python's universal newlines). Throws heapy::Error (one line, with the line number) when the
// text does not start with ".loader: _load_stat", a header line has no ':', a required field
// (.format SetFormat|IdFormat|DiffFormat, .timemade float, .count/.size/.numrows int,
// .kindheader; .b_count/.b_size int for DiffFormat) is missing or malformed, or a row before
// .numrows rows is malformed (heapy parses rows lazily and raises only when they are shown).
// Rows end after .numrows rows, at the ".end" line, at an empty line or at the end of the text.
Stat load_stat(std::string_view text);

// hp.loadall(f): every package of the text, each ending at the line ".end: " + its first line
// (or at the end of the text). Like heapy, anything after the last package (even an empty line)
// must start another package.
std::vector<Stat> load_stats(std::string_view text);

// hp.load(open_file): reads the next package from `in` (up to and including its end line) and
// returns it, or std::nullopt at the end of the stream.
std::optional<Stat> read_stat(std::istream& in);

// hp.load(list_of_lines): one package from lines (trailing '\n's of each line are ignored).
Stat load_stat_lines(const std::vector<std::string>& lines);

} // namespace heapy::report
