#pragma once

// The shared objects a process had loaded, as its dynamic linker lists them (glibc's and musl's
// struct r_debug and struct link_map, which debuggers read too): how a core without an NT_FILE
// note (qemu-user writes none) still tells which files were mapped where.

#include "core/memory/segment_map.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::memory {

struct LoadedObject {
    std::string name;     // l_name: the path the dynamic linker opened
    uint64_t bias = 0;    // l_addr: runtime address = bias + link-time address
    uint64_t dynamic = 0; // l_ld: runtime address of the object's dynamic section
};

struct LoadedObjectList {
    std::vector<LoadedObject> objects; // in list order; entries without a path are left out
    std::string problem; // why the list was not found or ended early ("" when read whole)
};

// The dynamic linker's list, reached through the DT_DEBUG entry of the executable's dynamic
// section, `dynamic_size` bytes at runtime address `dynamic`. Reads `memory` only; stops at a
// loop, an unreadable entry or `max_objects` entries.
LoadedObjectList read_loaded_objects(const SegmentMap& memory, uint64_t dynamic,
                                     uint64_t dynamic_size, size_t max_objects = 4096);

} // namespace heapy::memory
