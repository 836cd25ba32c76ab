#include "core/report/set_format.hpp"

#include "core/report/paging.hpp"

#include <fmt/format.h>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

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

std::string set_row_prefix(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                           int64_t total_count, int64_t total_size) {
    auto pct = [](int64_t part, int64_t whole) {
        return percent_text(static_cast<double>(part), static_cast<double>(whole));
    };
    return fmt::format("{:6d} {:6d} {:>3} {:8d} {:>3} {:9d} {:>3} ", index, count,
                       pct(count, total_count), size, pct(size, total_size), cumulative,
                       pct(cumulative, total_size));
}

std::string format_set_row(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                           int64_t total_count, int64_t total_size, std::string_view kind) {
    return wrap_row(set_row_prefix(index, count, size, cumulative, total_count, total_size), kind);
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
    src.row_header = row_header(kSetStatHeader, p.header, p.count != 0 || p.size != 0);
    src.num_lines = p.rows.size();
    auto cumul = std::make_shared<std::vector<uint64_t>>();
    uint64_t running = 0;
    cumul->reserve(p.rows.size());
    for (const PartitionRow& r : p.rows) {
        running += r.size;
        cumul->push_back(running);
    }
    src.line = [&p, cumul](size_t i) {
        const PartitionRow& r = p.rows[i];
        return format_set_row(static_cast<int64_t>(i), s64(r.count), s64(r.size), s64((*cumul)[i]),
                              s64(p.count), s64(p.size), p.kind(i));
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
    src.row_header = row_header(kSetStatHeader, parent.header, r.count != 0 || r.size != 0);
    src.num_lines = 1;
    src.line = [&](size_t) {
        return format_set_row(static_cast<int64_t>(row), s64(r.count), s64(r.size), s64(cumulative),
                              s64(r.count), s64(r.size), parent.kind(row));
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
