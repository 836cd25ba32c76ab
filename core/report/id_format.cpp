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

std::string id_row_prefix(int64_t index, int64_t size, int64_t cumulative, int64_t total_size) {
    return fmt::format("{:6d} {:8d} {:5.1f} {:9d} {:5.1f} ", index, size, pct(size, total_size),
                       cumulative, pct(cumulative, total_size));
}

std::string format_id_row(int64_t index, int64_t size, int64_t cumulative, int64_t total_size,
                          std::string_view render) {
    return wrap_row(id_row_prefix(index, size, cumulative, total_size), render);
}

PageSource id_table_page_source(const IdTable& t) {
    PageSource src;
    src.label = id_label(s64(t.count), t.kindname, s64(t.size));
    src.row_header = row_header(kIdStatHeader, t.header, t.count != 0 || t.size != 0);
    src.num_lines = t.rows.size();
    auto cumul = std::make_shared<std::vector<uint64_t>>();
    cumul->reserve(t.rows.size());
    uint64_t running = 0;
    for (const IdRow& r : t.rows) {
        running += r.size;
        cumul->push_back(running);
    }
    src.line = [&t, cumul](size_t i) {
        return format_id_row(static_cast<int64_t>(i), s64(t.rows[i].size), s64((*cumul)[i]),
                             s64(t.size), t.rows[i].render);
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
