#pragma once

// Where the files a core names may be on this machine, and which names are not files to open.

#include "core/memory/elf_image.hpp"
#include "core/memory/target.hpp"

#include <string>
#include <vector>

namespace heapy::memory {

// Where a file the core names may be now: under the sysroot first, then a file a debugger found
// whose path ends with the name (lldb's under its `platform select --sysroot`), then where it
// was.
std::vector<std::string> places_of(const std::string& named, const CoreOptions& options);

// Where a file with build-id `id` may be kept: where the debugger found it, then, each under the
// sysroot first, the links by
// build-id that distributions install (Fedora's /usr/lib/.build-id, some debug packages' links
// to the binary) and debuginfod's cache of executables.
std::vector<std::string> build_id_places(const BuildId& id, const CoreOptions& options);

// Files of the kernel's pseudo file systems: never opened on the strength of a name in a core (on
// this machine they describe this machine, and some are huge: /proc/kcore).
bool is_pseudo_file(const std::string& path);

// Paths of mappings that are not files one could copy to another machine: devices (shared
// anonymous memory shows as /dev/zero), memfd and SysV shared memory, and pseudo files.
bool is_special_file(const std::string& path);

} // namespace heapy::memory
