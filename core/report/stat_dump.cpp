#include "core/report/stat_dump.hpp"

#include "core/errors.hpp"
#include "core/report/pyrepr.hpp"
#include "core/report/pyunicode.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <istream>
#include <limits>
#include <map>
#include <ostream>

namespace heapy::report {

namespace {

constexpr std::string_view kLoaderPrefix = ".loader:";

std::string row_data(StatFormat format, const StatRow& r) {
    if (format == StatFormat::Id) return fmt::format("{} {}", r.size, r.kind);
    return fmt::format("{} {} {}", r.count, r.size, r.kind);
}

// Python int(s) for base 10: surrounding whitespace, a sign, ASCII digits with single '_'
// between digits. Non-ASCII digits (which Python accepts) are not.
std::optional<int64_t> parse_py_int(std::string_view s) {
    s = py_strip(s);
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    uint64_t value = 0;
    bool prev_digit = false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '_') {
            if (!prev_digit || i + 1 == s.size()) return std::nullopt;
            prev_digit = false;
            continue;
        }
        if (c < '0' || c > '9') return std::nullopt;
        prev_digit = true;
        const uint64_t limit = negative ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                                        : uint64_t(std::numeric_limits<int64_t>::max());
        const uint64_t digit = static_cast<uint64_t>(c - '0');
        if (value > (limit - digit) / 10) return std::nullopt; // too large for int64
        value = value * 10 + digit;
    }
    if (negative) return static_cast<int64_t>(0 - value);
    return static_cast<int64_t>(value);
}

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (x != b[i]) return false;
    }
    return true;
}

// Python float(s): [sign] (digits[.digits][exp] | .digits[exp] | inf | infinity | nan), digit
// groups may contain single '_' between digits.
std::optional<double> parse_py_float(std::string_view s) {
    s = py_strip(s);
    bool negative = false;
    std::string_view body = s;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        negative = body[0] == '-';
        body.remove_prefix(1);
    }
    if (ieq(body, "inf") || ieq(body, "infinity")) {
        return negative ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity();
    }
    if (ieq(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
    std::string clean;
    size_t i = 0;
    auto digits = [&](bool required) {
        size_t n = 0;
        while (i < body.size()) {
            char c = body[i];
            if (c >= '0' && c <= '9') {
                clean.push_back(c);
                ++n;
                ++i;
            } else if (c == '_' && n > 0 && i + 1 < body.size() && body[i + 1] >= '0' &&
                       body[i + 1] <= '9') {
                ++i;
            } else {
                break;
            }
        }
        return n > 0 || !required;
    };
    size_t int_start = i;
    digits(false);
    bool has_int = i > int_start;
    bool has_frac = false;
    if (i < body.size() && body[i] == '.') {
        clean.push_back('.');
        ++i;
        size_t frac_start = i;
        digits(false);
        has_frac = i > frac_start;
    }
    if (!has_int && !has_frac) return std::nullopt;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        clean.push_back('e');
        ++i;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) clean.push_back(body[i++]);
        if (!digits(true)) return std::nullopt;
    }
    if (i != body.size()) return std::nullopt;
    double value = 0;
    auto res = std::from_chars(clean.data(), clean.data() + clean.size(), value);
    if (res.ec == std::errc::result_out_of_range) {
        // Python gives inf for overflow and 0.0 for underflow.
        bool big = clean.find('e') == std::string::npos || clean[clean.find('e') + 1] != '-';
        value = big ? std::numeric_limits<double>::infinity() : 0.0;
    } else if (res.ec != std::errc() || res.ptr != clean.data() + clean.size()) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

// Universal-newline split: "\r\n", "\r" and "\n" end lines; a last line without an ending counts.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || text[i] == '\r') {
            lines.push_back(text.substr(start, i - start));
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            start = i + 1;
        }
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

std::string shown(std::string_view line) {
    std::string r = py_repr_str(line);
    if (r.size() > 60) r = r.substr(0, 57) + "...";
    return r;
}

[[noreturn]] void fail(size_t lineno, std::string_view what) {
    throw Error(fmt::format("Stat dump line {}: {}", lineno, what));
}

void check_loader(std::string_view first, size_t lineno) {
    if (first.substr(0, kLoaderPrefix.size()) != kLoaderPrefix) {
        fail(lineno, fmt::format("expected '.loader: _load_stat' to start a package, got {}",
                                 shown(first)));
    }
    std::string_view loader = py_strip(first.substr(kLoaderPrefix.size()));
    if (loader != "_load_stat") {
        fail(lineno, fmt::format("unknown loader {} (only '_load_stat' is supported)",
                                 py_repr_str(loader)));
    }
}

// Stat.__init__ + parsing of the rows, over the lines of one package. `base` = line number of
// lines[0] in the file (1-based).
Stat parse_package(const std::vector<std::string_view>& lines, size_t base) {
    if (lines.empty()) throw Error("Stat dump is empty: expected '.loader: _load_stat'");
    check_loader(lines[0], base);

    std::map<std::string, std::pair<std::string, size_t>> fields; // name -> (value, lineno)
    size_t i = 0;
    while (i < lines.size() && !lines[i].empty() && lines[i].substr(0, 3) != ".r:") {
        std::string_view r = lines[i];
        size_t colon = r.find(':');
        if (colon == std::string_view::npos) {
            fail(base + i, fmt::format("header line without ':': {}", shown(r)));
        }
        std::string name(r.substr(1, colon - 1));
        fields[name] = {std::string(py_strip(r.substr(colon + 1))), base + i};
        ++i;
    }
    const size_t header_end_line = base + i;

    auto field = [&](const char* name) -> const std::pair<std::string, size_t>& {
        auto it = fields.find(name);
        if (it == fields.end()) {
            fail(header_end_line, fmt::format("the package has no '.{}:' line", name));
        }
        return it->second;
    };
    auto int_field = [&](const char* name) {
        const auto& [value, lineno] = field(name);
        auto v = parse_py_int(value);
        if (!v) fail(lineno, fmt::format(".{} is not an integer: {}", name, shown(value)));
        return *v;
    };

    Stat st;
    st.order = StatHeaderOrder::Partition;
    {
        const auto& [format, lineno] = field("format");
        if (format == "SetFormat") {
            st.format = StatFormat::Set;
        } else if (format == "IdFormat") {
            st.format = StatFormat::Id;
        } else if (format == "DiffFormat") {
            st.format = StatFormat::Diff;
        } else {
            fail(lineno, fmt::format("unknown .format {} (SetFormat, IdFormat or DiffFormat)",
                                     shown(format)));
        }
    }
    {
        const auto& [value, lineno] = field("timemade");
        auto t = parse_py_float(value);
        if (!t) fail(lineno, fmt::format(".timemade is not a number: {}", shown(value)));
        st.timemade = *t;
    }
    st.count = int_field("count");
    st.size = int_field("size");
    st.numrows = int_field("numrows");
    st.kindheader = field("kindheader").first;
    if (auto it = fields.find("kindname"); it != fields.end()) st.kindname = it->second.first;
    if (st.format == StatFormat::Diff) {
        st.b_count = int_field("b_count");
        st.b_size = int_field("b_size");
    } else {
        if (auto it = fields.find("b_count"); it != fields.end()) {
            st.b_count = parse_py_int(it->second.first);
        }
        if (auto it = fields.find("b_size"); it != fields.end()) {
            st.b_size = parse_py_int(it->second.first);
        }
    }

    // Rows: up to numrows, the .end line, an empty line or the end.
    while (static_cast<int64_t>(st.rows.size()) < st.numrows && i < lines.size()) {
        std::string_view r = lines[i];
        const size_t lineno = base + i;
        if (r.empty()) break;
        if (r.substr(0, 4) == ".r: ") {
            std::string_view data = r.substr(4);
            StatRow row;
            size_t sp1 = data.find(' ');
            if (sp1 == std::string_view::npos) {
                fail(lineno, fmt::format("malformed row {}", shown(r)));
            }
            if (st.format == StatFormat::Id) {
                auto size = parse_py_int(data.substr(0, sp1));
                if (!size) fail(lineno, fmt::format("malformed row size in {}", shown(r)));
                row.count = 1;
                row.size = *size;
                row.kind = std::string(data.substr(sp1 + 1));
            } else {
                size_t sp2 = data.find(' ', sp1 + 1);
                if (sp2 == std::string_view::npos) {
                    fail(lineno,
                         fmt::format("malformed row {} (want '.r: count size name')", shown(r)));
                }
                auto count = parse_py_int(data.substr(0, sp1));
                auto size = parse_py_int(data.substr(sp1 + 1, sp2 - sp1 - 1));
                if (!count || !size) {
                    fail(lineno, fmt::format("malformed row numbers in {}", shown(r)));
                }
                row.count = *count;
                row.size = *size;
                row.kind = std::string(data.substr(sp2 + 1));
            }
            st.rows.push_back(std::move(row));
            ++i;
            continue;
        }
        if (r.substr(0, 4) == ".end") break;
        fail(lineno, fmt::format("expected a '.r: ' row or the '.end' line, got {}", shown(r)));
    }
    return st;
}

} // namespace

std::vector<std::string> stat_lines(const Stat& st) {
    std::vector<std::string> out;
    out.push_back(".loader: _load_stat");
    out.push_back(fmt::format(".format: {}", stat_format_name(st.format)));
    out.push_back(fmt::format(".timemade: {:.6f}", st.timemade));
    auto count_size = [&] {
        out.push_back(fmt::format(".count: {}", st.count));
        out.push_back(fmt::format(".size: {}", st.size));
    };
    auto kindname = [&] {
        if (st.kindname) out.push_back(fmt::format(".kindname: {}", *st.kindname));
    };
    auto kindheader = [&] { out.push_back(fmt::format(".kindheader: {}", st.kindheader)); };
    auto b_fields = [&] {
        if (st.b_count) out.push_back(fmt::format(".b_count: {}", *st.b_count));
        if (st.b_size) out.push_back(fmt::format(".b_size: {}", *st.b_size));
    };
    auto numrows = [&] { out.push_back(fmt::format(".numrows: {}", st.numrows)); };
    switch (st.order) {
    case StatHeaderOrder::Partition:
        count_size();
        kindname();
        kindheader();
        numrows();
        b_fields();
        break;
    case StatHeaderOrder::Slice:
        count_size();
        kindheader();
        kindname();
        numrows();
        b_fields();
        break;
    case StatHeaderOrder::Difference:
        b_fields();
        count_size();
        kindheader();
        kindname();
        numrows();
        break;
    }
    const size_t n =
        std::min(st.rows.size(), static_cast<size_t>(std::max<int64_t>(st.numrows, 0)));
    for (size_t i = 0; i < n; ++i) out.push_back(".r: " + row_data(st.format, st.rows[i]));
    return out;
}

std::string dump_stat(const Stat& st) {
    std::string out;
    std::string last;
    for (std::string& r : stat_lines(st)) {
        if (r.empty() || r.back() != '\n') r += '\n';
        out += r;
        last = std::move(r);
    }
    std::string end = std::string(kStatEndLine) + "\n";
    if (last != end) out += end;
    return out;
}

std::string append_stat_dump(std::string_view existing, const Stat& stat) {
    std::string out(existing);
    out += dump_stat(stat);
    return out;
}

void write_stat(std::ostream& out, const Stat& stat) {
    out << dump_stat(stat);
}

Stat load_stat(std::string_view text) {
    std::vector<std::string_view> lines = split_lines(text);
    if (lines.empty()) throw Error("Stat dump is empty: expected '.loader: _load_stat'");
    // The first package: up to its end line.
    const std::string end = ".end: " + std::string(lines[0]);
    size_t n = 0;
    while (n < lines.size()) {
        if (lines[n++] == end) break;
    }
    lines.resize(n);
    return parse_package(lines, 1);
}

std::vector<Stat> load_stats(std::string_view text) {
    std::vector<std::string_view> lines = split_lines(text);
    std::vector<Stat> out;
    size_t i = 0;
    while (i < lines.size()) {
        const size_t start = i;
        const std::string end = ".end: " + std::string(lines[start]);
        while (i < lines.size()) {
            if (lines[i++] == end) break;
        }
        std::vector<std::string_view> package(lines.begin() + static_cast<long>(start),
                                              lines.begin() + static_cast<long>(i));
        out.push_back(parse_package(package, start + 1));
    }
    return out;
}

std::optional<Stat> read_stat(std::istream& in) {
    auto get_line = [&in](std::string& line) {
        line.clear();
        int c;
        bool any = false;
        while ((c = in.get()) != std::char_traits<char>::eof()) {
            any = true;
            if (c == '\n') return true;
            if (c == '\r') {
                if (in.peek() == '\n') in.get();
                return true;
            }
            line.push_back(static_cast<char>(c));
        }
        return any;
    };
    std::vector<std::string> lines;
    std::string line;
    if (!get_line(line)) return std::nullopt;
    lines.push_back(line);
    const std::string end = ".end: " + line;
    while (get_line(line)) {
        lines.push_back(line);
        if (line == end) break;
    }
    std::vector<std::string_view> views(lines.begin(), lines.end());
    return parse_package(views, 1);
}

Stat load_stat_lines(const std::vector<std::string>& lines) {
    std::vector<std::string_view> views;
    views.reserve(lines.size());
    for (const std::string& l : lines) {
        std::string_view v = l;
        while (!v.empty() && v.back() == '\n') v.remove_suffix(1);
        views.push_back(v);
    }
    return parse_package(views, 1);
}

} // namespace heapy::report
