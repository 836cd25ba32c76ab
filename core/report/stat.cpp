#include "core/report/stat.hpp"

#include "core/errors.hpp"
#include "core/report/diff_format.hpp"
#include "core/report/paging.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <memory>

namespace heapy::report {

std::string_view stat_format_name(StatFormat format) {
    switch (format) {
    case StatFormat::Set:
        return "SetFormat";
    case StatFormat::Id:
        return "IdFormat";
    case StatFormat::Diff:
        return "DiffFormat";
    }
    return "SetFormat";
}

Stat partition_stat(const Partition& partition, double timemade) {
    Stat st;
    st.format = StatFormat::Set;
    st.timemade = timemade;
    st.count = static_cast<int64_t>(partition.count);
    st.size = static_cast<int64_t>(partition.size);
    st.kindname = "";
    st.kindheader = partition.header;
    st.numrows = static_cast<int64_t>(partition.rows.size());
    st.rows.reserve(partition.rows.size());
    for (size_t i = 0; i < partition.rows.size(); ++i) {
        const PartitionRow& r = partition.rows[i];
        st.rows.push_back(StatRow{static_cast<int64_t>(r.count), static_cast<int64_t>(r.size),
                                  partition.kind(i)});
    }
    return st;
}

Stat id_table_stat(const IdTable& table, double timemade) {
    Stat st;
    st.format = StatFormat::Id;
    st.timemade = timemade;
    st.count = static_cast<int64_t>(table.count);
    st.size = static_cast<int64_t>(table.size);
    st.kindname = table.kindname;
    st.kindheader = table.header;
    st.numrows = static_cast<int64_t>(table.rows.size());
    st.rows.reserve(table.rows.size());
    for (const IdRow& r : table.rows) {
        st.rows.push_back(StatRow{1, static_cast<int64_t>(r.size), r.render});
    }
    return st;
}

namespace {

size_t usable_rows(const Stat& st) {
    return std::min(st.rows.size(), static_cast<size_t>(std::max<int64_t>(st.numrows, 0)));
}

PageSource stat_source(const Stat& st) {
    PageSource src;
    const bool nonzero = st.count != 0 || st.size != 0;
    auto cumul = std::make_shared<std::vector<int64_t>>();
    const size_t n = usable_rows(st);
    cumul->reserve(n);
    int64_t running = 0;
    NumberSpan counts, sizes, cumulatives; // the columns widen alike where a number does not fit
    for (size_t i = 0; i < n; ++i) {
        running += st.rows[i].size;
        cumul->push_back(running);
        counts.add(st.rows[i].count);
        sizes.add(st.rows[i].size);
        cumulatives.add(running);
    }
    const auto last_index = static_cast<int64_t>(n) - 1;
    src.num_lines = n;
    switch (st.format) {
    case StatFormat::Set: {
        src.label = set_label(st.count, st.size);
        auto widths = std::make_shared<const ColumnWidths>(
            set_widths(last_index, counts, sizes, cumulatives, st.count, st.size));
        src.row_header = row_header(set_header(*widths), st.kindheader, nonzero);
        src.line = [&st, cumul, widths](size_t i) {
            const StatRow& r = st.rows[i];
            return format_set_row(static_cast<int64_t>(i), r.count, r.size, (*cumul)[i], st.count,
                                  st.size, r.kind, *widths);
        };
        break;
    }
    case StatFormat::Id:
        if (!st.kindname) throw Error("the IdFormat Stat has no .kindname; it cannot be printed");
        {
            src.label = id_label(st.count, *st.kindname, st.size);
            auto widths =
                std::make_shared<const ColumnWidths>(id_widths(last_index, sizes, cumulatives));
            src.row_header = row_header(id_header(*widths), st.kindheader, nonzero);
            src.line = [&st, cumul, widths](size_t i) {
                const StatRow& r = st.rows[i];
                return format_id_row(static_cast<int64_t>(i), r.size, (*cumul)[i], st.size, r.kind,
                                     *widths);
            };
        }
        break;
    case StatFormat::Diff:
        if (!st.b_count || !st.b_size) {
            throw Error("the DiffFormat Stat has no .b_count/.b_size; it cannot be printed");
        }
        {
            src.label = diff_label(st.count, st.size, *st.b_count, *st.b_size);
            auto widths = std::make_shared<const ColumnWidths>(
                diff_widths(last_index, counts, sizes, cumulatives));
            src.row_header = row_header(diff_header(*widths), st.kindheader, nonzero);
            src.line = [&st, cumul, widths](size_t i) {
                const StatRow& r = st.rows[i];
                return format_diff_row(static_cast<int64_t>(i), r.count, r.size, (*cumul)[i],
                                       *st.b_size, r.kind, *widths);
            };
        }
        break;
    }
    const int64_t numrows = st.numrows;
    src.more_msg = [numrows](size_t, size_t last) {
        return more_rows_msg(numrows - static_cast<int64_t>(last + 1));
    };
    return src;
}

double round_timemade(double t) {
    // float('%f' % t), as a Stat made from trows stores it.
    std::string s = fmt::format("{:.6f}", t);
    return std::stod(s);
}

Stat select_rows(const Stat& st, size_t start, size_t stop) {
    Stat out;
    out.format = st.format;
    out.timemade = round_timemade(st.timemade);
    out.kindname = st.kindname;
    out.kindheader = st.kindheader;
    out.b_count = st.b_count;
    out.b_size = st.b_size;
    out.order = StatHeaderOrder::Slice;
    for (size_t i = start; i < stop; ++i) {
        if (i >= st.rows.size()) throw Error("Stat index out of range.");
        StatRow r = st.rows[i];
        out.count += r.count;
        out.size += r.size;
        out.rows.push_back(std::move(r));
    }
    out.numrows = static_cast<int64_t>(out.rows.size());
    return out;
}

} // namespace

std::string format_stat(const Stat& stat, size_t first, size_t max_rows, bool with_label) {
    return render_page(stat_source(stat), first, max_rows, with_label).text;
}

size_t stat_page_end(const Stat& stat, size_t first, size_t max_rows) {
    return page_end(usable_rows(stat), first, max_rows);
}

Stat stat_item(const Stat& stat, int64_t index) {
    if (index < 0) index += stat.numrows;
    if (index < 0 || index >= stat.numrows) throw Error("Stat index out of range.");
    return select_rows(stat, static_cast<size_t>(index), static_cast<size_t>(index) + 1);
}

Stat stat_slice(const Stat& stat, std::optional<int64_t> start, std::optional<int64_t> stop) {
    // slice(start, stop).indices(numrows) with step 1
    const int64_t n = std::max<int64_t>(stat.numrows, 0);
    auto norm = [n](std::optional<int64_t> v, int64_t dflt) {
        if (!v) return dflt;
        int64_t x = *v;
        if (x < 0) x = std::max<int64_t>(x + n, 0);
        return std::min(x, n);
    };
    const int64_t b = norm(start, 0);
    const int64_t e = norm(stop, n);
    return select_rows(stat, static_cast<size_t>(b), static_cast<size_t>(std::max(b, e)));
}

} // namespace heapy::report
