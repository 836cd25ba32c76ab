#include "core/report/pyrepr.hpp"

#include "core/report/pyunicode.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace heapy::report {

namespace {

std::string repr_code_points(std::u32string_view s) {
    char32_t quote = '\'';
    if (s.find(U'\'') != std::u32string_view::npos && s.find(U'"') == std::u32string_view::npos) {
        quote = '"';
    }
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back(static_cast<char>(quote));
    for (char32_t c : s) {
        if (c == quote || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7F) {
            out += fmt::format("\\x{:02x}", static_cast<uint32_t>(c));
        } else if (c < 0x7F) {
            out.push_back(static_cast<char>(c));
        } else if (py_isprintable(c)) {
            append_utf8(out, c);
        } else if (c <= 0xFF) {
            out += fmt::format("\\x{:02x}", static_cast<uint32_t>(c));
        } else if (c <= 0xFFFF) {
            out += fmt::format("\\u{:04x}", static_cast<uint32_t>(c));
        } else {
            out += fmt::format("\\U{:08x}", static_cast<uint32_t>(c));
        }
    }
    out.push_back(static_cast<char>(quote));
    return out;
}

// Python slice s[start:] with a possibly negative start.
std::u32string_view tail_from(std::u32string_view s, long start) {
    long n = static_cast<long>(s.size());
    if (start < 0) start = std::max(0L, n + start);
    if (start > n) start = n;
    return s.substr(static_cast<size_t>(start));
}

std::u32string_view head(std::u32string_view s, size_t n) {
    return s.substr(0, n);
}

std::string encode(std::u32string_view s) {
    std::string out;
    for (char32_t c : s) append_utf8(out, c);
    return out;
}

std::string limit_code_points(std::u32string_view r, size_t max_len) {
    if (r.size() <= max_len) return encode(r);
    const size_t i = max_len >= 3 ? (max_len - 3) / 2 : 0;
    const size_t j = max_len >= 3 ? max_len - 3 - i : 0;
    std::u32string out(head(r, i));
    out += U"...";
    out += tail_from(r, static_cast<long>(r.size()) - static_cast<long>(j));
    return encode(out);
}

} // namespace

std::string py_repr_str(std::string_view utf8) {
    // Printable ASCII, by far the usual text, needs no decoding.
    const bool plain = std::all_of(utf8.begin(), utf8.end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7F;
    });
    if (!plain) return repr_code_points(to_code_points(utf8));
    const char quote =
        utf8.find('\'') != std::string_view::npos && utf8.find('"') == std::string_view::npos
            ? '"'
            : '\'';
    std::string out;
    out.reserve(utf8.size() + 2);
    out.push_back(quote);
    for (char ch : utf8) {
        if (ch == quote || ch == '\\') out.push_back('\\');
        out.push_back(ch);
    }
    out.push_back(quote);
    return out;
}

std::string py_repr_bytes(std::string_view bytes) {
    char quote = '\'';
    if (bytes.find('\'') != std::string_view::npos && bytes.find('"') == std::string_view::npos) {
        quote = '"';
    }
    std::string out = "b";
    out.push_back(quote);
    for (char ch : bytes) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (c == static_cast<unsigned char>(quote) || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c >= 0x7F) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out.push_back(ch);
        }
    }
    out.push_back(quote);
    return out;
}

std::string py_repr_float(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    // fmt's shortest round-trip digits, re-laid out the way Python's float_repr does.
    std::string shortest = fmt::format("{}", value);
    // Extract the digits and decimal exponent from the shortest representation.
    std::string digits;
    long exponent = 0; // value = 0.d1d2d3... * 10^exponent
    bool negative = false;
    {
        std::string_view s = shortest;
        if (!s.empty() && s[0] == '-') {
            negative = true;
            s.remove_prefix(1);
        }
        long exp10 = 0;
        size_t epos = s.find_first_of("eE");
        if (epos != std::string_view::npos) {
            exp10 = std::stol(std::string(s.substr(epos + 1)));
            s = s.substr(0, epos);
        }
        long int_digits = 0;
        bool seen_dot = false;
        for (char c : s) {
            if (c == '.') {
                seen_dot = true;
                continue;
            }
            if (!seen_dot) ++int_digits;
            if (c == '0' && digits.empty()) { // leading zero: not a significant digit
                if (seen_dot) {
                    --exp10;
                } else {
                    --int_digits;
                }
                continue;
            }
            digits.push_back(c);
        }
        exponent = int_digits + exp10;
        while (!digits.empty() && digits.back() == '0') digits.pop_back();
        if (digits.empty()) { // zero
            digits.push_back('0');
            exponent = 1;
        }
    }
    std::string out;
    if (negative) out.push_back('-');
    // Python's float_repr_style 'short': decpt = exponent; exponent form if decpt <= -4 or > 16.
    const long decpt = exponent;
    if (decpt <= -4 || decpt > 16) {
        out += digits[0];
        if (digits.size() > 1) {
            out += '.';
            out += digits.substr(1);
        }
        long x = decpt - 1;
        out += fmt::format("e{}{:02d}", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (decpt <= 0) {
        out += "0.";
        out += std::string(static_cast<size_t>(-decpt), '0');
        out += digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
        out += digits;
        out += std::string(static_cast<size_t>(decpt) - digits.size(), '0');
        out += ".0";
    } else {
        out += digits.substr(0, static_cast<size_t>(decpt));
        out += '.';
        out += digits.substr(static_cast<size_t>(decpt));
    }
    return out;
}

std::string reprlib_repr_str(std::string_view utf8) {
    constexpr size_t kMax = 30;
    constexpr size_t kI = (kMax - 3) / 2; // 13
    constexpr size_t kJ = kMax - 3 - kI;  // 14
    const std::u32string x = to_code_points(utf8);
    const std::u32string_view xv = x;
    std::u32string r = to_code_points(repr_code_points(head(xv, kMax)));
    if (r.size() > kMax) {
        std::u32string cut(head(xv, kI));
        cut += tail_from(xv, static_cast<long>(xv.size()) - static_cast<long>(kJ));
        r = to_code_points(repr_code_points(cut));
        std::u32string out(head(r, kI));
        out += U"...";
        out += tail_from(r, static_cast<long>(r.size()) - static_cast<long>(kJ));
        return encode(out);
    }
    return encode(r);
}

std::string reprlib_repr_bytes(std::string_view bytes) {
    return reprlib_limit(py_repr_bytes(bytes), 30);
}

std::string reprlib_repr_int(int64_t value) {
    return reprlib_limit(fmt::format("{}", value), 40);
}

std::string reprlib_limit(std::string_view repr, size_t max_len) {
    return limit_code_points(to_code_points(repr), max_len);
}

} // namespace heapy::report
