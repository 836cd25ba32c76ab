#pragma once

#include "core/heap/huge_pages.hpp"
#include "core/report/paging.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace heapy::report {

// One row of a partition: the objects of its kind, and their bytes.
struct PartitionRow {
    uint64_t count = 0;
    uint64_t size = 0;
};

// A row with its kind's name, to make a Partition from.
struct NamedRow {
    std::string kind;
    uint64_t count = 0;
    uint64_t size = 0;
};

// A partition of a set of objects, rows already in display order (heapy: size desc, then name).
struct Partition {
    Partition() = default;
    Partition(uint64_t count, uint64_t size, std::string classifier, std::string header,
              const std::vector<NamedRow>& named_rows = {})
        : count(count), size(size), classifier(std::move(classifier)), header(std::move(header)) {
        for (const NamedRow& row : named_rows) add_row(row.kind, row.count, row.size);
    }

    uint64_t count = 0;     // objects in the whole set
    uint64_t size = 0;      // bytes in the whole set
    std::string classifier; // short name for JSON, e.g. "clodo", "type"
    std::string header;     // the classifier's column header, e.g. "Kind (class / dict of class)"
    heap::BigVector<PartitionRow> rows; // millions by via
    // The classifier's name for each row's kind, e.g. "dict of __main__.Foo"; or, when
    // `name_row` is set, none: a partition of millions of rows (by via) names only those shown.
    std::vector<std::string> kinds;
    std::function<std::string(size_t row)> name_row = {};

    // The name of row `row`'s kind.
    std::string kind(size_t row) const { return name_row ? name_row(row) : kinds[row]; }
    void add_row(std::string kind, uint64_t count, uint64_t size) {
        kinds.push_back(std::move(kind));
        rows.push_back({count, size});
    }
};

// heapy's rows-per-page (`max_more_lines`).
inline constexpr size_t kRowsPerPage = 10;

// heapy's SetFormat column header, followed by the classifier's header text.
inline constexpr std::string_view kSetStatHeader = " Index  Count   %     Size   % Cumulative  % ";

// The widths of a table's columns of numbers: heapy's, each widened to the widest number of its
// column only where one does not fit (a heap of millions of objects, of gigabytes), so that the
// header and every row stay aligned. Tables of ordinary heaps keep heapy's text byte for byte.
class ColumnWidths {
  public:
    static constexpr size_t kMaxColumns = 8;
    ColumnWidths(std::initializer_list<size_t> heapy_widths);

    // Widens `column` to fit `number` (as "%d" prints it) / a text of `chars` characters.
    void fit(size_t column, int64_t number);
    void fit_chars(size_t column, size_t chars);
    size_t operator[](size_t column) const { return widths_[column]; }
    // How much wider than heapy's the row prefix is.
    size_t added() const;
    // heapy's `header`, whose columns begin at `starts` (as in heapy's rows, the separating space
    // before a column included), with the text of each column moved right by what it gained.
    std::string header(std::string_view heapy_header, std::initializer_list<size_t> starts) const;

  private:
    std::array<size_t, kMaxColumns> heapy_{};
    std::array<size_t, kMaxColumns> widths_{};
    size_t count_ = 0;
};

// SetFormat's columns: Index, Count, %, Size, %, Cumulative, %.
ColumnWidths set_widths();
// The widths that fit a SetFormat table: its last index, counts and sizes of its rows, their
// cumulative sizes (all from first to last, in `count`, `size`, `cumulative`: the smallest and
// largest of each), its totals.
struct NumberSpan {
    int64_t lo = 0, hi = 0;
    bool any = false;
    void add(int64_t v) {
        lo = any ? std::min(lo, v) : v;
        hi = any ? std::max(hi, v) : v;
        any = true;
    }
};
ColumnWidths set_widths(int64_t last_index, const NumberSpan& count, const NumberSpan& size,
                        const NumberSpan& cumulative, int64_t total_count, int64_t total_size);
// kSetStatHeader with `widths`.
std::string set_header(const ColumnWidths& widths);

// heapy's SetFormat text for rows [first, first + max_rows) of `partition`: the label line
// ("Partition of a set of ...") when `with_label`, the column header (when there are rows), the
// rows, and the "<N more rows. Type e.g. '_.more' to view.>" footer, with heapy's rule that a
// single remaining row is printed instead of the footer. `max_rows` = SIZE_MAX prints all rows.
// Like heapy's repr(): no trailing newline. `X.more` = (first = 10, with_label = false), the
// page after that starts at partition_page_end(...) of the previous page; `X.all` = (0,
// SIZE_MAX, true). As in heapy, the header is replaced by an empty line when count and size
// are both 0 but rows exist.
std::string format_partition(const Partition& partition, size_t first = 0,
                             size_t max_rows = kRowsPerPage, bool with_label = true);

// The lines format_partition pages through, for writing them a few at a time; `partition` must
// outlive it.
PageSource partition_page_source(const Partition& partition);

// Where `.more` continues after the page format_partition(partition, first, max_rows) printed.
size_t partition_page_end(const Partition& partition, size_t first, size_t max_rows = kRowsPerPage);

// heapy's `h[i]`: the one-row table of the subset of row `row` (QUIRK kept: the Index column is
// the parent's index, Cumulative is the parent's cumulative size, its % is computed against the
// row's own size). Throws std::out_of_range for a bad row.
std::string format_partition_row_set(const Partition& parent, size_t row);

// One line of JSON (no trailing newline) with every row, per DESIGN.md:
// {"count": N, "size": B, "classifier": "clodo", "rows": [{"kind": "str", "count": n, "size": s}]}
// Kind names are JSON-escaped; valid UTF-8 is kept, invalid bytes become U+FFFD.
// `first`, `max_rows`: only those rows (a page); `with_index`: each row with its "index" first
// (a page after the first, as `more --json` prints it).
std::string partition_json(const Partition& partition, size_t first = 0, size_t max_rows = SIZE_MAX,
                           bool with_index = false);

// heapy's percentage: int('%.0f' % (part * 100.0 / whole)), 0 when whole is 0 (saturated to
// long's range; the row text itself is exact at any magnitude).
long percent(uint64_t part, uint64_t whole);

// Building blocks (signed: Stats loaded from files may hold negative numbers).
// "Partition of a set of %d object%s. Total size = %d bytes."
std::string set_label(int64_t count, int64_t size);
// "%6d %6d %3d %8d %3d %9d %3d " with heapy's percentages against total_count / total_size
// (the columns as wide as `widths` says).
std::string set_row_prefix(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                           int64_t total_count, int64_t total_size,
                           const ColumnWidths& widths = set_widths());
// The prefix + kind, wrapped (paging.hpp wrap_row).
std::string format_set_row(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                           int64_t total_count, int64_t total_size, std::string_view kind,
                           const ColumnWidths& widths = set_widths());
// "<%d more rows. Type e.g. '_.more' to view.>"
std::string more_rows_msg(int64_t remaining);

// int('%.0f' % (part * 100.0 / whole)) for signed values, 0 when whole is 0 (heapy would raise
// ZeroDivisionError).
long percent_signed(int64_t part, int64_t whole);

} // namespace heapy::report
