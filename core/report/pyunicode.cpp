#include "core/report/pyunicode.hpp"

#include <algorithm>

namespace heapy::report {

namespace {

bool in_ranges(char32_t cp, const detail::CodePointRange* ranges, size_t count) {
    const detail::CodePointRange* end = ranges + count;
    const detail::CodePointRange* it = std::upper_bound(
        ranges, end, cp, [](char32_t c, const detail::CodePointRange& r) { return c < r.first; });
    if (it == ranges) return false;
    --it;
    return cp <= it->last;
}

bool is_cont(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// Length of the well-formed sequence starting at text[i] and its code point, or 0.
size_t decode_one(std::string_view text, size_t i, char32_t& cp) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const size_t left = text.size() - i;
    const unsigned char c0 = b(0);
    if (c0 < 0x80) {
        cp = c0;
        return 1;
    }
    if (c0 >= 0xC2 && c0 <= 0xDF) {
        if (left < 2 || !is_cont(b(1))) return 0;
        cp = (char32_t(c0 & 0x1F) << 6) | (b(1) & 0x3F);
        return 2;
    }
    if (c0 >= 0xE0 && c0 <= 0xEF) {
        if (left < 3 || !is_cont(b(1)) || !is_cont(b(2))) return 0;
        if (c0 == 0xE0 && b(1) < 0xA0) return 0; // overlong
        cp = (char32_t(c0 & 0x0F) << 12) | (char32_t(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
        return 3;
    }
    if (c0 >= 0xF0 && c0 <= 0xF4) {
        if (left < 4 || !is_cont(b(1)) || !is_cont(b(2)) || !is_cont(b(3))) return 0;
        if (c0 == 0xF0 && b(1) < 0x90) return 0; // overlong
        if (c0 == 0xF4 && b(1) > 0x8F) return 0; // > U+10FFFF
        cp = (char32_t(c0 & 0x07) << 18) | (char32_t(b(1) & 0x3F) << 12) |
             (char32_t(b(2) & 0x3F) << 6) | (b(3) & 0x3F);
        return 4;
    }
    return 0;
}

// Start of the last character of non-empty `text`, as decode_utf8 would split it.
size_t last_char_start(std::string_view text) {
    // A well-formed sequence is at most 4 bytes; try the longest candidate first.
    for (size_t n = std::min<size_t>(4, text.size()); n >= 2; --n) {
        char32_t cp;
        size_t start = text.size() - n;
        if (decode_one(text, start, cp) == n) {
            // Only if no earlier decoding would swallow these bytes differently; sequences are
            // self-synchronising, so a lead byte followed by exactly its continuations is it.
            return start;
        }
    }
    return text.size() - 1;
}

} // namespace

std::vector<PyChar> decode_utf8(std::string_view text) {
    std::vector<PyChar> out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        size_t n = decode_one(text, i, cp);
        if (n == 0) {
            cp = 0xDC00 + static_cast<unsigned char>(text[i]);
            n = 1;
        }
        out.push_back(PyChar{cp, text.substr(i, n)});
        i += n;
    }
    return out;
}

std::u32string to_code_points(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        size_t n = decode_one(text, i, cp);
        if (n == 0) {
            cp = 0xDC00 + static_cast<unsigned char>(text[i]);
            n = 1;
        }
        out.push_back(cp);
        i += n;
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

size_t py_len(std::string_view text) {
    size_t n = 0;
    size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        size_t k = decode_one(text, i, cp);
        i += k == 0 ? 1 : k;
        ++n;
    }
    return n;
}

bool py_isprintable(char32_t cp) {
    if (cp >= 0x20 && cp < 0x7F) return true;
    return !in_ranges(cp, detail::kNonPrintable, detail::kNonPrintableCount);
}

bool py_isalnum(char32_t cp) {
    if (cp < 0x80) {
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    }
    return in_ranges(cp, detail::kAlnum, detail::kAlnumCount);
}

bool py_isdecimal(char32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    return in_ranges(cp, detail::kDecimal, detail::kDecimalCount);
}

bool py_isspace(char32_t cp) {
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

std::string_view py_rstrip(std::string_view text) {
    while (!text.empty()) {
        size_t start = last_char_start(text);
        char32_t cp = 0;
        if (decode_one(text, start, cp) == 0) break; // an undecodable byte is not whitespace
        if (!py_isspace(cp)) break;
        text.remove_suffix(text.size() - start);
    }
    return text;
}

std::string_view py_strip(std::string_view text) {
    text = py_rstrip(text);
    size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        size_t n = decode_one(text, i, cp);
        if (n == 0 || !py_isspace(cp)) break;
        i += n;
    }
    return text.substr(i);
}

} // namespace heapy::report
