#include "core/commands/listing_writer.hpp"

#include "core/errors.hpp"
#include "core/report/pyunicode.hpp"

#include <algorithm>

namespace heapy::commands {

namespace {
// Enough to make the cost of a call negligible, few enough to stop at once on Ctrl-C.
constexpr size_t kLinesPerWrite = 4096;
} // namespace

std::string write_lines(const report::PageSource& source, size_t first, bool top,
                        std::string_view notes, const FrontEnd& frontend, size_t& next) {
    std::string out;
    std::string piece;
    if (top && source.label) piece += *source.label + "\n";
    if (first >= source.num_lines) {
        if (source.empty_msg) piece += *source.empty_msg + "\n";
        piece.resize(report::py_rstrip(piece).size());
    } else if (source.row_header) {
        piece += *source.row_header + "\n";
    }
    auto emit = [&](size_t written_to) {
        if (frontend.interrupted()) throw Interrupted();
        if (!frontend.write) {
            out += piece;
        } else if (!frontend.write(piece)) {
            throw OutputStopped();
        }
        piece.clear();
        next = written_to;
    };
    const size_t per_write = frontend.write && frontend.paged() ? 1 : kLinesPerWrite;
    for (size_t line = first; line < source.num_lines;) {
        const size_t end = std::min(source.num_lines, line + per_write);
        for (; line < end; ++line) piece += source.line(line) + "\n";
        if (line == source.num_lines) {
            piece.resize(report::py_rstrip(piece).size()); // heapy rstrip()s the whole text
            piece += "\n";
            piece += notes;
        }
        emit(line);
        frontend.progress("printing the rows", line, source.num_lines);
    }
    if (first >= source.num_lines) {
        if (!piece.empty()) piece += "\n";
        piece += notes;
        emit(first);
    }
    return out;
}

} // namespace heapy::commands
