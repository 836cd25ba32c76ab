#pragma once

#include <string>
#include <string_view>

namespace heapy::report {

// heapy's footers tell the user to type `_.more` ("<207 more rows. Type e.g. '_.more' to
// view.>"), which only a Python prompt understands. Returns `text` with its footer (notes may
// follow it) naming `command` instead (e.g. "heapy more" in a debugger, "more" at heapy's own
// prompt); any other text is returned as it is.
std::string name_more_command(std::string text, std::string_view command);

} // namespace heapy::report
