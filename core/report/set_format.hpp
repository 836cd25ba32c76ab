#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// One row of a partition: a kind and the objects in it.
struct PartitionRow {
    std::string kind; // the classifier's name for the kind, e.g. "dict of __main__.Foo"
    uint64_t count = 0;
    uint64_t size = 0;
};

// A partition of a set of objects, rows already in display order (heapy: size desc, then name).
struct Partition {
    uint64_t count = 0;     // objects in the whole set
    uint64_t size = 0;      // bytes in the whole set
    std::string classifier; // short name for JSON, e.g. "clodo", "type"
    std::string header;     // the classifier's column header, e.g. "Kind (class / dict of class)"
    std::vector<PartitionRow> rows;
};

// heapy's rows-per-page (`max_more_lines`).
inline constexpr size_t kRowsPerPage = 10;

// heapy's SetFormat text for rows [first, first + max_rows) of `partition`: the label line
// ("Partition of a set of ...") when `with_label`, the column header (when there are rows), the
// rows, and the "<N more rows. Type e.g. '_.more' to view.>" footer, with heapy's rule that a
// single remaining row is printed instead of the footer. `max_rows` = SIZE_MAX prints all rows.
std::string format_partition(const Partition& partition, size_t first = 0,
                             size_t max_rows = kRowsPerPage, bool with_label = true);

// One line of JSON (no trailing newline) with every row, per DESIGN.md.
std::string partition_json(const Partition& partition);

// heapy's percentage: int('%.0f' % (part * 100.0 / whole)), 0 when whole is 0.
long percent(uint64_t part, uint64_t whole);

} // namespace heapy::report
