#include "core/report/textwrap.hpp"

#include "core/report/pyunicode.hpp"

#include <stdexcept>

namespace heapy::report {

namespace {

constexpr size_t kTabSize = 8;

// textwrap's _whitespace: the only characters its regex and translate() treat as whitespace.
bool tw_space(char32_t c) {
    return c == '\t' || c == '\n' || c == 0x0B || c == 0x0C || c == '\r' || c == ' ';
}
bool re_word(char32_t c) {
    return c == '_' || py_isalnum(c);
} // \w
bool re_letter(char32_t c) {
    return re_word(c) && !py_isdecimal(c);
} // [^\d\W]
bool word_punct(char32_t c) { // [\w!"\'&.,?]
    return re_word(c) || c == '!' || c == '"' || c == '\'' || c == '&' || c == '.' || c == ',' ||
           c == '?';
}

// _munge_whitespace: expandtabs(8), then each of _whitespace becomes ' '.
std::vector<PyChar> munge(std::string_view text) {
    static constexpr std::string_view kSpace = " ";
    std::vector<PyChar> in = decode_utf8(text);
    std::vector<PyChar> out;
    out.reserve(in.size());
    size_t column = 0;
    for (const PyChar& ch : in) {
        if (ch.cp == '\t') {
            size_t n = kTabSize - column % kTabSize;
            for (size_t k = 0; k < n; ++k) out.push_back(PyChar{' ', kSpace});
            column += n;
            continue;
        }
        if (ch.cp == '\n' || ch.cp == '\r') {
            column = 0;
        } else {
            ++column;
        }
        if (tw_space(ch.cp)) {
            out.push_back(PyChar{' ', kSpace});
        } else {
            out.push_back(ch);
        }
    }
    return out;
}

struct Span {
    size_t begin;
    size_t end;
    size_t size() const { return end - begin; }
};

// One match of wordsep_re at position p (which it always matches, never empty).
size_t match_end(const std::vector<PyChar>& t, size_t p) {
    const size_t n = t.size();
    auto at = [&](size_t i) -> char32_t { return i < n ? t[i].cp : 0; };
    auto hyphen_run_end = [&](size_t i) {
        while (i < n && t[i].cp == '-') ++i;
        return i;
    };
    // any whitespace
    if (tw_space(t[p].cp)) {
        size_t q = p;
        while (q < n && tw_space(t[q].cp)) ++q;
        return q;
    }
    // em-dash between words: (?<=wp) -{2,} (?=\w)
    if (p > 0 && word_punct(t[p - 1].cp) && t[p].cp == '-') {
        size_t k = hyphen_run_end(p);
        if (k - p >= 2 && k < n && re_word(t[k].cp)) return k;
    }
    // word, possibly hyphenated: nws+? followed by one of three alternatives
    for (size_t q = p + 1;; ++q) {
        // hyphenated word: -(?: (?<=lt{2}-) | (?<=lt-lt-)) (?= lt -? lt)
        if (q < n && t[q].cp == '-') {
            bool behind =
                (q >= 2 && re_letter(t[q - 2].cp) && re_letter(t[q - 1].cp)) ||
                (q >= 3 && re_letter(t[q - 3].cp) && t[q - 2].cp == '-' && re_letter(t[q - 1].cp));
            bool ahead = q + 1 < n && re_letter(t[q + 1].cp) &&
                         ((q + 2 < n && re_letter(t[q + 2].cp)) ||
                          (q + 3 < n && t[q + 2].cp == '-' && re_letter(t[q + 3].cp)));
            if (behind && ahead) return q + 1;
        }
        // end of word: (?=ws|\Z)
        if (q >= n || tw_space(t[q].cp)) return q;
        // em-dash: (?<=wp) (?=-{2,}\w)
        if (word_punct(t[q - 1].cp) && t[q].cp == '-') {
            size_t k = hyphen_run_end(q);
            if (k - q >= 2 && k < n && re_word(at(k))) return q;
        }
    }
}

bool all_space(const std::vector<PyChar>& t, Span s) { // chunk.strip() == ''
    for (size_t i = s.begin; i < s.end; ++i) {
        if (!py_isspace(t[i].cp)) return false;
    }
    return true;
}

} // namespace

std::vector<std::string> wrap(std::string_view text, size_t width, std::string_view initial_indent,
                              std::string_view subsequent_indent) {
    if (width == 0) throw std::invalid_argument("invalid width 0 (must be > 0)");
    const std::vector<PyChar> t = munge(text);

    // _split: chunks in order; kept reversed like Python so the next chunk is at the back.
    std::vector<Span> chunks;
    for (size_t p = 0; p < t.size();) {
        size_t e = match_end(t, p);
        chunks.push_back(Span{p, e});
        p = e;
    }
    std::vector<Span> rev(chunks.rbegin(), chunks.rend());

    const long initial_len = static_cast<long>(py_len(initial_indent));
    const long subsequent_len = static_cast<long>(py_len(subsequent_indent));
    std::vector<std::string> lines;
    while (!rev.empty()) {
        std::vector<Span> cur_line;
        long cur_len = 0;
        std::string_view indent = lines.empty() ? initial_indent : subsequent_indent;
        const long line_width =
            static_cast<long>(width) - (lines.empty() ? initial_len : subsequent_len);

        if (all_space(t, rev.back()) && !lines.empty()) rev.pop_back();

        while (!rev.empty()) {
            long l = static_cast<long>(rev.back().size());
            if (cur_len + l <= line_width) {
                cur_line.push_back(rev.back());
                rev.pop_back();
                cur_len += l;
            } else {
                break;
            }
        }

        if (!rev.empty() && rev.back().size() == 0 && line_width < 0) {
            // CPython loops forever here (an empty chunk left of a leading whitespace chunk that
            // the indent leaves no room for, cur_line necessarily empty); drop the chunk instead.
            rev.pop_back();
            continue;
        }
        if (!rev.empty() && static_cast<long>(rev.back().size()) > line_width) {
            // _handle_long_word
            long space_left = line_width < 1 ? 1 : line_width - cur_len;
            Span& chunk = rev.back();
            long end = space_left;
            if (static_cast<long>(chunk.size()) > space_left) {
                // hyphen = chunk.rfind('-', 0, space_left)
                long hyphen = -1;
                for (long i = space_left - 1; i >= 0; --i) {
                    if (t[chunk.begin + static_cast<size_t>(i)].cp == '-') {
                        hyphen = i;
                        break;
                    }
                }
                if (hyphen > 0) {
                    bool non_hyphen = false;
                    for (long i = 0; i < hyphen; ++i) {
                        if (t[chunk.begin + static_cast<size_t>(i)].cp != '-') non_hyphen = true;
                    }
                    if (non_hyphen) end = hyphen + 1;
                }
            }
            size_t cut = std::min(chunk.begin + static_cast<size_t>(end), chunk.end);
            cur_line.push_back(Span{chunk.begin, cut});
            chunk.begin = cut;
            cur_len = 0;
            for (const Span& s : cur_line) cur_len += static_cast<long>(s.size());
        }

        if (!cur_line.empty() && all_space(t, cur_line.back())) {
            cur_len -= static_cast<long>(cur_line.back().size());
            cur_line.pop_back();
        }

        if (!cur_line.empty()) {
            std::string line(indent);
            for (const Span& s : cur_line) {
                for (size_t i = s.begin; i < s.end; ++i) line.append(t[i].bytes);
            }
            lines.push_back(std::move(line));
        }
    }
    return lines;
}

std::string fill(std::string_view text, size_t width, std::string_view initial_indent,
                 std::string_view subsequent_indent) {
    std::vector<std::string> lines = wrap(text, width, initial_indent, subsequent_indent);
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (i) out.push_back('\n');
        out += lines[i];
    }
    return out;
}

} // namespace heapy::report
