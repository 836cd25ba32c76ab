#include "core/report/more_hint.hpp"

#include <fmt/format.h>

namespace heapy::report {

std::string name_more_command(std::string text, std::string_view command) {
    constexpr std::string_view heapy_hint = "Type e.g. '_.more' ";
    const size_t end = text.find_last_not_of('\n');
    if (end == std::string::npos || text[end] != '>') return text;
    const size_t line_start = text.rfind('\n', end);
    const size_t footer = line_start == std::string::npos ? 0 : line_start + 1;
    if (text[footer] != '<') return text;
    const size_t at = text.find(heapy_hint, footer);
    if (at == std::string::npos || at > end) return text;
    text.replace(at, heapy_hint.size(), fmt::format("Type e.g. '{}' ", command));
    return text;
}

} // namespace heapy::report
