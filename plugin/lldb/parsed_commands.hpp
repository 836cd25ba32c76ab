#pragma once
// heapy's commands as lldb 19's parsed script commands declare them (heapy_lldb.py registers
// them from this): their options, the values an option takes and what their arguments are, in
// lldb's own terms, so that lldb completes options and values and prints their help.
#include <string>
#include <string_view>

namespace heapy::lldb_frontend {

// What Enter after a heapy command runs: Python's `pass`, so nothing, as in gdb, and again at the
// next Enter. lldb's "no repeat" (an empty repeat command) prints "error: No auto repeat."; a
// comment is an unknown command there; `command source /dev/null` does not repeat; repeating the
// heapy command would append to a dump file again or reset the reference point.
inline constexpr const char* kNoRepeat = "script -l python -- pass";

// A command's help without its summary and usage lines, which lldb prints itself.
std::string help_after_usage(std::string_view help);

// Every command and alias shown in help but `row`, and `help`, as one JSON object:
//   {"no_repeat": NAME, "commands": [{"name", "short_help", "long_help",
//     "options": [{"name", "help", "value_type", "completion_type", "enum_values"}],
//     "arguments": [{"arg_type", "repeat"}]}]}
// value_type, completion_type and arg_type name members of lldb's Python module (eArgType...,
// e...Completion); a flag has no value_type.
std::string parsed_command_definitions();

} // namespace heapy::lldb_frontend
