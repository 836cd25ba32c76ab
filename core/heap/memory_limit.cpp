#include "core/heap/memory_limit.hpp"

#include <cctype>
#include <cstdlib>
#include <unistd.h>

namespace heapy::heap {

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    uint64_t value = 0;
    size_t i = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
        if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
        value = value * 10 + uint64_t(text[i] - '0');
    }
    if (i == 0) return std::nullopt;
    std::string_view suffix = text.substr(i);
    if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.remove_suffix(1);
    int shift = 0;
    if (suffix.size() == 1) {
        switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
        case 'K':
            shift = 10;
            break;
        case 'M':
            shift = 20;
            break;
        case 'G':
            shift = 30;
            break;
        case 'T':
            shift = 40;
            break;
        default:
            return std::nullopt;
        }
    } else if (!suffix.empty()) {
        return std::nullopt;
    }
    if (shift && value > (UINT64_MAX >> shift)) return std::nullopt;
    return value << shift;
}

uint64_t analysis_memory_limit() {
    if (const char* text = std::getenv("HEAPY_MEMORY_LIMIT"))
        if (auto limit = parse_byte_size(text)) return *limit;
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page_size = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return UINT64_MAX;
    return uint64_t(pages) * uint64_t(page_size) / 2;
}

} // namespace heapy::heap
