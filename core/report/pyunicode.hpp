#pragma once

// Python 3.11's view of text, for the report layer: decoding UTF-8 into code points the way a
// Python str holds them, and the character classes that str.isprintable (repr), the regex
// classes \w / \d (textwrap) and str.isspace (strip) use. The class tables are generated from
// Python 3.11.7 (Unicode 14.0) by gen_unicode_tables.py; 3.12/3.13 use Unicode 15.0/15.1, which
// only differ for code points assigned since.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// One character of a decoded string: the code point and the bytes it came from.
struct PyChar {
    char32_t cp = 0;
    std::string_view bytes;
};

// Decodes UTF-8 leniently, never failing: well-formed sequences (including encoded surrogates,
// as Python's "surrogatepass" writes them) give their code point; every byte that is not part of
// a well-formed sequence gives U+DC00 + byte (Python's "surrogateescape"), so repr() shows it
// as '\udcNN' and text passed through (textwrap) keeps the original bytes.
std::vector<PyChar> decode_utf8(std::string_view text);

// The code points only.
std::u32string to_code_points(std::string_view text);

// Appends the UTF-8 encoding of `cp` (surrogates are encoded like any other code point).
void append_utf8(std::string& out, char32_t cp);

// Number of characters (code points, as Python's len()) of UTF-8 text.
size_t py_len(std::string_view text);

// Python 3.11 str predicates for one character.
bool py_isprintable(char32_t cp);
bool py_isalnum(char32_t cp);   // the regex \w is this or '_'
bool py_isdecimal(char32_t cp); // the regex \d
bool py_isspace(char32_t cp);

// Python's str.rstrip() / str.strip() with no argument (strips py_isspace characters).
std::string_view py_rstrip(std::string_view text);
std::string_view py_strip(std::string_view text);

namespace detail {
struct CodePointRange {
    char32_t first;
    char32_t last;
};
extern const CodePointRange kNonPrintable[];
extern const size_t kNonPrintableCount;
extern const CodePointRange kAlnum[];
extern const size_t kAlnumCount;
extern const CodePointRange kDecimal[];
extern const size_t kDecimalCount;
} // namespace detail

} // namespace heapy::report
