#pragma once

// heapy's IdFormat (HEAPY.md §1.2): the table of a set partitioned by identity (`.byid`).

#include "core/report/paging.hpp"
#include "core/report/set_format.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// One object of an identity table: its size and its render (the caller renders, e.g.
// reprlib_repr_str for str, "0x7f...*5" for lists, "<kind brief>: <render>" for mixed sets).
struct IdRow {
    uint64_t size = 0;
    std::string render;
};

struct IdTable {
    uint64_t count = 0;      // objects in the set (heapy: = number of rows)
    uint64_t size = 0;       // bytes in the set
    std::string kindname;    // "<str>", "<dict of module>", "<mixed>", ...
    std::string header;      // "Representation (limited)", "Address", "Brief", ...
    std::vector<IdRow> rows; // display order (size desc, then the kind's sort key)
};

// " Index     Size   %   Cumulative  %   " followed by the render header.
inline constexpr std::string_view kIdStatHeader = " Index     Size   %   Cumulative  %   ";

// The lines format_id_table pages through; `table` must outlive it.
PageSource id_table_page_source(const IdTable& table);

// The IdFormat text of rows [first, first + max_rows), same paging as format_partition.
std::string format_id_table(const IdTable& table, size_t first = 0, size_t max_rows = kRowsPerPage,
                            bool with_label = true);

// "Set of %d %s object%s. Total size = %d bytes."
std::string id_label(int64_t count, std::string_view kindname, int64_t size);
// IdFormat's columns: Index, Size, %, Cumulative, %; the widths that fit a table's last index,
// sizes and cumulative sizes (set_format.hpp's NumberSpan); kIdStatHeader with them.
ColumnWidths id_widths();
ColumnWidths id_widths(int64_t last_index, const NumberSpan& size, const NumberSpan& cumulative);
std::string id_header(const ColumnWidths& widths);
// "%6d %8d %5.1f %9d %5.1f " with size*100.0/total_size and cumulative*100.0/total_size (0.0
// when total_size is 0, where heapy would raise ZeroDivisionError), as wide as `widths` says.
std::string id_row_prefix(int64_t index, int64_t size, int64_t cumulative, int64_t total_size,
                          const ColumnWidths& widths = id_widths());
// The prefix + render, wrapped (continuation indent = prefix length, 38 for normal widths).
std::string format_id_row(int64_t index, int64_t size, int64_t cumulative, int64_t total_size,
                          std::string_view render, const ColumnWidths& widths = id_widths());

} // namespace heapy::report
