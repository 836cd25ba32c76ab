#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <string>

namespace heapy::memory {

// "512 bytes", "4.0 KiB", "1.2 GiB": sizes in messages.
inline std::string format_byte_size(uint64_t n) {
    if (n < 1024) return fmt::format("{} bytes", n);
    const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(n) / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        ++u;
    }
    return fmt::format("{:.1f} {}", v, units[u]);
}

} // namespace heapy::memory
