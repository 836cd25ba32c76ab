#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heapy::cpython {

// What the target's own _Py_DebugOffsets (3.13+, at the start of _PyRuntime) said.
struct DebugOffsets {
    uint64_t version = 0; // PY_VERSION_HEX
    bool free_threaded = false;
    int fields_checked = 0;              // fields that passed validation
    std::vector<std::string> mismatches; // "interpreter_state.gc: target 7400, layout 7392"
    std::vector<std::string> rejected;   // fields out of their section's bounds (ignored)
};

// The header of the _Py_DebugOffsets at `runtime` (cookie, version, free-threaded flag), if its
// cookie is there; no offsets are read.
std::optional<DebugOffsets> peek_debug_offsets(Reader& reader, uint64_t runtime);

// Where a _Py_DebugOffsets cookie ("xdebugpy", 3.13+) starts in [start, end), at an 8-byte
// boundary, followed by a version of `major`.`minor`: the start of _PyRuntime when the target has
// neither the symbol nor the .PyRuntime section. Every match, in address order.
std::vector<uint64_t> find_debug_cookies(Reader& reader, uint64_t start, uint64_t end, int major,
                                         int minor);

// Reads the _Py_DebugOffsets at `runtime` if its cookie is there (the 3.13 or 3.14 form of that
// struct, chosen by the version it holds; it must match `layout`'s minor version). Fields that are
// within their section's size override `layout`. With `in_layouts_form`, the struct is read in
// the form of `layout`'s version whatever version it holds (a newer CPython whose layout the
// user assumes).
std::optional<DebugOffsets> read_debug_offsets(Reader& reader, uint64_t runtime, Layout& layout,
                                               bool in_layouts_form = false);

// How many fields the form of _Py_DebugOffsets of `layout`'s version has (0: none).
int debug_offsets_fields(const Layout& layout);

} // namespace heapy::cpython
