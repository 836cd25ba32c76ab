#include "core/heap/memory_limit.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using heapy::heap::analysis_memory_limit;
using heapy::heap::parse_byte_size;

TEST_CASE("memory limits are read as byte sizes", "[heap][memory_limit]") {
    CHECK(parse_byte_size("1048576") == 1048576u);
    CHECK(parse_byte_size("512K") == 512u << 10);
    CHECK(parse_byte_size("20M") == 20u << 20);
    CHECK(parse_byte_size("16G") == uint64_t{16} << 30);
    CHECK(parse_byte_size("2tb") == uint64_t{2} << 40);
    CHECK_FALSE(parse_byte_size(""));
    CHECK_FALSE(parse_byte_size("G"));
    CHECK_FALSE(parse_byte_size("12X"));
    CHECK_FALSE(parse_byte_size("1.5G"));
    CHECK_FALSE(parse_byte_size("99999999999999999999"));
    CHECK_FALSE(parse_byte_size("99999999999T"));
}

TEST_CASE("the analysis memory limit comes from HEAPY_MEMORY_LIMIT, else half the RAM",
          "[heap][memory_limit]") {
    ::setenv("HEAPY_MEMORY_LIMIT", "3G", 1);
    CHECK(analysis_memory_limit() == uint64_t{3} << 30);
    ::setenv("HEAPY_MEMORY_LIMIT", "nonsense", 1);
    const uint64_t fallback = analysis_memory_limit();
    ::unsetenv("HEAPY_MEMORY_LIMIT");
    CHECK(analysis_memory_limit() == fallback);
    CHECK(fallback > uint64_t{64} << 20);
}
