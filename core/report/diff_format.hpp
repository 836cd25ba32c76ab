#pragma once

// heapy's DiffFormat (HEAPY.md §1.4): `statA - statB`, `A.diff(B)`.

#include "core/report/stat.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace heapy::report {

// " Index  Count     Size  Cumulative  % of B " followed by the kind header.
inline constexpr std::string_view kDiffStatHeader = " Index  Count     Size  Cumulative  % of B ";

// heapy's Stat.__sub__: rows matched by kind name (B's rows with one name summed first), A rows
// whose difference is (0, 0) dropped, B-only rows appended negated in B's order, then a stable
// sort by |size difference| descending. count/size = sums of the row differences, b_count /
// b_size = B's totals, kindheader/kindname = A's. Throws heapy::Error when the kind headers
// differ ("Mismatching table kind header, 'X' vs 'Y'.") or A has no kindname.
Stat stat_difference(const Stat& a, const Stat& b, double timemade);

// '%9.3g' % (x * 100.0 / b_size), or '   (n.a.)' when b_size is 0.
std::string percent_of_b(int64_t x, int64_t b_size);

// The summary block: "Summary of difference operation (A-B).\n        Count     Size\n  A ...
// \n  B ...\n  A-B ... = ... % of B\n", plus "\nDifferences by kind, largest absolute size diffs
// first." when count or size is non-zero. `count`/`size` are A-B.
std::string diff_label(int64_t count, int64_t size, int64_t b_count, int64_t b_size);

// DiffFormat's columns: Index, Count, Size, Cumulative (% of B is always 9 wide), and the widths
// that fit rows of these numbers (set_format.hpp's NumberSpan: the smallest and largest).
ColumnWidths diff_widths();
ColumnWidths diff_widths(int64_t last_index, const NumberSpan& count, const NumberSpan& size,
                         const NumberSpan& cumulative);
// kDiffStatHeader with `widths`.
std::string diff_header(const ColumnWidths& widths);

// "%6d %6d %8d %9d %s " + kind, wrapped (the columns as wide as `widths` says).
std::string diff_row_prefix(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                            int64_t b_size, const ColumnWidths& widths = diff_widths());
std::string format_diff_row(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                            int64_t b_size, std::string_view kind,
                            const ColumnWidths& widths = diff_widths());

} // namespace heapy::report
