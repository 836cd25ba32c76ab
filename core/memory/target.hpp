#pragma once

#include "core/memory/compression.hpp"
#include "core/memory/memory.hpp"
#include "core/memory/symbols.hpp"
#include "core/memory/thread_syscalls.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace heapy::memory {

class MappedFile;

// Everything the analysis needs from a target: its memory and its symbols.
struct Target {
    std::unique_ptr<Memory> memory;
    std::unique_ptr<Symbols> symbols;
    std::string description;        // e.g. "core file core.1234 of /usr/bin/python3.11"
    std::optional<int> pid;         // live process
    std::string executable;         // path of the main executable, as read
    std::vector<std::string> notes; // warnings found while opening (e.g. a missing shared object)
    std::vector<int> thread_ids;    // threads of the process (NT_PRSTATUS, /proc/PID/task)
    // What each thread was doing as the kernel saw it, by thread id (threads whose registers
    // could not be read are absent).
    std::map<int, ThreadSyscall> thread_syscalls;
    const Machine* machine = nullptr; // the process's machine (nullptr: not known)
    uint64_t missing_bytes = 0;       // dumped memory a truncated core lacks (0 when complete)
    std::string truncation;           // the note that says so ("" when complete)
    std::vector<std::string>
        missing_modules; // executable and shared objects the core names, not found
    // The CPython layout to read a newer CPython with (--assume-layout 3.14); "" for none. The
    // debuggers take it from HEAPY_ASSUME_LAYOUT in their environment.
    std::string assume_layout;
};

// How to open a core file.
struct CoreOptions {
    // The executable the core was made from; found from the core itself when not given.
    std::optional<std::string> executable;
    // Where the files the core names are now (a core from a container or another machine): each
    // path is looked up under this directory first, as gdb's `set sysroot` does. "" for none.
    std::string sysroot = {};
    // Files a debugger already found, by build-id (lowercase hex): lldb's modules, found through
    // its own sysroot, search paths and symbol locations. Tried first for a file the core names
    // that is not at its path.
    std::map<std::string, std::string> files_by_build_id = {};
    // Analyse a truncated core: memory beyond the end of the file reads as unreadable, a note
    // says so and Target::missing_bytes counts it. Without this a truncated core is an error.
    bool allow_truncated = false;
    // Told how far the decompression of a compressed core has gone (see compression.hpp).
    DecompressProgress decompress_progress = {};
};

// Opens an ELF core file. `executable` overrides the executable named in the core. Throws
// heapy::Error with a one-line message for a missing, unreadable, truncated or non-core file.
Target open_core(const std::string& core_path, const std::optional<std::string>& executable);
Target open_core(const std::string& core_path, const CoreOptions& options);
Target open_core(const std::string& core_path);
// The same for a core already in this process (MappedFile::from_bytes: a fuzzer's input, a test's
// hand-made core); its path() names it in messages.
Target open_core(std::shared_ptr<const MappedFile> core, const CoreOptions& options);

// Opens a live process through /proc/PID/mem. The caller keeps the process stopped while the
// Target is used (see ProcessStopper). Throws heapy::Error when the process cannot be read.
Target open_process(int pid);

} // namespace heapy::memory
