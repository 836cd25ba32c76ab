#include "core/report/set_format.hpp"

#include "core/report/paging.hpp"

#include <fmt/format.h>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <tuple>

namespace heapy::report {

namespace {

// part * 100.0 / whole as Python computes it (both converted to double first).
double ratio(double part, double whole) {
    return part * 100.0 / whole;
}

// int('%.0f' % x) as text: '%.0f' rounds half to even on the exact binary value (fmt does the
// same), and int() turns "-0" into 0. Exact at any magnitude.
std::string percent_text(double part, double whole) {
    if (whole == 0) return "0";
    std::string s = fmt::format("{:.0f}", ratio(part, whole));
    if (s == "-0") s = "0";
    return s;
}

long to_long(const std::string& s) {
    try {
        return std::stol(s);
    } catch (const std::out_of_range&) {
        return s[0] == '-' ? std::numeric_limits<long>::min() : std::numeric_limits<long>::max();
    }
}

} // namespace

long percent_signed(int64_t part, int64_t whole) {
    return to_long(percent_text(static_cast<double>(part), static_cast<double>(whole)));
}

long percent(uint64_t part, uint64_t whole) {
    return to_long(percent_text(static_cast<double>(part), static_cast<double>(whole)));
}

std::string set_label(int64_t count, int64_t size) {
    return fmt::format("Partition of a set of {} object{}. Total size = {} bytes.", count,
                       count != 1 ? "s" : "", size);
}

ColumnWidths::ColumnWidths(std::initializer_list<size_t> heapy_widths) {
    for (size_t w : heapy_widths)
        if (count_ < kMaxColumns) heapy_[count_++] = w;
    widths_ = heapy_;
}

void ColumnWidths::fit(size_t column, int64_t number) {
    uint64_t magnitude = number < 0 ? 0 - static_cast<uint64_t>(number) : uint64_t(number);
    size_t chars = number < 0 ? 2 : 1;
    for (; magnitude >= 10; magnitude /= 10) ++chars;
    fit_chars(column, chars);
}

void ColumnWidths::fit_chars(size_t column, size_t chars) {
    if (column < count_) widths_[column] = std::max(widths_[column], chars);
}

size_t ColumnWidths::added() const {
    size_t added = 0;
    for (size_t c = 0; c < count_; ++c) added += widths_[c] - heapy_[c];
    return added;
}

std::string ColumnWidths::header(std::string_view heapy_header,
                                 std::initializer_list<size_t> starts) const {
    std::string out(heapy_header);
    size_t c = starts.size();
    for (auto start = starts.end(); start != starts.begin();) {
        --start;
        --c;
        if (c < count_ && widths_[c] > heapy_[c] && *start <= out.size())
            out.insert(*start, widths_[c] - heapy_[c], ' ');
    }
    return out;
}

ColumnWidths set_widths() {
    return {6, 6, 3, 8, 3, 9, 3};
}

ColumnWidths set_widths(int64_t last_index, const NumberSpan& count, const NumberSpan& size,
                        const NumberSpan& cumulative, int64_t total_count, int64_t total_size) {
    ColumnWidths widths = set_widths();
    auto pct_chars = [](int64_t part, int64_t whole) {
        return percent_text(static_cast<double>(part), static_cast<double>(whole)).size();
    };
    widths.fit(0, last_index);
    // A percentage grows with its part: the widest is that of the smallest or the largest.
    for (auto [span, column, whole] :
         {std::tuple{&count, 1, total_count}, std::tuple{&size, 3, total_size},
          std::tuple{&cumulative, 5, total_size}}) {
        if (!span->any) continue;
        widths.fit(size_t(column), span->lo);
        widths.fit(size_t(column), span->hi);
        widths.fit_chars(size_t(column) + 1, pct_chars(span->lo, whole));
        widths.fit_chars(size_t(column) + 1, pct_chars(span->hi, whole));
    }
    return widths;
}

std::string set_header(const ColumnWidths& widths) {
    return widths.header(kSetStatHeader, {0, 7, 14, 18, 27, 31, 41});
}

std::string set_row_prefix(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                           int64_t total_count, int64_t total_size, const ColumnWidths& w) {
    auto pct = [](int64_t part, int64_t whole) {
        return percent_text(static_cast<double>(part), static_cast<double>(whole));
    };
    return fmt::format("{:{}d} {:{}d} {:>{}} {:{}d} {:>{}} {:{}d} {:>{}} ", index, w[0], count,
                       w[1], pct(count, total_count), w[2], size, w[3], pct(size, total_size), w[4],
                       cumulative, w[5], pct(cumulative, total_size), w[6]);
}

std::string format_set_row(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                           int64_t total_count, int64_t total_size, std::string_view kind,
                           const ColumnWidths& widths) {
    return wrap_row(set_row_prefix(index, count, size, cumulative, total_count, total_size, widths),
                    kind);
}

std::string more_rows_msg(int64_t remaining) {
    return fmt::format("<{} more rows. Type e.g. '_.more' to view.>", remaining);
}

namespace {

int64_t s64(uint64_t v) {
    return static_cast<int64_t>(v);
}

} // namespace

PageSource partition_page_source(const Partition& p) {
    PageSource src;
    src.label = set_label(s64(p.count), s64(p.size));
    src.num_lines = p.rows.size();
    auto cumul = std::make_shared<std::vector<uint64_t>>();
    uint64_t running = 0;
    cumul->reserve(p.rows.size());
    NumberSpan counts, sizes, cumulatives;
    for (const PartitionRow& r : p.rows) {
        running += r.size;
        cumul->push_back(running);
        counts.add(s64(r.count));
        sizes.add(s64(r.size));
        cumulatives.add(s64(running));
    }
    // Every page of the table alike: the widths fit all of its rows.
    auto widths = std::make_shared<const ColumnWidths>(
        set_widths(s64(p.rows.size()) - 1, counts, sizes, cumulatives, s64(p.count), s64(p.size)));
    src.row_header = row_header(set_header(*widths), p.header, p.count != 0 || p.size != 0);
    src.line = [&p, cumul, widths](size_t i) {
        const PartitionRow& r = p.rows[i];
        return format_set_row(static_cast<int64_t>(i), s64(r.count), s64(r.size), s64((*cumul)[i]),
                              s64(p.count), s64(p.size), p.kind(i), *widths);
    };
    const size_t n = p.rows.size();
    src.more_msg = [n](size_t, size_t last) {
        return more_rows_msg(static_cast<int64_t>(n - (last + 1)));
    };
    return src;
}

std::string format_partition(const Partition& partition, size_t first, size_t max_rows,
                             bool with_label) {
    return render_page(partition_page_source(partition), first, max_rows, with_label).text;
}

size_t partition_page_end(const Partition& partition, size_t first, size_t max_rows) {
    return page_end(partition.rows.size(), first, max_rows);
}

std::string format_partition_row_set(const Partition& parent, size_t row) {
    if (row >= parent.rows.size()) throw std::out_of_range("Partition index out of range.");
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= row; ++i) cumulative += parent.rows[i].size;
    const PartitionRow& r = parent.rows[row];
    PageSource src;
    src.label = set_label(s64(r.count), s64(r.size));
    NumberSpan count, size, cumulatives;
    count.add(s64(r.count));
    size.add(s64(r.size));
    cumulatives.add(s64(cumulative));
    const ColumnWidths widths =
        set_widths(s64(row), count, size, cumulatives, s64(r.count), s64(r.size));
    src.row_header = row_header(set_header(widths), parent.header, r.count != 0 || r.size != 0);
    src.num_lines = 1;
    src.line = [&](size_t) {
        return format_set_row(static_cast<int64_t>(row), s64(r.count), s64(r.size), s64(cumulative),
                              s64(r.count), s64(r.size), parent.kind(row), widths);
    };
    src.more_msg = [](size_t, size_t last) { return more_rows_msg(-static_cast<int64_t>(last)); };
    return render_page(src).text;
}

std::string partition_json(const Partition& partition, size_t first, size_t max_rows,
                           bool with_index) {
    auto str = [](std::string_view s) {
        return nlohmann::json(std::string(s))
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    std::string out = fmt::format("{{\"count\": {}, \"size\": {}, \"classifier\": {}, \"rows\": [",
                                  partition.count, partition.size, str(partition.classifier));
    const size_t end = partition.rows.size() - std::min(first, partition.rows.size()) > max_rows
                           ? first + max_rows
                           : partition.rows.size();
    for (size_t i = first; i < end; ++i) {
        const PartitionRow& r = partition.rows[i];
        if (i != first) out += ", ";
        if (with_index)
            out += fmt::format("{{\"index\": {}, ", i);
        else
            out += "{";
        out += fmt::format("\"kind\": {}, \"count\": {}, \"size\": {}}}", str(partition.kind(i)),
                           r.count, r.size);
    }
    out += "]}";
    return out;
}

} // namespace heapy::report
