#include "core/commands/help_examples.hpp"

namespace heapy::commands {

std::string examples_at(std::string_view text, Prompt prompt) {
    constexpr std::string_view gdb = "  (gdb) ";
    constexpr std::string_view gdb_heapy = "  (gdb) heapy ";
    std::string out;
    while (!text.empty()) {
        const size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol == std::string_view::npos ? eol : eol + 1);
        text.remove_prefix(line.size());
        if (prompt == Prompt::lldb && line.starts_with(gdb)) {
            out += "  (lldb) ";
            out += line.substr(gdb.size());
        } else if (prompt == Prompt::heapy && line.starts_with(gdb_heapy)) {
            out += "  (heapy) ";
            out += line.substr(gdb_heapy.size());
        } else if (prompt != Prompt::heapy ||
                   !(line.starts_with(gdb) || line.starts_with("  ^C"))) {
            out += line;
        }
    }
    return out;
}

} // namespace heapy::commands
