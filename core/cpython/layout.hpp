#pragma once

#include "core/cpython/c_structs.hpp"

#include <nlohmann/json_fwd.hpp>

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
    // The patch releases of major.minor this layout describes ("patches": [first, last] in the
    // file; absent: all of them). 3.14.5 changed internal structures, so 3.14 has two files.
    int micro_first = 0;
    int micro_last = 999;
    // The patch release of the target this copy of a layout was made for; -1 in the files.
    int target_micro = -1;
#define LAYOUT_FIELD(id, type, path) uint32_t id = kAbsent;
#define LAYOUT_SIZE(id, type) uint32_t id = kAbsent;
#include "core/cpython/layout_fields.def"
#undef LAYOUT_FIELD
#undef LAYOUT_SIZE

    // Hand-written constants (flag bits, enum values, version styles) that debug info does not
    // describe. Styles name how a version lays something out; see cpython-layouts/README.md.
#define LAYOUT_CONSTANTS(X)                                                                        \
    X(tpflags_managed_dict, 0)                                                                     \
    X(tpflags_managed_weakref, 0)                                                                  \
    X(tpflags_inline_values, 0)                                                                    \
    X(tpflags_static_builtin, 0)                                                                   \
    X(managed_dict_style, 0) /* 0 none, 1 pointers before the object (3.11), 2 tagged (3.12),      \
                                3 dict pointer + inline values (3.13) */                           \
    X(managed_dict_offset, 0)                                                                      \
    X(managed_values_offset, 0)                                                                    \
    X(preheader_size, 0)                                                                           \
    X(sizeof_rule, 0)        /* sys.getsizeof pre-header: 0 is_gc (<=3.10), 1 type flags           \
                                (3.11), 2 GC + PREHEADER flags (3.12), 3 as 2 but not for          \
                                static types (3.13) */                                             \
    X(frames_are_objects, 0) /* <=3.10: frames are PyFrameObjects */                               \
    X(frame_owner_thread, 0)                                                                       \
    X(frame_owner_generator, 1)                                                                    \
    X(frame_owner_frame_object, 2)                                                                 \
    X(frame_owner_cstack, -1)                                                                      \
    X(frame_owner_interpreter, -1) /* 3.14: the entry frame of each C-level eval loop */           \
    X(stackrefs, 0) /* 3.14+: frame slots, f_executable, f_funcobj are _PyStackRef */              \
    X(gen_frame_state_cleared, 4)                                                                  \
    X(dict_keys_style, 1)    /* 0 dk_size (<=3.10), 1 dk_log2_size (3.11+) */                      \
    X(split_values_style, 1) /* 0 plain array, 1 prefix bytes (3.11, 3.12), 2 struct (3.13) */     \
    X(dict_kind_general, 0)                                                                        \
    X(str_kind_shift, 2)                                                                           \
    X(str_compact_bit, 5)                                                                          \
    X(str_ascii_bit, 6)                                                                            \
    X(int_digit_bits, 30)                                                                          \
    X(int_tagged, 0)     /* 3.12+: lv_tag holds sign and digit count */                            \
    X(int_min_digits, 1) /* int.__sizeof__ counts at least this many digits (0 <= 3.10) */         \
    X(code_unit_size, 2)                                                                           \
    X(pool_size, 16384)  /* pymalloc's POOL_SIZE (4 KiB in 3.9) */                                 \
    X(refcount_bits, 64) /* bits of ob_refcnt that count: 3.14 keeps flags in the upper half */    \
    X(free_threaded, 0)  /* Py_GIL_DISABLED builds; see cpython-layouts/free-threaded.md */        \
    X(gc_bits_tracked, 0)                                                                          \
    X(gc_bits_deferred, 0)                                                                         \
    X(deferred_refcount_local, 0)  /* what deferred reference counting adds to ob_ref_local */     \
    X(deferred_refcount_shared, 0) /* and to ob_ref_shared >> 2 */                                 \
    X(mimalloc_page_tag_byte, 0)                                                                   \
    X(mimalloc_page_tag_shift, 0)                                                                  \
    X(mimalloc_segment_shift, 25)                                                                  \
    X(mimalloc_slice_shift, 16)                                                                    \
    X(mimalloc_page_queues, 0)                                                                     \
    X(mimalloc_heap_object, 1)                                                                     \
    X(mimalloc_heap_gc, 2)                                                                         \
    X(mimalloc_heap_gc_preheader, 3)
#define LAYOUT_CONSTANT_MEMBER(name, fallback) int64_t name = fallback;
    LAYOUT_CONSTANTS(LAYOUT_CONSTANT_MEMBER)
#undef LAYOUT_CONSTANT_MEMBER

    // Byte ranges [offset, offset + size) of an interpreter state and of a thread state that
    // hold free lists (arrays whose slots past the count keep stale pointers), from the
    // "constants" of the layout file; `state_free_lists_known` when the file gives either list
    // (an empty one: that state has none, as in 3.9).
    std::vector<std::pair<uint32_t, uint32_t>> interp_free_lists;
    std::vector<std::pair<uint32_t, uint32_t>> tstate_free_lists;
    bool state_free_lists_known = false;
    // The free lists that are C statics (3.9: list, dict, async generator, deque blocks), named
    // by source file and symbol ("static_free_lists": [["listobject.c", "free_list"], ...]):
    // arrays whose slots past the count keep stale pointers, so none of their words is a
    // reference. Found through the symbol table (Symbols::lookup_static).
    struct StaticFreeList {
        std::string file;
        std::string symbol;
    };
    std::vector<StaticFreeList> static_free_lists;
    std::vector<RootField> interp_roots;
    std::vector<RootField> tstate_roots;
    // The structs of the C types cpython-layouts/c-types/ describes, as this version lays them out.
    CStructs c_structs;

    bool has(uint32_t field) const {
        return field != kAbsent;
    }
};

// The layout for a CPython minor version, default or free-threaded build, or nullptr when heapy
// has none. Without a patch level (micro < 0) the layout of the newest patch releases is chosen.
const Layout* find_layout(int major, int minor, int micro = -1, bool free_threaded = false);

// "3.11" style list of the versions heapy has layouts for, e.g. "3.11" or "3.9 to 3.13".
std::string supported_versions();

// Parses a layout file's text (exposed for tests). Throws heapy::Error on malformed input.
Layout parse_layout(std::string_view json_text);
// Parses a "c_structs" object (layout files, and recipe files with structs of their own).
CStructs parse_structs(const nlohmann::json& structs);

} // namespace heapy::cpython
