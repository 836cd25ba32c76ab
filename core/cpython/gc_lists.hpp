#pragma once

#include "core/cpython/reader.hpp"
#include "core/cpython/runtime.hpp"

#include <cstdint>
#include <vector>

namespace heapy::cpython {

// The objects on the GC's lists (every generation and the permanent generation) of every
// interpreter.
struct GcObjects {
    std::vector<uint64_t> objects;
    bool collecting = false; // a collection was running when the memory was read
    bool broken = false;     // a list was cut short (unreadable, looping or too long)
};

GcObjects gc_tracked_objects(const Runtime& runtime, Reader& reader);

} // namespace heapy::cpython
