#pragma once

#include "core/commands/frontend.hpp"

#include <string>
#include <string_view>

namespace heapy::commands {

// Help text whose examples are written as typed in gdb ("  (gdb) heapy heap"), with them as
// typed at `prompt`: in lldb "  (lldb) heapy heap"; at heapy's own prompt "  (heapy) heap", where
// the steps that are the debugger's own ("  (gdb) continue", "  ^C") are left out.
std::string examples_at(std::string_view text, Prompt prompt);

} // namespace heapy::commands
