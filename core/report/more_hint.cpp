#include "core/report/more_hint.hpp"

#include <fmt/format.h>

namespace heapy::report {

std::string name_more_command(std::string text, std::string_view command) {
    constexpr std::string_view heapy_hint = "Type e.g. '_.more' ";
    // The footer is the line that starts with '<' (a row starts with its index, right-aligned);
    // notes may follow it.
    for (size_t line = 0; line < text.size();) {
        size_t end = text.find('\n', line);
        if (end == std::string::npos) end = text.size();
        if (text[line] == '<' && text[end - 1] == '>') {
            const size_t at = text.find(heapy_hint, line);
            if (at != std::string::npos && at < end) {
                text.replace(at, heapy_hint.size(), fmt::format("Type e.g. '{}' ", command));
                return text;
            }
        }
        line = end + 1;
    }
    return text;
}

} // namespace heapy::report
