// Hand-written cases for heapy::report::wrap that Python cannot produce expectations for.
#include "core/report/textwrap.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using heapy::report::wrap;
using Lines = std::vector<std::string>;

TEST_CASE("wrap terminates where CPython's textwrap never returns", "[report][textwrap]") {
    // CPython 3.11 loops forever on these (indent wider than width, text starting blank).
    CHECK(wrap(" ", 1, "> ", "+ ") == Lines{});
    CHECK(wrap("   ", 1, "> ", "+ ") == Lines{});
    CHECK(wrap(" a ", 1, "> ", "+ ") == Lines{"> a"});
    CHECK(wrap("  both  ", 1, "> ", "+ ") == Lines{"> b", "+ o", "+ t", "+ h"});
    CHECK(wrap("\xc2\xa0", 2, "   ", ">>>>") == Lines{});
}

TEST_CASE("wrap copies bytes that are not UTF-8 through, one character each",
          "[report][textwrap]") {
    // Same as Python wrapping s.decode('utf-8', 'surrogateescape') and encoding back.
    CHECK(wrap("ab\xff"
               "cd",
               3) == Lines{"ab\xff", "cd"});
    CHECK(wrap("\xe2\x82", 1) == Lines{"\xe2", "\x82"});
    // A truncated sequence before a valid one.
    CHECK(wrap("\xe2\xc3\xa9x", 2) == Lines{"\xe2\xc3\xa9", "x"});
    // Characters count once however many bytes they take.
    CHECK(wrap("\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e", 2) ==
          Lines{"\xe6\x97\xa5\xe6\x9c\xac", "\xe8\xaa\x9e"});
}
