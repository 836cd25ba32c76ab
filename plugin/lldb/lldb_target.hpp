#pragma once
// The process or core file lldb has selected, opened for heapy.
//
// In order: a core file (its path: SBProcess::GetCoreFile when lldb has it, otherwise the ELF
// core lldb has mapped) → open_core; a live process on this machine → open_process (lldb-server
// keeps it stopped); anything else, or when those fail → memory read through SBProcess::ReadMemory
// and symbols from lldb's module symbol tables. Nothing is ever evaluated in, called in or written
// to the target.
#include "core/memory/target.hpp"
#include "plugin/lldb/lldb_api.hpp"

namespace heapy::lldb_frontend {

// Whether `process` is one heapy can read: not detached from, not exited.
bool is_attached(lldb::SBProcess& process);
bool is_stopped(lldb::StateType state);

// Opens the selected process of `debugger`; a fallback worth knowing about is a warning in
// `result`. Throws heapy::Error with a one-line message. `allow_truncated`: analyse what a
// truncated core file holds instead of refusing it.
memory::Target open_target(lldb::SBDebugger& debugger, lldb::SBCommandReturnObject& result,
                           bool allow_truncated);

} // namespace heapy::lldb_frontend
