#include "core/report/diff_format.hpp"

#include "core/errors.hpp"
#include "core/report/paging.hpp"
#include "core/report/pyrepr.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_map>

namespace heapy::report {

std::string percent_of_b(int64_t x, int64_t b_size) {
    if (b_size == 0) return "   (n.a.)";
    return fmt::format("{:9.3g}", static_cast<double>(x) * 100.0 / static_cast<double>(b_size));
}

std::string diff_label(int64_t count, int64_t size, int64_t b_count, int64_t b_size) {
    // A small table of its own: its columns widen alike where a number does not fit.
    ColumnWidths w{6, 8};
    for (int64_t n : {count + b_count, b_count, count}) w.fit(0, n);
    for (int64_t n : {size + b_size, b_size, size}) w.fit(1, n);
    std::string x = "Summary of difference operation (A-B).\n";
    x += fmt::format("       {:>{}} {:>{}}\n", "Count", w[0], "Size", w[1]);
    x += fmt::format("  A    {:{}d} {:{}d}\n", count + b_count, w[0], size + b_size, w[1]);
    x += fmt::format("  B    {:{}d} {:{}d}\n", b_count, w[0], b_size, w[1]);
    x += fmt::format("  A-B  {:{}d} {:{}d}  = {} % of B\n", count, w[0], size, w[1],
                     percent_of_b(size, b_size));
    if (count != 0 || size != 0) x += "\nDifferences by kind, largest absolute size diffs first.";
    return x;
}

ColumnWidths diff_widths() {
    return {6, 6, 8, 9};
}

ColumnWidths diff_widths(int64_t last_index, const NumberSpan& count, const NumberSpan& size,
                         const NumberSpan& cumulative) {
    ColumnWidths widths = diff_widths();
    widths.fit(0, last_index);
    size_t column = 1;
    for (const NumberSpan* span : {&count, &size, &cumulative}) {
        if (span->any) {
            widths.fit(column, span->lo);
            widths.fit(column, span->hi);
        }
        ++column;
    }
    return widths;
}

std::string diff_header(const ColumnWidths& widths) {
    return widths.header(kDiffStatHeader, {0, 7, 14, 23});
}

std::string diff_row_prefix(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                            int64_t b_size, const ColumnWidths& w) {
    return fmt::format("{:{}d} {:{}d} {:{}d} {:{}d} {} ", index, w[0], count, w[1], size, w[2],
                       cumulative, w[3], percent_of_b(cumulative, b_size));
}

std::string format_diff_row(int64_t index, int64_t count, int64_t size, int64_t cumulative,
                            int64_t b_size, std::string_view kind, const ColumnWidths& widths) {
    return wrap_row(diff_row_prefix(index, count, size, cumulative, b_size, widths), kind);
}

Stat stat_difference(const Stat& a, const Stat& b, double timemade) {
    if (a.kindheader != b.kindheader) {
        throw Error(fmt::format("Mismatching table kind header, {} vs {}.",
                                py_repr_str(a.kindheader), py_repr_str(b.kindheader)));
    }
    if (!a.kindname) throw Error("the Stat has no .kindname; it cannot be subtracted from");
    auto rows_of = [](const Stat& s) {
        size_t n = std::min(s.rows.size(), static_cast<size_t>(std::max<int64_t>(s.numrows, 0)));
        return n;
    };

    // otab: B's rows by name, summed; `index` = index of the first row with that name.
    struct Other {
        int64_t count;
        int64_t size;
        size_t index;
    };
    std::unordered_map<std::string, Other> otab;
    const size_t nb = rows_of(b);
    for (size_t i = 0; i < nb; ++i) {
        const StatRow& r = b.rows[i];
        auto it = otab.find(r.kind);
        if (it != otab.end()) {
            it->second.count += r.count;
            it->second.size += r.size;
        } else {
            otab.emplace(r.kind, Other{r.count, r.size, i});
        }
    }

    std::vector<StatRow> rows;
    std::unordered_map<std::string, size_t> stab; // name -> position in rows
    const size_t na = rows_of(a);
    for (size_t i = 0; i < na; ++i) {
        const StatRow& r = a.rows[i];
        int64_t count = r.count;
        int64_t size = r.size;
        auto it = otab.find(r.kind);
        if (it != otab.end()) {
            count -= it->second.count;
            size -= it->second.size;
            otab.erase(it);
        }
        if (count == 0 && size == 0) continue;
        auto st = stab.find(r.kind);
        if (st != stab.end()) {
            rows[st->second].count += count;
            rows[st->second].size += size;
        } else {
            stab.emplace(r.kind, rows.size());
            rows.push_back(StatRow{count, size, r.kind});
        }
    }
    // Remaining B-only rows, in B's order, negated.
    std::vector<std::pair<size_t, std::string>> rest;
    rest.reserve(otab.size());
    for (const auto& [name, o] : otab) rest.emplace_back(o.index, name);
    std::sort(rest.begin(), rest.end());
    for (const auto& [index, name] : rest) {
        const Other& o = otab.at(name);
        rows.push_back(StatRow{-o.count, -o.size, name});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const StatRow& x, const StatRow& y) {
        auto mag = [](int64_t v) { return v < 0 ? -static_cast<uint64_t>(v) : uint64_t(v); };
        return mag(x.size) > mag(y.size);
    });

    Stat out;
    out.format = StatFormat::Diff;
    out.timemade = std::stod(fmt::format("{:.6f}", timemade)); // reloaded from '%f'
    out.b_count = b.count;
    out.b_size = b.size;
    for (const StatRow& r : rows) {
        out.count += r.count;
        out.size += r.size;
    }
    out.kindheader = a.kindheader;
    out.kindname = a.kindname;
    out.numrows = static_cast<int64_t>(rows.size());
    out.rows = std::move(rows);
    out.order = StatHeaderOrder::Difference;
    return out;
}

} // namespace heapy::report
