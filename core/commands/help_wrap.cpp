#include "core/commands/help_wrap.hpp"

#include <algorithm>
#include <vector>

namespace heapy::commands {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const size_t eol = text.find('\n');
        lines.push_back(text.substr(0, eol));
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    }
    return lines;
}

size_t indent_of(std::string_view line) {
    const size_t at = line.find_first_not_of(' ');
    return at == std::string_view::npos ? line.size() : at;
}

// An example to copy: a prompt and a command, a shell command, or a key typed.
bool is_example(std::string_view content) {
    for (std::string_view start : {"(", "$ ", "^", "heapy ", "printf "})
        if (content.starts_with(start)) return true;
    return false;
}

// "Example:", "Commands:": a line of its own.
bool is_heading(std::string_view line) {
    return line.ends_with(':') && line.find(' ') == std::string_view::npos;
}

// Where the text of a list entry starts ("  --by KIND   text": at "text"), or 0 for none.
size_t entry_text_column(std::string_view line) {
    const size_t indent = indent_of(line);
    const size_t gap = line.find("  ", indent);
    if (indent == 0 || gap == std::string_view::npos) return 0;
    const size_t text = line.find_first_not_of(' ', gap);
    return text == std::string_view::npos ? 0 : text;
}

// Greedy filling of `words` (separated by blanks), the first line after `first`, the others
// after `indent` spaces.
std::string fill(std::string_view first, std::string_view words, size_t indent, size_t width) {
    std::string out(first);
    size_t column = first.size();
    bool line_has_word = false;
    while (!words.empty()) {
        const size_t start = words.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        words.remove_prefix(start);
        const size_t end = std::min(words.find(' '), words.size());
        const std::string_view word = words.substr(0, end);
        words.remove_prefix(end);
        if (line_has_word && column + 1 + word.size() > width) {
            out += '\n' + std::string(indent, ' ');
            column = indent;
            line_has_word = false;
        }
        if (line_has_word) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        line_has_word = true;
    }
    return out + '\n';
}

} // namespace

std::string fit_help(std::string_view text, size_t width) {
    const std::vector<std::string_view> lines = lines_of(text);
    std::string out;
    for (size_t i = 0; i < lines.size();) {
        const std::string_view line = lines[i++];
        const size_t indent = indent_of(line);
        if (indent == line.size() || is_example(line.substr(indent))) {
            out += std::string(line) + '\n';
        } else if (indent == 0) {
            std::string paragraph(line);
            while (i < lines.size() && !paragraph.ends_with(':') && !lines[i].empty() &&
                   indent_of(lines[i]) == 0 && !is_heading(lines[i]))
                paragraph += ' ' + std::string(lines[i++]);
            out += fill("", paragraph, 0, width);
        } else if (const size_t column = entry_text_column(line); column != 0) {
            std::string entry(line.substr(column));
            for (; i < lines.size(); ++i) {
                const size_t next_indent = indent_of(lines[i]);
                const std::string_view content = lines[i].substr(next_indent);
                if (next_indent <= indent || content.empty() || is_example(content)) break;
                entry += ' ' + std::string(content);
            }
            out += fill(line.substr(0, column), entry, column, width);
        } else {
            out += std::string(line) + '\n';
        }
    }
    if (!text.ends_with('\n') && !out.empty()) out.pop_back();
    return out;
}

} // namespace heapy::commands
