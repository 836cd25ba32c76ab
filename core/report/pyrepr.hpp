#pragma once

// Python's repr() of str / bytes / float and reprlib.repr's length limiting, as heapy's renders
// and path lines use them (HEAPY.md §1.2, §5.2).

#include <cstdint>
#include <string>
#include <string_view>

namespace heapy::report {

// repr() of a str given as UTF-8: quote choice ('...' unless the text contains ' and no "),
// backslash escapes for \\, the quote, \t, \n, \r, and for every character that is not
// printable by Python 3.11's str.isprintable: \xNN (< 0x100), \uNNNN (< 0x10000), \UNNNNNNNN.
// Printable characters are kept as UTF-8. Bytes that are not valid UTF-8 are treated as
// surrogate-escaped characters U+DC80..U+DCFF and so appear as '\udcNN'; encoded surrogates
// appear as '\udNNN' like a Python str holding lone surrogates. The printable table is
// Unicode 14.0 (Python 3.11); code points assigned later print escaped here.
std::string py_repr_str(std::string_view utf8);

// repr() of a bytes object: b'...' / b"...", \\, quote, \t, \n, \r, other bytes outside
// 0x20..0x7e as \xNN.
std::string py_repr_bytes(std::string_view bytes);

// repr() of a float (shortest round-trip digits; exponent form when the decimal exponent is
// < -4 or >= 16; 'inf', '-inf', 'nan').
std::string py_repr_float(double value);

// reprlib.repr() of a str (maxstring = 30): r = repr(s[:30]); if len(r) > 30:
// r = repr(s[:13] + s[len(s)-14:]); r = r[:13] + '...' + r[len(r)-14:]. Lengths in characters.
std::string reprlib_repr_str(std::string_view utf8);

// reprlib.repr() of a bytes object (repr_instance, maxother = 30).
std::string reprlib_repr_bytes(std::string_view bytes);

// reprlib.repr() of an int (maxlong = 40).
std::string reprlib_repr_int(int64_t value);

// reprlib's cut of an already computed repr: if it is longer than `max_len` characters, keep
// the first (max_len-3)/2 and the last max_len-3-(max_len-3)/2 characters around '...'.
// max_len 30 = repr_instance (maxother), 40 = repr_int (maxlong).
std::string reprlib_limit(std::string_view repr, size_t max_len = 30);

} // namespace heapy::report
