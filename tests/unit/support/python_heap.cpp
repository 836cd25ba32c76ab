#include "tests/unit/support/python_heap.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace heapy::test {

namespace {

// Where things live in the image (a PIE python3.11 and its heap).
constexpr uint64_t kRodata = 0x555555554000;
constexpr uint64_t kRodataSize = 1 << 20;
constexpr uint64_t kData = 0x555555a00000;
constexpr uint64_t kDataSize = 1 << 20;
constexpr uint64_t kHeap = 0x7f0000000000;
constexpr uint64_t kArena = 4 << 20;

// Facts the Layout does not record (they are not struct members the decoders read); 3.11's, and
// the same in the other versions unless a comment says otherwise.
constexpr uint64_t kStrHash = 8;                       // PyASCIIObject.hash, after length
constexpr uint32_t kStrReady = 1u << 7;                // state.ready (<= 3.11)
constexpr uint32_t kStrInterned = 1;                   // SSTATE_INTERNED_MORTAL
constexpr uint8_t kDictUnicode = 1, kDictSplit = 2;    // DICT_KEYS_UNICODE / _SPLIT
constexpr int kSharedKeysLog2 = 6;                     // NEXT_LOG2_SHARED_KEYS_MAX_SIZE
constexpr int64_t kSharedKeysMax = 30;                 // SHARED_KEYS_MAX_SIZE
constexpr uint64_t kDictEntryHash = 0;                 // PyDictKeyEntry.me_hash
constexpr int kMemberObjectEx = 16;                    // T_OBJECT_EX
constexpr int64_t kSetSmall = 8;                       // PySet_MINSIZE
constexpr int64_t kDequeBlock = 64, kDequeCenter = 31; // BLOCKLEN, CENTER
constexpr uint64_t kDequeBlockLeftlink = 0;
constexpr int64_t kDequeBasicsize = 216;
constexpr int64_t kFunctionBasicsize = 136; // sizeof(PyFunctionObject)
constexpr uint8_t kFastLocal = 0x20;        // CO_FAST_LOCAL
constexpr uint64_t kChunkSize = 16 << 10;
constexpr uint64_t kCFrameSize = 24;

uint64_t round_up(uint64_t n, uint64_t to) {
    return (n + to - 1) / to * to;
}

std::u32string decode_utf8(std::string_view in) {
    std::u32string out;
    for (size_t i = 0; i < in.size();) {
        unsigned char c = in[i];
        int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        char32_t cp = n == 0 ? c : c & (0x3F >> n);
        for (int k = 1; k <= n && i + k < in.size(); ++k) cp = (cp << 6) | (in[i + k] & 0x3F);
        out.push_back(cp);
        i += n + 1;
    }
    return out;
}

int64_t fnv1a(std::string_view text) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    int64_t out = int64_t(h >> 1);
    return out == -1 ? -2 : out;
}

} // namespace

namespace {

const cpython::Layout& layout_of(int minor) {
    const cpython::Layout* layout = cpython::find_layout(3, minor);
    if (!layout) throw std::logic_error(fmt::format("test image: no layout for 3.{}", minor));
    return *layout;
}

// The patch level each version's image claims (the local pyenv builds; 3.11.2 is Debian's).
int micro_of(int minor) {
    switch (minor) {
    case 9:
        return 18;
    case 10:
        return 13;
    case 11:
        return 2;
    case 12:
        return 1;
    case 14:
        return 7;
    default:
        return 0;
    }
}

// _Py_DebugOffsets of 3.14 (Include/internal/pycore_debug_offsets.h), describing the image:
// {offset in the struct, value} for each section's size and the fields heapy reads; every other
// word stays 0.
void write_debug_offsets_314(MemoryImage& memory, uint64_t at, uint64_t version,
                             const cpython::Layout& L) {
    memory.write(at, "xdebugpy", 8);
    memory.put<uint64_t>(at + 8, version);
    memory.put<uint64_t>(at + 16, 0); // free_threaded
    const uint64_t gen_size = L.gen_iframe + L.iframe_localsplus + 8;
    const std::pair<uint32_t, uint64_t> words[] = {
        // runtime_state, interpreter_state, thread_state, interpreter_frame
        {24, 4096},
        {32, L.runtime_finalizing},
        {40, L.runtime_interpreters_head},
        {48, L.interp_size},
        {56, L.interp_id},
        {64, L.interp_next},
        {72, L.interp_threads_head},
        {88, L.interp_gc},
        {96, L.interp_modules},
        {104, L.interp_sysdict},
        {112, L.interp_builtins},
        {176, L.tstate_size},
        {184, L.tstate_prev},
        {192, L.tstate_next},
        {200, L.tstate_interp},
        {208, L.tstate_current_frame},
        {216, L.tstate_thread_id},
        {224, L.tstate_native_thread_id},
        {232, L.tstate_datastack_chunk},
        {248, L.iframe_localsplus + 8},
        {256, L.iframe_previous},
        {264, L.iframe_code},
        {272, L.iframe_instr},
        {280, L.iframe_localsplus},
        {288, L.iframe_owner},
        {296, L.iframe_stackpointer},
        // code_object, pyobject, type_object
        {312, L.code_size},
        {320, L.code_filename},
        {328, L.code_name},
        {336, L.code_qualname},
        {344, L.code_linetable},
        {352, L.code_firstlineno},
        {360, L.code_argcount},
        {368, L.code_localsplusnames},
        {376, L.code_localspluskinds},
        {384, L.code_adaptive},
        {400, 16},
        {408, L.object_type},
        {416, L.type_size},
        {424, L.type_name},
        {440, L.type_flags},
        // tuple, list, set, dict, float, long, bytes, unicode, gc, generator
        {448, L.tuple_items + 8},
        {456, L.tuple_items},
        {472, L.list_allocated + 8},
        {480, L.list_items},
        {496, L.set_smalltable + 8 * L.set_entry_size + 8},
        {504, L.set_used},
        {512, L.set_table},
        {520, L.set_mask},
        {528, L.dict_size},
        {536, L.dict_keys},
        {544, L.dict_values},
        {552, 24},
        {560, L.float_value},
        {568, L.long_digits + 4},
        {576, L.long_tag},
        {584, L.long_digits},
        {592, L.bytes_sval + 8},
        {608, L.bytes_sval},
        {616, L.str_unicode_size},
        {624, L.str_state},
        {632, L.str_length},
        {640, L.str_ascii_size},
        {648, L.gc_collecting + 72},
        {656, L.gc_collecting},
        {664, gen_size},
        {672, L.gen_name},
        {680, L.gen_iframe},
        {688, L.gen_frame_state},
    };
    for (const auto& [offset, value] : words) memory.put<uint64_t>(at + offset, value);
}

} // namespace

PyHeap::PyHeap(int minor) : L(layout_of(minor)) {
    version = fmt::format("3.{}.{}", minor, micro_of(minor));
    const std::string exe_path = fmt::format("/usr/bin/python3.{}", minor);
    memory.map(kRodata, kRodataSize, exe_path);
    memory.map(kData, kDataSize, exe_path);
    rodata_next_ = kRodata;
    data_next_ = kData;
    memory::LoadedModule exe;
    exe.path = exe.opened = exe_path;
    exe.start = kRodata;
    exe.end = kData + kDataSize;
    exe.is_executable = true;
    symbols.modules_.push_back(exe);

    using namespace tpflags;
    const uint64_t plain = kReady | kImmutable | kBaseType;
    const int64_t set_size = L.set_smalltable + kSetSmall * L.set_entry_size + 8;
    t.type = static_type("type", "PyType_Type", 0, L.heaptype_size, L.member_size,
                         kTypeSubclass | kHaveGc | plain, L.type_dict, L.type_weaklist);
    t.object = static_type("object", "PyBaseObject_Type", 0, 16, 0, plain);
    poke(t.type + L.type_base, t.object);
    t.str = static_type("str", "PyUnicode_Type", t.object, L.str_unicode_size, 0,
                        kUnicodeSubclass | plain);
    t.bytes =
        static_type("bytes", "PyBytes_Type", t.object, L.bytes_sval + 1, 1, kBytesSubclass | plain);
    t.int_ = static_type("int", "PyLong_Type", t.object, L.long_digits, 4, kLongSubclass | plain);
    t.bool_ = static_type("bool", "PyBool_Type", t.int_, L.long_digits + 8, 4,
                          kLongSubclass | kReady | kImmutable);
    t.float_ = static_type("float", "PyFloat_Type", t.object, L.float_value + 8, 0, plain);
    t.tuple = static_type("tuple", "PyTuple_Type", t.object, L.tuple_items, 8,
                          kTupleSubclass | kHaveGc | kSequence | plain);
    t.list = static_type("list", "PyList_Type", t.object, L.list_allocated + 8, 0,
                         kListSubclass | kHaveGc | kSequence | plain);
    t.dict = static_type("dict", "PyDict_Type", t.object, L.dict_size, 0,
                         kDictSubclass | kHaveGc | kMapping | plain);
    t.set =
        static_type("set", "PySet_Type", t.object, set_size, 0, kHaveGc | plain, 0, set_size - 8);
    t.frozenset = static_type("frozenset", "PyFrozenSet_Type", t.object, set_size, 0,
                              kHaveGc | plain, 0, set_size - 8);
    t.function = static_type("function", "PyFunction_Type", t.object, kFunctionBasicsize, 0,
                             kHaveGc | kReady | kImmutable, L.function_dict, L.function_dict + 8);
    t.code = static_type("code", "PyCode_Type", t.object, L.code_adaptive, L.code_unit_size,
                         kReady | kImmutable, 0, L.code_weakreflist);
    t.cell = static_type("cell", "PyCell_Type", t.object, L.cell_ref + 8, 0,
                         kHaveGc | kReady | kImmutable);
    t.module = static_type("module", "PyModule_Type", t.object, L.module_name + 8, 0,
                           kHaveGc | plain, L.module_dict, L.module_state + 8);
    t.method = static_type("method", "PyMethod_Type", t.object, L.method_self + 24, 0,
                           kHaveGc | kReady | kImmutable);
    t.frame = static_type("frame", "PyFrame_Type", t.object, L.frame_data + L.iframe_localsplus, 8,
                          kHaveGc | kReady | kImmutable);
    t.generator =
        static_type("generator", "PyGen_Type", t.object, L.gen_iframe + L.iframe_localsplus, 8,
                    kHaveGc | kReady | kImmutable, 0, L.gen_weakreflist);
    t.none = static_type("NoneType", "_PyNone_Type", t.object, 16, 0, kReady | kImmutable);
    // Not exported: found by tp_name.
    t.deque = static_type("collections.deque", nullptr, t.object, kDequeBasicsize, 0,
                          kHaveGc | kSequence | plain, 0, kDequeBasicsize - 8);
    t.set_dummy_type = static_type("<dummy key> type", nullptr, 0, 0, 0, kReady);

    None = data(16);
    poke<int64_t>(None + L.object_refcnt, 5549);
    poke(None + L.object_type, t.none);
    symbols.define("_Py_NoneStruct", None);
    labels_[None] = "None";
    set_dummy = data(16); // setobject.c's _dummy_struct
    poke<int64_t>(set_dummy + L.object_refcnt, 2);
    poke(set_dummy + L.object_type, t.set_dummy_type);
    labels_[set_dummy] = "<dummy key>";

    // Py_EMPTY_KEYS: log2 sizes 0, unicode, one index slot of each width, shared by empty dicts
    // (<= 3.10: dk_size 1 and a lookup function).
    empty_keys = data(L.dictkeys_indices + 8);
    poke<int64_t>(empty_keys + L.dictkeys_refcnt, 1);
    if (L.dict_keys_style == 0) {
        poke<int64_t>(empty_keys + L.dictkeys_size, 1);
        poke(empty_keys + L.dictkeys_size + 8, cstring("lookdict_split"));
    } else {
        poke<uint8_t>(empty_keys + L.dictkeys_kind, kDictUnicode);
    }
    poke<uint64_t>(empty_keys + L.dictkeys_indices, ~uint64_t{0});

    runtime = data(4096);
    symbols.define("_PyRuntime", runtime);
    symbols.define_section(".PyRuntime", {runtime, runtime + 4096});
    // Py_GetVersion()'s static buffer, filled in at start-up.
    const std::string text = version + " (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]";
    memory.write(data(256), text.data(), text.size());
    py_version = data(8);
    poke<uint32_t>(py_version, uint32_t(0x03000000 | minor << 16 | micro_of(minor) << 8 | 0xf0));
    if (minor >= 11) symbols.define("Py_Version", py_version); // exported from 3.11 on
    if (minor == 14) write_debug_offsets_314(memory, runtime, peek<uint32_t>(py_version), L);
}

uint64_t PyHeap::static_type(const char* tp_name, const char* symbol, uint64_t base,
                             int64_t basicsize, int64_t itemsize, uint64_t flags,
                             int64_t dictoffset, int64_t weaklistoffset) {
    uint64_t type = data(L.type_size);
    poke<int64_t>(type + L.object_refcnt, 1 << 20);
    poke(type + L.object_type, t.type ? t.type : type); // `type` is its own metatype
    poke(type + L.type_name, cstring(tp_name));
    poke(type + L.type_basicsize, basicsize);
    poke(type + L.type_itemsize, itemsize);
    poke(type + L.type_flags, flags);
    poke(type + L.type_base, base);
    poke(type + L.type_dictoffset, dictoffset);
    poke(type + L.type_weaklistoffset, weaklistoffset);
    if (symbol) symbols.define(symbol, type);
    labels_[type] = tp_name;
    return type;
}

uint64_t PyHeap::member_table(const std::vector<std::pair<std::string, int64_t>>& members,
                              int type_code) {
    const uint64_t table = data((members.size() + 1) * L.member_size);
    for (size_t i = 0; i < members.size(); ++i) {
        const uint64_t member = table + i * L.member_size;
        poke(member + L.member_name, cstring(members[i].first));
        poke<int32_t>(member + L.member_type, type_code);
        poke<int64_t>(member + L.member_offset, members[i].second);
    }
    return table;
}

uint64_t PyHeap::data(uint64_t size) {
    uint64_t at = data_next_;
    data_next_ = round_up(at + size, 32);
    if (data_next_ > kData + kDataSize) throw std::logic_error("test image: .data is full");
    return at;
}

uint64_t PyHeap::cstring(std::string_view text) {
    uint64_t at = rodata_next_;
    rodata_next_ = round_up(at + text.size() + 1, 8);
    if (rodata_next_ > kRodata + kRodataSize) throw std::logic_error("test image: .rodata is full");
    memory.write(at, text.data(), text.size());
    return at;
}

uint64_t PyHeap::allocate(uint64_t size) {
    size = round_up(std::max<uint64_t>(size, 16), 16);
    if (heap_next_ + size > heap_end_) {
        uint64_t start = heap_end_ ? heap_end_ : kHeap;
        uint64_t length = round_up(std::max(size, kArena), 1 << 16);
        memory.map(start, length, "[heap]");
        heap_next_ = start;
        heap_end_ = start + length;
    }
    uint64_t at = heap_next_;
    heap_next_ += size;
    return at;
}

uint64_t PyHeap::raw(uint64_t size) {
    return allocate(size);
}

uint64_t PyHeap::object(uint64_t type, uint64_t body, std::optional<int64_t> ob_size) {
    const uint64_t flags = peek<uint64_t>(type + L.type_flags);
    const bool gc = flags & tpflags::kHaveGc;
    const bool managed = L.managed_dict_style != 0 && (flags & uint64_t(L.tpflags_managed_dict));
    const bool inline_values =
        L.managed_dict_style == 3 && (flags & uint64_t(L.tpflags_inline_values));
    const uint64_t keys = managed ? cached_keys(type) : 0;
    uint64_t size = 0; // of the values array
    if (keys) {
        // init_inline_values(): the class's shared keys give the size of the values array.
        int64_t usable = peek<int64_t>(keys + L.dictkeys_usable);
        if (usable > 1) poke<int64_t>(keys + L.dictkeys_usable, --usable);
        size = uint64_t(peek<int64_t>(keys + L.dictkeys_nentries) + usable);
    }
    // 3.13: {capacity, size, embedded, valid}, values[capacity], then the insertion order.
    const uint64_t inline_bytes = inline_values ? 8 + 8 * size + round_up(size, 8) : 0;
    const uint64_t pre = (gc ? L.gc_head_size : 0) + (managed ? L.preheader_size : 0);
    const uint64_t obj = allocate(pre + body + inline_bytes) + pre;
    poke<int64_t>(obj + L.object_refcnt, 1);
    poke(obj + L.object_type, type);
    if (ob_size) poke(obj + L.varobject_size, *ob_size);
    if (keys && inline_values) {
        const uint64_t values = obj + body; // _PyObject_InlineValues()
        poke<uint8_t>(values + L.dictvalues_capacity, uint8_t(size));
        poke<uint8_t>(values + L.dictvalues_valid, 1);
        poke<uint8_t>(values + L.dictvalues_valid - 1, 1); // embedded
    } else if (keys) {
        // 3.11, 3.12: the prefix bytes before values[0] ([-1] its size, [-2] the used count).
        const uint64_t prefix = round_up(size + 2, 8);
        const uint64_t values = raw(prefix + 8 * size) + prefix;
        poke<uint8_t>(values - 1, uint8_t(prefix));
        if (L.managed_dict_style == 1)
            poke(obj + L.managed_values_offset, values);
        else // 3.12: _PyDictOrValues, the values pointer tagged by subtracting 1
            poke(obj + L.managed_dict_offset, values - 1);
    }
    return obj;
}

// --- objects ----------------------------------------------------------------------------------

uint64_t PyHeap::str(std::string_view utf8) {
    if (auto it = interned_.find(utf8); it != interned_.end()) return it->second;
    uint64_t s = new_str(utf8);
    poke<uint32_t>(s + L.str_state, peek<uint32_t>(s + L.str_state) | kStrInterned);
    interned_.emplace(std::string(utf8), s);
    return s;
}

uint64_t PyHeap::new_str(std::string_view utf8) {
    const std::u32string chars = decode_utf8(utf8);
    char32_t max = 0;
    for (char32_t c : chars) max = std::max(max, c);
    const bool ascii = max < 0x80;
    const uint32_t kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
    const uint64_t header = ascii ? L.str_ascii_size : L.str_compact_size;
    const uint64_t s = object(t.str, header + (chars.size() + 1) * kind);
    poke<int64_t>(s + L.str_length, int64_t(chars.size()));
    poke<int64_t>(s + L.str_length + kStrHash, fnv1a(utf8));
    poke<uint32_t>(s + L.str_state, (kind << L.str_kind_shift) | (1u << L.str_compact_bit) |
                                        (uint32_t(ascii) << L.str_ascii_bit) |
                                        (L.minor <= 11 ? kStrReady : 0));
    for (size_t i = 0; i < chars.size(); ++i) {
        const uint64_t at = s + header + i * kind;
        if (kind == 1)
            poke<uint8_t>(at, uint8_t(chars[i]));
        else if (kind == 2)
            poke<uint16_t>(at, uint16_t(chars[i]));
        else
            poke<uint32_t>(at, uint32_t(chars[i]));
    }
    texts_[s] = std::string(utf8);
    labels_[s] = "'" + std::string(utf8) + "'";
    return s;
}

uint64_t PyHeap::bytes(std::string_view data) {
    if (data.empty() && empty_bytes_) return empty_bytes_;
    const uint64_t b = object(t.bytes, L.bytes_sval + data.size() + 1, int64_t(data.size()));
    poke<int64_t>(b + L.bytes_sval - 8, -1); // ob_shash
    if (!data.empty()) memory.write(b + L.bytes_sval, data.data(), data.size());
    labels_[b] = "b'" + std::string(data) + "'";
    if (data.empty()) empty_bytes_ = b;
    return b;
}

uint64_t PyHeap::integer(int64_t value) {
    std::vector<uint32_t> digits;
    for (uint64_t rest = value < 0 ? 0 - uint64_t(value) : uint64_t(value); rest;
         rest >>= L.int_digit_bits)
        digits.push_back(uint32_t(rest & ((uint64_t{1} << L.int_digit_bits) - 1)));
    const int64_t n = int64_t(digits.size());
    const uint64_t i =
        object(t.int_, L.long_digits + 4 * std::max<int64_t>(n, 1), value < 0 ? -n : n);
    for (size_t k = 0; k < digits.size(); ++k) poke(i + L.long_digits + 4 * k, digits[k]);
    if (L.int_tagged) // 3.12+: lv_tag = digit count << 3 | sign (0 positive, 1 zero, 2 negative)
        poke<uint64_t>(i + L.long_tag, uint64_t(n) << 3 | (value < 0 ? 2 : value == 0 ? 1 : 0));
    labels_[i] = std::to_string(value);
    return i;
}

uint64_t PyHeap::tuple(const std::vector<uint64_t>& items) {
    if (items.empty() && empty_tuple_) return empty_tuple_;
    const uint64_t t_ = object(t.tuple, L.tuple_items + 8 * items.size(), int64_t(items.size()));
    for (size_t i = 0; i < items.size(); ++i) poke(t_ + L.tuple_items + 8 * i, items[i]);
    if (items.empty()) empty_tuple_ = t_, labels_[t_] = "()";
    return t_;
}

uint64_t PyHeap::list(const std::vector<uint64_t>& items, uint64_t type, int64_t spare) {
    if (!type) type = t.list;
    const uint64_t l = object(type, peek<int64_t>(type + L.type_basicsize), int64_t(items.size()));
    const int64_t allocated = int64_t(items.size()) + spare;
    poke(l + L.list_allocated, allocated);
    if (allocated > 0) {
        const uint64_t array = raw(8 * uint64_t(allocated));
        for (size_t i = 0; i < items.size(); ++i) poke(array + 8 * i, items[i]);
        poke(l + L.list_items, array);
    }
    return l;
}

int64_t PyHeap::hash_of(uint64_t object) const {
    const uint64_t type = type_of(object);
    if (type == t.str) return peek<int64_t>(object + L.str_length + kStrHash);
    if (type == t.int_ && peek<int64_t>(object + L.varobject_size) == 1)
        return peek<uint32_t>(object + L.long_digits);
    return int64_t(object >> 4);
}

void PyHeap::insert_index(uint64_t keys, int64_t hash, int64_t ix) {
    const int log2 = log2_size(keys);
    const uint64_t width = log2 < 8 ? 1 : log2 < 16 ? 2 : log2 < 32 ? 4 : 8;
    const uint64_t mask = (uint64_t{1} << log2) - 1;
    const uint64_t indices = keys + L.dictkeys_indices;
    auto slot_used = [&](uint64_t i) {
        int64_t v = 0;
        memory.read(indices + i * width, {reinterpret_cast<std::byte*>(&v), width});
        return (v & 0xff) != 0xff; // DKIX_EMPTY is -1 at every width
    };
    uint64_t i = uint64_t(hash) & mask;
    for (uint64_t perturb = uint64_t(hash); slot_used(i);) { // find_empty_slot()
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
    memory.write(indices + i * width, &ix, width);
}

uint64_t PyHeap::make_keys(const std::vector<std::pair<uint64_t, uint64_t>>& items, uint8_t kind,
                           int log2_size) {
    const uint64_t size = uint64_t{1} << log2_size;
    const int log2_index_bytes = log2_size < 8    ? log2_size
                                 : log2_size < 16 ? log2_size + 1
                                                  : log2_size + 2;
    const uint64_t usable = (size << 1) / 3;
    if (L.dict_keys_style == 0) kind = uint8_t(L.dict_kind_general); // <= 3.10: one entry kind
    const bool general = kind == L.dict_kind_general;
    const uint64_t entry_size = general ? L.dictentry_size : L.dictunicodeentry_size;
    const uint64_t keys =
        raw(L.dictkeys_indices + (uint64_t{1} << log2_index_bytes) + usable * entry_size);
    poke<int64_t>(keys + L.dictkeys_refcnt, 1);
    if (L.dict_keys_style == 0) {
        poke<int64_t>(keys + L.dictkeys_size, int64_t(size));
        poke(keys + L.dictkeys_size + 8, cstring("lookdict")); // dk_lookup
    } else {
        poke<uint8_t>(keys + L.dictkeys_log2_size, uint8_t(log2_size));
        poke<uint8_t>(keys + L.dictkeys_log2_index_bytes, uint8_t(log2_index_bytes));
        poke<uint8_t>(keys + L.dictkeys_kind, kind);
    }
    poke<int64_t>(keys + L.dictkeys_usable, int64_t(usable - items.size()));
    poke<int64_t>(keys + L.dictkeys_nentries, int64_t(items.size()));
    const std::vector<uint8_t> empty(uint64_t{1} << log2_index_bytes, 0xff);
    memory.write(keys + L.dictkeys_indices, empty.data(), empty.size());
    const uint64_t entries = dict_entries(keys);
    for (size_t i = 0; i < items.size(); ++i) {
        const uint64_t entry = entries + i * entry_size;
        const int64_t hash = hash_of(items[i].first);
        if (general) poke(entry + kDictEntryHash, hash);
        poke(entry + (general ? L.dictentry_key : L.dictunicodeentry_key), items[i].first);
        poke(entry + (general ? L.dictentry_value : L.dictunicodeentry_value), items[i].second);
        insert_index(keys, hash, int64_t(i));
    }
    return keys;
}

uint64_t PyHeap::dict_entries(uint64_t keys) const {
    const int log2 = log2_size(keys);
    const int log2_index_bytes = L.dict_keys_style != 0
                                     ? peek<uint8_t>(keys + L.dictkeys_log2_index_bytes)
                                 : log2 < 8  ? log2
                                 : log2 < 16 ? log2 + 1
                                             : log2 + 2;
    return keys + L.dictkeys_indices + (uint64_t{1} << log2_index_bytes);
}

int PyHeap::log2_size(uint64_t keys) const {
    if (L.dict_keys_style != 0) return peek<uint8_t>(keys + L.dictkeys_log2_size);
    int log2 = 0;
    while ((int64_t{1} << log2) < peek<int64_t>(keys + L.dictkeys_size)) ++log2;
    return log2;
}

uint8_t PyHeap::keys_kind(uint64_t keys) const {
    return L.dict_keys_style == 0 ? uint8_t(L.dict_kind_general)
                                  : peek<uint8_t>(keys + L.dictkeys_kind);
}

uint64_t PyHeap::dict(const std::vector<std::pair<uint64_t, uint64_t>>& items, uint64_t type) {
    if (!type) type = t.dict;
    const uint64_t d = object(type, peek<int64_t>(type + L.type_basicsize));
    uint64_t keys = empty_keys;
    if (items.empty()) {
        poke(empty_keys + L.dictkeys_refcnt, peek<int64_t>(empty_keys + L.dictkeys_refcnt) + 1);
    } else {
        bool unicode = true;
        for (const auto& item : items) unicode &= type_of(item.first) == t.str;
        int log2 = 3;
        while (((uint64_t{1} << log2) * 2) / 3 < items.size()) ++log2;
        keys = make_keys(items, unicode ? kDictUnicode : uint8_t(L.dict_kind_general), log2);
    }
    poke<int64_t>(d + L.dict_used, int64_t(items.size()));
    poke(d + L.dict_keys, keys);
    return d;
}

void PyHeap::dict_set(uint64_t dict, uint64_t key, uint64_t value) {
    if (word(dict + L.dict_values))
        throw std::logic_error("dict_set: split dicts are not supported");
    uint64_t keys = keys_of(dict);
    const bool unicode_key = type_of(key) == t.str;
    std::vector<std::pair<uint64_t, uint64_t>> items;
    uint8_t kind = kDictUnicode;
    if (keys != empty_keys) {
        kind = keys_kind(keys);
        const bool general = kind == L.dict_kind_general;
        const uint64_t entry_size = general ? L.dictentry_size : L.dictunicodeentry_size;
        const uint64_t key_at = general ? L.dictentry_key : L.dictunicodeentry_key;
        const uint64_t value_at = general ? L.dictentry_value : L.dictunicodeentry_value;
        const uint64_t entries = dict_entries(keys);
        const int64_t nentries = peek<int64_t>(keys + L.dictkeys_nentries);
        for (int64_t ix = 0; ix < nentries; ++ix) {
            const uint64_t entry = entries + uint64_t(ix) * entry_size;
            if (word(entry + key_at) == key) return poke(entry + value_at, value);
            if (word(entry + key_at))
                items.emplace_back(word(entry + key_at), word(entry + value_at));
        }
        if (peek<int64_t>(keys + L.dictkeys_usable) > 0 && (general || unicode_key)) {
            const uint64_t entry = entries + uint64_t(nentries) * entry_size;
            if (general) poke(entry + kDictEntryHash, hash_of(key));
            poke(entry + key_at, key);
            poke(entry + value_at, value);
            insert_index(keys, hash_of(key), nentries);
            poke<int64_t>(keys + L.dictkeys_nentries, nentries + 1);
            poke<int64_t>(keys + L.dictkeys_usable, peek<int64_t>(keys + L.dictkeys_usable) - 1);
            poke<int64_t>(dict + L.dict_used, peek<int64_t>(dict + L.dict_used) + 1);
            return;
        }
    }
    // insertion_resize(): a new keys object for GROWTH_RATE = used * 3.
    items.emplace_back(key, value);
    int log2 = 3;
    while ((uint64_t{1} << log2) < items.size() * 3) ++log2;
    if (!unicode_key) kind = uint8_t(L.dict_kind_general);
    poke(dict + L.dict_keys, make_keys(items, kind, log2));
    poke<int64_t>(dict + L.dict_used, int64_t(items.size()));
}

void PyHeap::dict_del(uint64_t dict, uint64_t key) {
    const uint64_t keys = keys_of(dict);
    const bool general = keys_kind(keys) == L.dict_kind_general;
    const uint64_t entry_size = general ? L.dictentry_size : L.dictunicodeentry_size;
    const uint64_t key_at = general ? L.dictentry_key : L.dictunicodeentry_key;
    const uint64_t value_at = general ? L.dictentry_value : L.dictunicodeentry_value;
    const uint64_t entries = dict_entries(keys);
    const int64_t nentries = peek<int64_t>(keys + L.dictkeys_nentries);
    for (int64_t ix = 0; ix < nentries; ++ix) {
        const uint64_t entry = entries + uint64_t(ix) * entry_size;
        if (word(entry + key_at) != key) continue;
        poke<uint64_t>(entry + key_at, 0);
        poke<uint64_t>(entry + value_at, 0);
        const int log2 = log2_size(keys);
        const uint64_t width = log2 < 8 ? 1 : log2 < 16 ? 2 : log2 < 32 ? 4 : 8;
        for (uint64_t slot = 0; slot < (uint64_t{1} << log2); ++slot) {
            int64_t value = 0;
            memory.read(keys + L.dictkeys_indices + slot * width,
                        {reinterpret_cast<std::byte*>(&value), width});
            if (value == ix) {
                const int64_t dummy = -2; // DKIX_DUMMY
                memory.write(keys + L.dictkeys_indices + slot * width, &dummy, width);
            }
        }
        poke<int64_t>(dict + L.dict_used, peek<int64_t>(dict + L.dict_used) - 1);
        return;
    }
    throw std::logic_error("dict_del: no such key");
}

uint64_t PyHeap::set(const std::vector<uint64_t>& items, uint64_t table_slots) {
    const uint64_t n = items.size();
    if (!table_slots) { // set_merge(): resize to more than twice the items once 3/5 full
        table_slots = kSetSmall;
        if (n * 5 >= (kSetSmall - 1) * 3)
            while (table_slots <= 2 * n) table_slots <<= 1;
    }
    const uint64_t s = object(t.set, peek<int64_t>(t.set + L.type_basicsize));
    const uint64_t table =
        table_slots == kSetSmall ? s + L.set_smalltable : raw(table_slots * L.set_entry_size);
    const uint64_t mask = table_slots - 1;
    for (uint64_t item : items) {
        const int64_t hash = hash_of(item);
        uint64_t i = uint64_t(hash) & mask;
        while (word(table + i * L.set_entry_size + L.set_entry_key)) i = (i + 1) & mask;
        poke(table + i * L.set_entry_size + L.set_entry_key, item);
        poke(table + i * L.set_entry_size + L.set_entry_hash, hash);
    }
    poke<int64_t>(s + L.set_fill, int64_t(n));
    poke<int64_t>(s + L.set_used, int64_t(n));
    poke<int64_t>(s + L.set_mask, int64_t(mask));
    poke(s + L.set_table, table);
    poke<int64_t>(s + L.set_table + 8, -1); // hash
    return s;
}

void PyHeap::set_discard(uint64_t set, uint64_t item) {
    const uint64_t table = word(set + L.set_table);
    for (int64_t i = 0; i <= peek<int64_t>(set + L.set_mask); ++i) {
        const uint64_t entry = table + uint64_t(i) * L.set_entry_size;
        if (word(entry + L.set_entry_key) != item) continue;
        poke(entry + L.set_entry_key, set_dummy);
        poke<int64_t>(entry + L.set_entry_hash, -1);
        poke<int64_t>(set + L.set_used, peek<int64_t>(set + L.set_used) - 1);
        return;
    }
    throw std::logic_error("set_discard: not a member");
}

uint64_t PyHeap::cell(uint64_t contents) {
    const uint64_t c = object(t.cell, L.cell_ref + 8);
    poke(c + L.cell_ref, contents);
    return c;
}

uint64_t PyHeap::code(const CodeSpec& spec) {
    const uint64_t body =
        round_up(L.code_adaptive + uint64_t(spec.code_units) * L.code_unit_size, 8);
    const uint64_t c = object(t.code, body, spec.code_units);
    std::vector<uint64_t> names;
    for (const auto& local : spec.locals) names.push_back(str(local));
    poke(c + L.code_consts, tuple({}));
    poke(c + L.code_names, tuple({}));
    poke(c + L.code_exceptiontable, bytes(""));
    poke<int32_t>(c + L.code_stacksize, spec.stacksize);
    poke<int32_t>(c + L.code_firstlineno, 1);
    poke<int32_t>(c + L.code_nlocalsplus, int32_t(spec.locals.size()));
    poke(c + L.code_localsplusnames, tuple(names));
    poke(c + L.code_localspluskinds, bytes(std::string(spec.locals.size(), char(kFastLocal))));
    poke(c + L.code_filename, str(spec.filename));
    poke(c + L.code_name, str(spec.name));
    poke(c + L.code_qualname, str(spec.name));
    poke(c + L.code_linetable, bytes(""));
    poke<int32_t>(c + L.code_firsttraceable, spec.firsttraceable);
    labels_[c] = "code:" + spec.name;
    return c;
}

uint64_t PyHeap::function(const FunctionSpec& spec) {
    const uint64_t f = object(t.function, kFunctionBasicsize);
    poke(f + L.function_globals, spec.globals);
    poke(f + L.function_builtins, spec.builtins);
    poke(f + L.function_name, word(spec.code + L.code_name));
    poke(f + L.function_qualname, word(spec.code + L.code_qualname));
    poke(f + L.function_code, spec.code);
    poke(f + L.function_defaults, spec.defaults);
    poke(f + L.function_closure, spec.closure);
    poke(f + L.function_doc, None);
    labels_[f] = "function:" + text_of(word(spec.code + L.code_name));
    return f;
}

uint64_t PyHeap::module(std::string_view name, uint64_t dict) {
    const uint64_t m = object(t.module, L.module_name + 8);
    poke(m + L.module_dict, dict);
    poke(m + L.module_name, str(name));
    labels_[m] = "module:" + std::string(name);
    return m;
}

uint64_t PyHeap::deque(const std::vector<uint64_t>& items) {
    const uint64_t d = object(t.deque, kDequeBasicsize, int64_t(items.size()));
    // deque(iterable) extends an empty deque, which starts filling at index 1.
    const int64_t left = items.empty() ? kDequeCenter + 1 : 1;
    const uint64_t first = raw(L.deque_block_size);
    uint64_t block = first;
    int64_t index = left;
    for (uint64_t item : items) {
        if (index == kDequeBlock) {
            const uint64_t next = raw(L.deque_block_size);
            poke(block + L.deque_block_rightlink, next);
            poke(next + kDequeBlockLeftlink, block);
            block = next;
            index = 0;
        }
        poke(block + L.deque_block_data + 8 * uint64_t(index++), item);
    }
    poke(d + L.deque_leftblock, first);
    poke(d + L.deque_rightblock, block);
    poke(d + L.deque_leftindex, left);
    poke(d + L.deque_rightindex, items.empty() ? kDequeCenter : index - 1);
    poke<int64_t>(d + L.deque_rightindex + 16, -1); // maxlen
    return d;
}

uint64_t PyHeap::heap_type(const ClassSpec& spec) {
    using namespace tpflags;
    const uint64_t base = spec.base ? spec.base : t.object;
    const uint64_t meta = spec.metatype ? spec.metatype : t.type;
    const uint64_t managed_flag = uint64_t(L.tpflags_managed_dict);
    const uint64_t base_flags = peek<uint64_t>(base + L.type_flags);
    const int64_t base_itemsize = peek<int64_t>(base + L.type_itemsize);
    int64_t dictoffset = peek<int64_t>(base + L.type_dictoffset);
    int64_t weaklistoffset = peek<int64_t>(base + L.type_weaklistoffset);
    const bool add_dict = !spec.slots && dictoffset == 0 && !(base_flags & managed_flag);
    const bool add_weak = !spec.slots && weaklistoffset == 0 && base_itemsize == 0;
    const size_t nslots = spec.slots ? spec.slots->size() : 0;

    // type_new(): the heap type, its members array after it (plus a sentinel).
    const uint64_t cls =
        object(meta, L.heaptype_size + (nslots + 1) * L.member_size, int64_t(nslots));
    const uint64_t name = str(spec.name);
    const uint64_t members = cls + L.heaptype_size;
    ClassInfo info;
    int64_t slotoffset = peek<int64_t>(base + L.type_basicsize);
    std::vector<uint64_t> slot_names;
    for (size_t i = 0; i < nslots; ++i) { // type_new_descriptors()
        const uint64_t slot = str((*spec.slots)[i]);
        slot_names.push_back(slot);
        const uint64_t member = members + i * L.member_size;
        poke(member + L.member_name, slot + L.str_ascii_size); // PyUnicode_AsUTF8(slot)
        poke<int32_t>(member + L.member_type, kMemberObjectEx);
        poke<int64_t>(member + L.member_offset, slotoffset);
        info.slot_offsets[(*spec.slots)[i]] = uint64_t(slotoffset);
        slotoffset += 8;
    }
    uint64_t flags = kHeapType | kBaseType | kReady | kHaveGc |
                     (base_flags & (kSubclassBits | kSequence | kMapping | managed_flag));
    if (L.managed_dict_style == 0) { // <= 3.10: __dict__ then __weakref__ slots
        if (add_dict) dictoffset = base_itemsize ? -8 : slotoffset, slotoffset += 8;
        if (add_weak) weaklistoffset = slotoffset, slotoffset += 8;
    } else if (L.managed_dict_style == 1) { // 3.11
        if (add_dict && base_itemsize) dictoffset = -8, slotoffset += 8;
        if (add_weak) weaklistoffset = slotoffset, slotoffset += 8;
        if (add_dict && !base_itemsize) flags |= managed_flag, dictoffset = -slotoffset - 24;
    } else { // 3.12+: the weakref list and the dict in the pre-header (tp_dictoffset -1)
        if (add_dict && base_itemsize) dictoffset = -8, slotoffset += 8;
        if (add_weak && !base_itemsize)
            flags |= uint64_t(L.tpflags_managed_weakref), weaklistoffset = -32;
        else if (add_weak)
            weaklistoffset = slotoffset, slotoffset += 8;
        if (add_dict && !base_itemsize) flags |= managed_flag, dictoffset = -1;
        // 3.13: an instance with nothing but a PyObject header keeps its values inline.
        if (L.managed_dict_style == 3 && (flags & managed_flag) && slotoffset == 16)
            flags |= uint64_t(L.tpflags_inline_values);
    }
    info.managed = flags & managed_flag;
    info.dictoffset = dictoffset;

    std::vector<uint64_t> mro{cls};
    for (uint64_t up = base; up; up = word(up + L.type_base)) mro.push_back(up);
    poke(cls + L.type_name, name + L.str_ascii_size);
    poke(cls + L.type_basicsize, slotoffset);
    poke(cls + L.type_itemsize, base_itemsize);
    poke(cls + L.type_flags, flags);
    poke(cls + L.type_base, base);
    poke(cls + L.type_bases, tuple({base}));
    poke(cls + L.type_mro, tuple(mro));
    poke(cls + L.type_dict, dict({{str("__module__"), str(spec.module)}}));
    poke(cls + L.type_dictoffset, dictoffset);
    poke(cls + L.type_weaklistoffset, weaklistoffset);
    poke(cls + L.type_members, members);
    poke(cls + L.heaptype_name, name);
    poke(cls + L.heaptype_qualname, name);
    if (spec.slots) poke(cls + L.heaptype_slots, tuple(slot_names));
    if (info.managed) { // _PyDict_NewKeysForClass(), for subclasses of managed classes too
        const uint64_t keys = make_keys({}, kDictSplit, kSharedKeysLog2);
        poke<int64_t>(keys + L.dictkeys_usable, kSharedKeysMax);
        poke(cls + L.heaptype_cached_keys, keys);
    }
    classes_[cls] = info;
    labels_[cls] = spec.name;
    return cls;
}

uint64_t PyHeap::instance(uint64_t cls,
                          const std::vector<std::pair<std::string, uint64_t>>& attrs) {
    const uint64_t obj = object(cls, peek<int64_t>(cls + L.type_basicsize));
    for (const auto& [name, value] : attrs) set_attr(obj, name, value);
    return obj;
}

void PyHeap::set_attr(uint64_t obj, std::string_view name, uint64_t value) {
    const uint64_t cls = type_of(obj);
    const ClassInfo& info = classes_.at(cls);
    if (auto slot = info.slot_offsets.find(std::string(name)); slot != info.slot_offsets.end()) {
        poke(obj + slot->second, value);
        return;
    }
    if (!info.managed) { // an instance dict at tp_dictoffset, made at the first attribute
        if (info.dictoffset <= 0) throw std::logic_error("set_attr: no such slot, no __dict__");
        if (uint64_t d = word(obj + uint64_t(info.dictoffset)))
            dict_set(d, str(name), value);
        else
            poke(obj + uint64_t(info.dictoffset), dict({{str(name), value}}));
        return;
    }
    const uint64_t values = values_of(obj);
    if (!values) throw std::logic_error("set_attr: the instance's dict is materialized");
    const uint64_t keys = cached_keys(cls);
    const uint64_t key = str(name);
    const uint64_t entries = dict_entries(keys);
    const int64_t nentries = peek<int64_t>(keys + L.dictkeys_nentries);
    int64_t ix = 0;
    while (ix < nentries &&
           word(entries + uint64_t(ix) * L.dictunicodeentry_size + L.dictunicodeentry_key) != key)
        ++ix;
    if (ix == nentries) { // insert_into_dictkeys(): a new shared key
        const int64_t usable = peek<int64_t>(keys + L.dictkeys_usable);
        if (usable <= 0) throw std::logic_error("set_attr: shared keys are full");
        poke(entries + uint64_t(ix) * L.dictunicodeentry_size + L.dictunicodeentry_key, key);
        insert_index(keys, hash_of(key), ix);
        poke<int64_t>(keys + L.dictkeys_nentries, nentries + 1);
        poke<int64_t>(keys + L.dictkeys_usable, usable - 1);
    }
    const uint64_t slot = values + L.dictvalues_values + 8 * uint64_t(ix);
    if (!word(slot) && L.split_values_style == 2) { // 3.13: size, then order after the values
        const uint8_t used = peek<uint8_t>(values + L.dictvalues_size);
        const uint8_t capacity = peek<uint8_t>(values + L.dictvalues_capacity);
        poke<uint8_t>(values + L.dictvalues_values + 8 * uint64_t(capacity) + used, uint8_t(ix));
        poke<uint8_t>(values + L.dictvalues_size, uint8_t(used + 1));
    } else if (!word(slot)) { // _PyDictValues_AddToInsertionOrder()
        const uint8_t used = peek<uint8_t>(values - 2);
        poke<uint8_t>(values - 3 - used, uint8_t(ix));
        poke<uint8_t>(values - 2, uint8_t(used + 1));
    }
    poke(slot, value);
}

uint64_t PyHeap::materialize_dict(uint64_t obj) {
    const uint64_t keys = cached_keys(type_of(obj));
    const uint64_t values = values_of(obj);
    if (!values) throw std::logic_error("materialize_dict: no values to take over");
    const uint64_t d = object(t.dict, L.dict_size);
    poke<int64_t>(d + L.dict_used, L.split_values_style == 2
                                       ? peek<uint8_t>(values + L.dictvalues_size)
                                       : peek<uint8_t>(values - 2));
    poke(d + L.dict_keys, keys);
    poke(d + L.dict_values, values);
    poke(keys + L.dictkeys_refcnt, peek<int64_t>(keys + L.dictkeys_refcnt) + 1);
    if (L.managed_dict_style == 1) poke<uint64_t>(obj + L.managed_values_offset, 0);
    // 3.12: the tagged word becomes the dict; 3.13: the values stay embedded, the dict is set.
    poke(obj + L.managed_dict_offset, d);
    return d;
}

uint64_t PyHeap::values_of(uint64_t obj) const {
    const uint64_t slot = L.managed_dict_style != 0 ? word(obj + L.managed_dict_offset) : 0;
    switch (L.managed_dict_style) {
    case 1:
        return word(obj + L.managed_values_offset);
    case 2:
        return slot & 1 ? slot + 1 : 0;
    case 3:
        return !slot && (peek<uint64_t>(type_of(obj) + L.type_flags) &
                         uint64_t(L.tpflags_inline_values))
                   ? obj + 16
                   : 0;
    default:
        return 0;
    }
}

// --- frames -----------------------------------------------------------------------------------

uint64_t PyHeap::frame_bytes(uint64_t code) const {
    const int32_t slots =
        peek<int32_t>(code + L.code_nlocalsplus) + peek<int32_t>(code + L.code_stacksize);
    return L.iframe_localsplus + 8 * uint64_t(slots);
}

uint64_t PyHeap::chunk_for(uint64_t thread) {
    auto it = chunks_.find(thread);
    if (it != chunks_.end()) return it->second;
    const uint64_t chunk = raw(kChunkSize);
    poke(chunk + L.chunk_size, kChunkSize);
    chunks_[thread] = chunk;
    return chunk;
}

uint64_t PyHeap::place_frame(uint64_t at, const FrameSpec& spec, int8_t owner) {
    const uint64_t code = spec.code;
    const int32_t nlocalsplus = peek<int32_t>(code + L.code_nlocalsplus);
    if (spec.fast.size() > size_t(nlocalsplus) ||
        spec.stack.size() > size_t(peek<int32_t>(code + L.code_stacksize)))
        throw std::logic_error("frame: more values than the code has slots");
    // 3.14: f_executable and f_funcobj are _PyStackRefs; tag them deferred (bit 0), as CPython
    // does for immortal objects, so that readers must untag.
    const uint64_t tag = L.stackrefs ? 1 : 0;
    poke(at + L.iframe_function, spec.function ? spec.function | tag : 0);
    poke(at + L.iframe_globals, spec.globals);
    poke(at + L.iframe_builtins, spec.builtins);
    poke(at + L.iframe_locals, spec.locals);
    poke(at + L.iframe_code, code | tag);
    poke(at + L.iframe_previous, spec.previous);
    // prev_instr: _PyCode_CODE(code) - 1 before the first instruction, else past
    // _co_firsttraceable.
    const int64_t first = peek<int32_t>(code + L.code_firsttraceable);
    const int64_t instr = spec.incomplete ? -1 : first;
    poke(at + L.iframe_instr, code + L.code_adaptive + uint64_t(instr * int64_t(L.code_unit_size)));
    const int32_t stacktop = nlocalsplus + int32_t(spec.stack.size());
    if (L.has(L.iframe_stackpointer)) // 3.14: a pointer to the first free slot; NULL while running
        poke<uint64_t>(at + L.iframe_stackpointer,
                       spec.executing ? 0 : at + L.iframe_localsplus + 8 * uint64_t(stacktop));
    else
        poke<int32_t>(at + L.iframe_stacktop, spec.executing ? -1 : stacktop);
    poke<int8_t>(at + L.iframe_owner, owner);
    // 3.14 stackrefs: NULL is the deferred NULL (1); every other value goes in as given.
    const uint64_t null = L.stackrefs ? 1 : 0;
    for (int32_t i = 0; i < nlocalsplus; ++i)
        poke<uint64_t>(at + L.iframe_localsplus + 8 * uint64_t(i), null);
    for (size_t i = 0; i < spec.fast.size(); ++i)
        poke(at + L.iframe_localsplus + 8 * i, spec.fast[i] ? spec.fast[i] : null);
    for (size_t i = 0; i < spec.stack.size(); ++i)
        poke(at + L.iframe_localsplus + 8 * (uint64_t(nlocalsplus) + i), spec.stack[i]);
    labels_[at] = "frame:" + text_of(word(code + L.code_name));
    return at;
}

uint64_t PyHeap::frame(const FrameSpec& spec) {
    const uint64_t chunk = chunk_for(0);
    const uint64_t top = word(chunk + L.chunk_top);
    const uint64_t bytes = frame_bytes(spec.code);
    if (L.chunk_data + 8 * top + bytes > kChunkSize)
        throw std::logic_error("frame: data stack is full");
    poke(chunk + L.chunk_top, top + bytes / 8);
    return place_frame(chunk + L.chunk_data + 8 * top, spec, int8_t(L.frame_owner_thread));
}

uint64_t PyHeap::frame_object(uint64_t frame) {
    const uint64_t code = word(frame + L.iframe_code) & ~uint64_t{3};
    // PyFrameObject has no ob_size (f_back is there) although it is allocated var-sized.
    const uint64_t f = object(t.frame, L.frame_data + frame_bytes(code));
    poke(f + L.frame_frame, frame);
    poke(frame + L.iframe_frame_obj, f);
    return f;
}

uint64_t PyHeap::generator(const FrameSpec& spec, int8_t frame_state) {
    // PyGenObject has no ob_size either: gi_code is at 16.
    const uint64_t g = object(t.generator, L.gen_iframe + frame_bytes(spec.code));
    if (L.has(L.gen_code)) poke(g + L.gen_code, spec.code);
    poke(g + L.gen_name, word(spec.code + L.code_name));
    poke(g + L.gen_qualname, word(spec.code + L.code_qualname));
    poke(g + L.gen_frame_state, frame_state);
    FrameSpec embedded = spec;
    embedded.previous = 0;
    place_frame(g + L.gen_iframe, embedded, int8_t(L.frame_owner_generator));
    labels_[g] = "generator:" + text_of(word(spec.code + L.code_name));
    return g;
}

// --- interpreter state ------------------------------------------------------------------------

uint64_t PyHeap::builtins_dict() {
    if (builtins_) return builtins_;
    const std::pair<const char*, uint64_t> names[] = {
        {"type", t.type}, {"object", t.object}, {"str", t.str},      {"bytes", t.bytes},
        {"int", t.int_},  {"bool", t.bool_},    {"float", t.float_}, {"tuple", t.tuple},
        {"list", t.list}, {"dict", t.dict},     {"set", t.set},      {"frozenset", t.frozenset},
    };
    std::vector<std::pair<uint64_t, uint64_t>> items;
    for (const auto& [n, type] : names) items.emplace_back(str(n), type);
    builtins_ = dict(items);
    labels_[builtins_] = "builtins";
    return builtins_;
}

uint64_t PyHeap::interpreter(const InterpreterSpec& spec) {
    const uint64_t interp = raw(L.interp_size);
    if (L.has(L.interp_runtime)) poke(interp + L.interp_runtime, runtime);
    poke<int64_t>(interp + L.interp_id, int64_t(next_interpreter_id_++));
    poke(interp + L.interp_modules, spec.modules);
    poke(interp + L.interp_sysdict, spec.sysdict);
    poke(interp + L.interp_builtins, spec.builtins ? spec.builtins : builtins_dict());
    poke(interp + L.interp_next, word(runtime + L.runtime_interpreters_head));
    poke(runtime + L.runtime_interpreters_head, interp);
    if (!word(runtime + L.runtime_interpreters_main))
        poke(runtime + L.runtime_interpreters_main, interp);
    return interp;
}

uint64_t PyHeap::thread(uint64_t interpreter, uint64_t thread_id) {
    const uint64_t ts = raw(L.tstate_size);
    const uint64_t cframe = raw(kCFrameSize);
    poke(ts + L.tstate_interp, interpreter);
    poke(ts + L.tstate_thread_id, thread_id);
    // Only what the version has: the native id (3.11+), the cframe (3.11, 3.12), the data stack.
    if (L.has(L.tstate_native_thread_id)) poke(ts + L.tstate_native_thread_id, thread_id % 100000);
    if (L.has(L.tstate_cframe)) poke(ts + L.tstate_cframe, cframe);
    if (L.has(L.tstate_datastack_chunk)) poke(ts + L.tstate_datastack_chunk, chunk_for(ts));
    const uint64_t head = word(interpreter + L.interp_threads_head);
    poke(ts + L.tstate_next, head);
    if (head) poke(head + L.tstate_prev, ts);
    poke(interpreter + L.interp_threads_head, ts);
    return ts;
}

uint64_t PyHeap::current_frame(uint64_t thread) const {
    if (!L.has(L.tstate_cframe)) return word(thread + L.tstate_current_frame); // 3.13+
    return word(word(thread + L.tstate_cframe) + L.cframe_current_frame);
}

uint64_t PyHeap::push_frame(uint64_t thread, FrameSpec spec) {
    const uint64_t chunk = chunk_for(thread);
    const uint64_t top = word(chunk + L.chunk_top);
    const uint64_t bytes = frame_bytes(spec.code);
    if (L.chunk_data + 8 * top + bytes > kChunkSize)
        throw std::logic_error("push_frame: data stack is full");
    poke(chunk + L.chunk_top, top + bytes / 8);
    spec.previous = current_frame(thread);
    const uint64_t f =
        place_frame(chunk + L.chunk_data + 8 * top, spec, int8_t(L.frame_owner_thread));
    if (L.has(L.tstate_cframe))
        poke(word(thread + L.tstate_cframe) + L.cframe_current_frame, f);
    else
        poke(thread + L.tstate_current_frame, f);
    return f;
}

// --- names ------------------------------------------------------------------------------------

uint64_t PyHeap::name(uint64_t address, std::string label) {
    labels_[address] = std::move(label);
    return address;
}

std::string PyHeap::text_of(uint64_t str) const {
    auto it = texts_.find(str);
    return it == texts_.end() ? std::string() : it->second;
}

std::string PyHeap::describe(uint64_t address) const {
    if (auto it = labels_.find(address); it != labels_.end()) return it->second;
    if (address == 0) return "NULL";
    if (!memory.mapped(address, 16)) return fmt::format("{:#x}", address);
    auto type = labels_.find(type_of(address));
    return fmt::format("{}@{:#x}", type == labels_.end() ? "?" : type->second, address);
}

} // namespace heapy::test
