#include "core/cpython/debug_offsets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

namespace heapy::cpython {

namespace {

constexpr char kCookie[8] = {'x', 'd', 'e', 'b', 'u', 'g', 'p', 'y'};
constexpr uint64_t kMaxSectionSize = uint64_t{1} << 20;
constexpr uint64_t kStructBytes313 = 584; // sizeof(_Py_DebugOffsets) in 3.13
constexpr uint64_t kStructBytes314 = 760; // in 3.14 (every 3.14 patch release so far)

// One field of the 3.13 _Py_DebugOffsets: where it is, which section (by the offset of that
// section's `size`) bounds it, and the Layout member it describes.
struct Field {
    const char* name;
    uint32_t section; // offset of the section's size field
    uint32_t offset;  // offset of this field
    uint32_t Layout::*member;
};

constexpr Field kFields313[] = {
    {"runtime_state.interpreters_head", 24, 40, &Layout::runtime_interpreters_head},
    {"interpreter_state.id", 48, 56, &Layout::interp_id},
    {"interpreter_state.next", 48, 64, &Layout::interp_next},
    {"interpreter_state.threads_head", 48, 72, &Layout::interp_threads_head},
    {"interpreter_state.gc", 48, 80, &Layout::interp_gc},
    {"interpreter_state.imports_modules", 48, 88, &Layout::interp_modules},
    {"interpreter_state.sysdict", 48, 96, &Layout::interp_sysdict},
    {"interpreter_state.builtins", 48, 104, &Layout::interp_builtins},
    {"thread_state.prev", 152, 160, &Layout::tstate_prev},
    {"thread_state.next", 152, 168, &Layout::tstate_next},
    {"thread_state.interp", 152, 176, &Layout::tstate_interp},
    {"thread_state.current_frame", 152, 184, &Layout::tstate_current_frame},
    {"thread_state.thread_id", 152, 192, &Layout::tstate_thread_id},
    {"thread_state.native_thread_id", 152, 200, &Layout::tstate_native_thread_id},
    {"thread_state.datastack_chunk", 152, 208, &Layout::tstate_datastack_chunk},
    {"interpreter_frame.previous", 224, 232, &Layout::iframe_previous},
    {"interpreter_frame.executable", 224, 240, &Layout::iframe_code},
    {"interpreter_frame.instr_ptr", 224, 248, &Layout::iframe_instr},
    {"interpreter_frame.localsplus", 224, 256, &Layout::iframe_localsplus},
    {"interpreter_frame.owner", 224, 264, &Layout::iframe_owner},
    {"code_object.filename", 272, 280, &Layout::code_filename},
    {"code_object.name", 272, 288, &Layout::code_name},
    {"code_object.qualname", 272, 296, &Layout::code_qualname},
    {"code_object.linetable", 272, 304, &Layout::code_linetable},
    {"code_object.firstlineno", 272, 312, &Layout::code_firstlineno},
    {"code_object.argcount", 272, 320, &Layout::code_argcount},
    {"code_object.localsplusnames", 272, 328, &Layout::code_localsplusnames},
    {"code_object.localspluskinds", 272, 336, &Layout::code_localspluskinds},
    {"code_object.co_code_adaptive", 272, 344, &Layout::code_adaptive},
    {"pyobject.ob_type", 352, 360, &Layout::object_type},
    {"type_object.tp_name", 368, 376, &Layout::type_name},
    {"type_object.tp_flags", 368, 392, &Layout::type_flags},
    {"tuple_object.ob_item", 400, 408, &Layout::tuple_items},
    {"list_object.ob_item", 424, 432, &Layout::list_items},
    {"dict_object.ma_keys", 448, 456, &Layout::dict_keys},
    {"dict_object.ma_values", 448, 464, &Layout::dict_values},
    {"float_object.ob_fval", 472, 480, &Layout::float_value},
    {"long_object.lv_tag", 488, 496, &Layout::long_tag},
    {"long_object.ob_digit", 488, 504, &Layout::long_digits},
    {"bytes_object.ob_sval", 512, 528, &Layout::bytes_sval},
    {"unicode_object.state", 536, 544, &Layout::str_state},
    {"unicode_object.length", 536, 552, &Layout::str_length},
    {"unicode_object.asciiobject_size", 536, 560, &Layout::str_ascii_size},
    {"gc.collecting", 568, 576, &Layout::gc_collecting},
};

// 3.14 inserted fields in the middle of sections (threads_main, stackpointer, co_tlbc, ...) and
// added set, generator, llist and debugger sections: every offset moved.
constexpr Field kFields314[] = {
    {"runtime_state.finalizing", 24, 32, &Layout::runtime_finalizing},
    {"runtime_state.interpreters_head", 24, 40, &Layout::runtime_interpreters_head},
    {"interpreter_state.id", 48, 56, &Layout::interp_id},
    {"interpreter_state.next", 48, 64, &Layout::interp_next},
    {"interpreter_state.threads_head", 48, 72, &Layout::interp_threads_head},
    {"interpreter_state.gc", 48, 88, &Layout::interp_gc},
    {"interpreter_state.imports_modules", 48, 96, &Layout::interp_modules},
    {"interpreter_state.sysdict", 48, 104, &Layout::interp_sysdict},
    {"interpreter_state.builtins", 48, 112, &Layout::interp_builtins},
    {"thread_state.prev", 176, 184, &Layout::tstate_prev},
    {"thread_state.next", 176, 192, &Layout::tstate_next},
    {"thread_state.interp", 176, 200, &Layout::tstate_interp},
    {"thread_state.current_frame", 176, 208, &Layout::tstate_current_frame},
    {"thread_state.thread_id", 176, 216, &Layout::tstate_thread_id},
    {"thread_state.native_thread_id", 176, 224, &Layout::tstate_native_thread_id},
    {"thread_state.datastack_chunk", 176, 232, &Layout::tstate_datastack_chunk},
    {"interpreter_frame.previous", 248, 256, &Layout::iframe_previous},
    {"interpreter_frame.executable", 248, 264, &Layout::iframe_code},
    {"interpreter_frame.instr_ptr", 248, 272, &Layout::iframe_instr},
    {"interpreter_frame.localsplus", 248, 280, &Layout::iframe_localsplus},
    {"interpreter_frame.owner", 248, 288, &Layout::iframe_owner},
    {"interpreter_frame.stackpointer", 248, 296, &Layout::iframe_stackpointer},
    {"code_object.filename", 312, 320, &Layout::code_filename},
    {"code_object.name", 312, 328, &Layout::code_name},
    {"code_object.qualname", 312, 336, &Layout::code_qualname},
    {"code_object.linetable", 312, 344, &Layout::code_linetable},
    {"code_object.firstlineno", 312, 352, &Layout::code_firstlineno},
    {"code_object.argcount", 312, 360, &Layout::code_argcount},
    {"code_object.localsplusnames", 312, 368, &Layout::code_localsplusnames},
    {"code_object.localspluskinds", 312, 376, &Layout::code_localspluskinds},
    {"code_object.co_code_adaptive", 312, 384, &Layout::code_adaptive},
    {"pyobject.ob_type", 400, 408, &Layout::object_type},
    {"type_object.tp_name", 416, 424, &Layout::type_name},
    {"type_object.tp_flags", 416, 440, &Layout::type_flags},
    {"tuple_object.ob_item", 448, 456, &Layout::tuple_items},
    {"list_object.ob_item", 472, 480, &Layout::list_items},
    {"set_object.used", 496, 504, &Layout::set_used},
    {"set_object.table", 496, 512, &Layout::set_table},
    {"set_object.mask", 496, 520, &Layout::set_mask},
    {"dict_object.ma_keys", 528, 536, &Layout::dict_keys},
    {"dict_object.ma_values", 528, 544, &Layout::dict_values},
    {"float_object.ob_fval", 552, 560, &Layout::float_value},
    {"long_object.lv_tag", 568, 576, &Layout::long_tag},
    {"long_object.ob_digit", 568, 584, &Layout::long_digits},
    {"bytes_object.ob_sval", 592, 608, &Layout::bytes_sval},
    {"unicode_object.state", 616, 624, &Layout::str_state},
    {"unicode_object.length", 616, 632, &Layout::str_length},
    {"unicode_object.asciiobject_size", 616, 640, &Layout::str_ascii_size},
    {"gc.collecting", 648, 656, &Layout::gc_collecting},
    {"gen_object.gi_name", 664, 672, &Layout::gen_name},
    {"gen_object.gi_iframe", 664, 680, &Layout::gen_iframe},
    {"gen_object.gi_frame_state", 664, 688, &Layout::gen_frame_state},
};

} // namespace

std::optional<DebugOffsets> peek_debug_offsets(Reader& reader, uint64_t runtime) {
    std::byte raw[24];
    if (!reader.read_bytes(runtime, raw, sizeof raw) ||
        std::memcmp(raw, kCookie, sizeof kCookie) != 0)
        return std::nullopt;
    DebugOffsets out;
    std::memcpy(&out.version, raw + 8, sizeof out.version);
    uint64_t free_threaded = 0;
    std::memcpy(&free_threaded, raw + 16, sizeof free_threaded);
    out.free_threaded = free_threaded != 0;
    return out;
}

std::vector<uint64_t> find_debug_cookies(Reader& reader, uint64_t start, uint64_t end, int major,
                                         int minor) {
    constexpr uint64_t kChunk = 1 << 16;
    std::vector<uint64_t> found;
    std::vector<std::byte> chunk(kChunk + sizeof kCookie);
    start &= ~uint64_t{7};
    for (uint64_t at = start; at < end; at += kChunk) {
        const uint64_t length = std::min<uint64_t>(kChunk, end - at);
        if (!reader.read_bytes(at, chunk.data(), length)) continue; // a page the core lacks
        for (uint64_t i = 0; i + sizeof kCookie <= length; i += 8) {
            if (std::memcmp(chunk.data() + i, kCookie, sizeof kCookie) != 0) continue;
            auto header = peek_debug_offsets(reader, at + i);
            if (header && int(header->version >> 24) == major &&
                int((header->version >> 16) & 0xFF) == minor)
                found.push_back(at + i);
        }
    }
    return found;
}

int debug_offsets_fields(const Layout& layout) {
    if (layout.major != 3) return 0;
    return layout.minor == 13   ? int(std::size(kFields313))
           : layout.minor == 14 ? int(std::size(kFields314))
                                : 0;
}

std::optional<DebugOffsets> read_debug_offsets(Reader& reader, uint64_t runtime, Layout& layout,
                                               bool in_layouts_form) {
    auto header = peek_debug_offsets(reader, runtime);
    if (!header) return std::nullopt;
    DebugOffsets out = *header;
    // The struct's own layout is chosen by the version the target wrote into it.
    int major = int(out.version >> 24), minor = int((out.version >> 16) & 0xFF);
    if (in_layouts_form) major = layout.major, minor = layout.minor;
    std::span<const Field> fields;
    uint64_t struct_bytes = 0;
    if (major == 3 && minor == 13) {
        fields = kFields313;
        struct_bytes = kStructBytes313;
    } else if (major == 3 && minor == 14) {
        fields = kFields314;
        struct_bytes = kStructBytes314;
    }
    if (fields.empty() || layout.major != major || layout.minor != minor) return out;
    std::vector<std::byte> raw(struct_bytes);
    if (!reader.read_bytes(runtime, raw.data(), raw.size())) return out;
    auto word = [&](uint32_t offset) {
        uint64_t value = 0;
        std::memcpy(&value, raw.data() + offset, sizeof value);
        return value;
    };
    for (const Field& field : fields) {
        const uint64_t section_size = word(field.section);
        const uint64_t value = word(field.offset);
        // Sizes are structure sizes; a field's 8 bytes... or 1 byte (owner) must fit inside.
        if (section_size == 0 || section_size > kMaxSectionSize || value >= section_size) {
            out.rejected.push_back(
                fmt::format("{} = {} (section size {})", field.name, value, section_size));
            continue;
        }
        ++out.fields_checked;
        uint32_t& ours = layout.*field.member;
        if (ours != uint32_t(value)) {
            out.mismatches.push_back(fmt::format("{}: target {}, layout {}", field.name, value,
                                                 ours == Layout::kAbsent ? std::string("absent")
                                                                         : std::to_string(ours)));
            ours = uint32_t(value);
        }
    }
    return out;
}

} // namespace heapy::cpython
