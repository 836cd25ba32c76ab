#include "core/report/id_format.hpp"

#include "core/report/paging.hpp"

#include <fmt/format.h>
#include <memory>

namespace heapy::report {

namespace {
double pct(int64_t part, int64_t whole) {
    if (whole == 0) return 0.0;
    return static_cast<double>(part) * 100.0 / static_cast<double>(whole);
}
int64_t s64(uint64_t v) {
    return static_cast<int64_t>(v);
}
} // namespace

std::string id_label(int64_t count, std::string_view kindname, int64_t size) {
    return fmt::format("Set of {} {} object{}. Total size = {} bytes.", count, kindname,
                       count != 1 ? "s" : "", size);
}

ColumnWidths id_widths() {
    return {6, 8, 5, 9, 5};
}

ColumnWidths id_widths(int64_t last_index, const NumberSpan& size, const NumberSpan& cumulative) {
    ColumnWidths widths = id_widths();
    widths.fit(0, last_index);
    for (auto [span, column] : {std::pair{&size, size_t{1}}, std::pair{&cumulative, size_t{3}}})
        if (span->any) {
            widths.fit(column, span->lo);
            widths.fit(column, span->hi);
        }
    return widths;
}

std::string id_header(const ColumnWidths& widths) {
    return widths.header(kIdStatHeader, {0, 7, 16, 22, 32});
}

std::string id_row_prefix(int64_t index, int64_t size, int64_t cumulative, int64_t total_size,
                          const ColumnWidths& w) {
    return fmt::format("{:{}d} {:{}d} {:{}.1f} {:{}d} {:{}.1f} ", index, w[0], size, w[1],
                       pct(size, total_size), w[2], cumulative, w[3], pct(cumulative, total_size),
                       w[4]);
}

std::string format_id_row(int64_t index, int64_t size, int64_t cumulative, int64_t total_size,
                          std::string_view render, const ColumnWidths& widths) {
    return wrap_row(id_row_prefix(index, size, cumulative, total_size, widths), render);
}

PageSource id_table_page_source(const IdTable& t) {
    PageSource src;
    src.label = id_label(s64(t.count), t.kindname, s64(t.size));
    src.num_lines = t.rows.size();
    auto cumul = std::make_shared<std::vector<uint64_t>>();
    cumul->reserve(t.rows.size());
    uint64_t running = 0;
    NumberSpan sizes, cumulatives;
    for (const IdRow& r : t.rows) {
        running += r.size;
        cumul->push_back(running);
        sizes.add(s64(r.size));
        cumulatives.add(s64(running));
    }
    auto widths =
        std::make_shared<const ColumnWidths>(id_widths(s64(t.rows.size()) - 1, sizes, cumulatives));
    src.row_header = row_header(id_header(*widths), t.header, t.count != 0 || t.size != 0);
    src.line = [&t, cumul, widths](size_t i) {
        return format_id_row(static_cast<int64_t>(i), s64(t.rows[i].size), s64((*cumul)[i]),
                             s64(t.size), t.rows[i].render, *widths);
    };
    const size_t n = t.rows.size();
    src.more_msg = [n](size_t, size_t last) {
        return more_rows_msg(static_cast<int64_t>(n - (last + 1)));
    };
    return src;
}

std::string format_id_table(const IdTable& t, size_t first, size_t max_rows, bool with_label) {
    return render_page(id_table_page_source(t), first, max_rows, with_label).text;
}

} // namespace heapy::report
