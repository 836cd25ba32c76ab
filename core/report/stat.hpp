#pragma once

// heapy's Stat: the summary data of a partition (what `X.stat` holds, what `dump` writes and
// `hp.load` reads back), for all three formats, with its printing, `st[i]`, `st[i:j]`.

#include "core/report/id_format.hpp"
#include "core/report/set_format.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heapy::report {

enum class StatFormat { Set, Id, Diff }; // "SetFormat", "IdFormat", "DiffFormat"

// The order in which heapy writes the header lines of a package; the reader does not care.
enum class StatHeaderOrder {
    Partition, // X.stat / X.dump: count size kindname kindheader numrows
    Slice,     // st[i], st[i:j]: count size kindheader kindname numrows [b_count b_size]
    Difference // a - b: b_count b_size count size kindheader kindname numrows
};

struct StatRow {
    int64_t count = 1; // always 1 in IdFormat
    int64_t size = 0;
    std::string kind; // kind name (Set/Diff) or render (Id)
};

struct Stat {
    StatFormat format = StatFormat::Set;
    double timemade = 0; // Unix time the partition was made
    int64_t count = 0;   // the label's numbers (for DiffFormat: the sums of the row differences)
    int64_t size = 0;
    std::optional<std::string> kindname; // "" for Set/Diff; "<mixed>", "<str>"... for Id
    std::string kindheader;
    int64_t numrows = 0;            // as declared (.numrows); a loaded file may hold fewer rows
    std::optional<int64_t> b_count; // DiffFormat: the B side
    std::optional<int64_t> b_size;
    std::vector<StatRow> rows;
    StatHeaderOrder order = StatHeaderOrder::Partition;
};

std::string_view stat_format_name(StatFormat format);

// X.stat of a SetFormat partition / an identity table, made at `timemade` (Unix time).
Stat partition_stat(const Partition& partition, double timemade);
Stat id_table_stat(const IdTable& table, double timemade);

// A Stat printed like heapy prints it (SetFormat / IdFormat / DiffFormat), rows [first, first +
// max_rows), paging as format_partition. Index and Cumulative are computed from row order; the
// footer counts from the declared numrows. Throws heapy::Error if an IdFormat Stat has no
// kindname or a DiffFormat Stat no b_count/b_size.
std::string format_stat(const Stat& stat, size_t first = 0, size_t max_rows = kRowsPerPage,
                        bool with_label = true);
size_t stat_page_end(const Stat& stat, size_t first, size_t max_rows = kRowsPerPage);

// heapy's st[index] (negative counts from the end) and st[start:stop] (Python slice semantics,
// step 1): a new Stat with count/size = sums of the chosen rows, timemade rounded to '%f'.
// Throws heapy::Error ("Stat index out of range.") for a bad index or a row the Stat lacks.
Stat stat_item(const Stat& stat, int64_t index);
Stat stat_slice(const Stat& stat, std::optional<int64_t> start, std::optional<int64_t> stop);

} // namespace heapy::report
