#include "core/report/paging.hpp"

#include "core/report/pyunicode.hpp"
#include "core/report/textwrap.hpp"

namespace heapy::report {

Page render_page(const PageSource& source, size_t first, size_t max_lines, bool top) {
    std::string out;
    auto print = [&out](std::string_view s) {
        out += s;
        out += '\n';
    };
    Page page;
    if (top && source.label) print(*source.label);
    page.next_line = first;
    if (first >= source.num_lines) {
        if (source.empty_msg) print(*source.empty_msg);
    } else {
        if (source.row_header) print(*source.row_header);
        size_t printed = 0;
        size_t lineno = first;
        while (lineno < source.num_lines) {
            if (max_lines != kAllLines && printed >= max_lines) {
                if (lineno + 1 >= source.num_lines) {
                    print(source.line(lineno));
                    ++lineno;
                } else if (source.more_msg) {
                    print(source.more_msg(first, lineno - 1));
                }
                break;
            }
            ++printed;
            print(source.line(lineno));
            ++lineno;
        }
        page.next_line = lineno;
    }
    out.resize(py_rstrip(out).size());
    page.text = std::move(out);
    return page;
}

size_t page_end(size_t num_lines, size_t first, size_t max_lines) {
    if (first >= num_lines) return first;
    if (max_lines == kAllLines || num_lines - first <= max_lines + 1) return num_lines;
    return first + max_lines;
}

std::string wrap_row(std::string_view prefix, std::string_view name) {
    const std::string indent(py_len(prefix), ' ');
    std::vector<std::string> lines;
    size_t start = 0;
    bool first = true;
    while (true) {
        size_t nl = name.find('\n', start);
        std::string_view piece =
            name.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        std::vector<std::string> wrapped =
            first ? wrap(std::string(prefix) + std::string(piece), kLineLength, {}, indent)
                  : wrap(piece, kLineLength, indent, indent);
        for (std::string& l : wrapped) lines.push_back(std::move(l));
        first = false;
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (i) out += '\n';
        out += lines[i];
    }
    return out;
}

std::string row_header(std::string_view stat_header, std::string_view kind_header, bool nonzero) {
    if (!nonzero) return {};
    return fill(std::string(stat_header) + std::string(kind_header), kLineLength, {},
                std::string(py_len(stat_header), ' '));
}

} // namespace heapy::report
