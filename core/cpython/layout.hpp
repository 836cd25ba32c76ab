#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::cpython {

// An object pointer member of the interpreter or thread state, named as heapy's RootState names
// it (without the "i0_" / "i0_t<tid>_" prefix).
struct RootField {
    std::string name;
    uint32_t offset = 0;
};

// The offsets and sizes of one CPython minor version (x86-64), loaded from cpython-layouts/.
struct Layout {
    static constexpr uint32_t kAbsent = UINT32_MAX;

    int major = 0;
    int minor = 0;
#define LAYOUT_FIELD(id, type, path) uint32_t id = kAbsent;
#define LAYOUT_SIZE(id, type) uint32_t id = kAbsent;
#include "core/cpython/layout_fields.def"
#undef LAYOUT_FIELD
#undef LAYOUT_SIZE

    // Hand-written constants (flag bits, enum values) that debug info does not describe.
    int64_t tpflags_managed_dict = 0;
    int64_t managed_dict_offset = 0;
    int64_t managed_values_offset = 0;
    int64_t preheader_size = 0;
    int64_t frame_owner_thread = 0;
    int64_t frame_owner_generator = 1;
    int64_t frame_owner_frame_object = 2;
    int64_t frame_owner_cstack = -1;
    int64_t gen_frame_state_cleared = 4;
    int64_t dict_kind_general = 0;
    int64_t str_kind_shift = 2;
    int64_t str_compact_bit = 5;
    int64_t str_ascii_bit = 6;
    int64_t int_digit_bits = 30;
    int64_t int_tagged = 0;
    int64_t code_unit_size = 2;

    std::vector<RootField> interp_roots;
    std::vector<RootField> tstate_roots;

    bool has(uint32_t field) const { return field != kAbsent; }
};

// The layout for a CPython minor version, or nullptr when heapy has none.
const Layout* find_layout(int major, int minor);

// "3.11" style list of the versions heapy has layouts for, e.g. "3.11" or "3.9 to 3.13".
std::string supported_versions();

// Parses a layout file's text (exposed for tests). Throws heapy::Error on malformed input.
Layout parse_layout(std::string_view json_text);

} // namespace heapy::cpython
