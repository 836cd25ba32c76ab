// sys.getsizeof emulation (HEAPY.md section 3): each type's __sizeof__ plus the pre-header.
#include "core/cpython/dict_reader.hpp"
#include "core/cpython/object_decoder.hpp"

#include <algorithm>
#include <cstdlib>

namespace heapy::cpython {

namespace {
constexpr uint64_t kPointer = 8;
constexpr uint64_t kWcharSize = 4;
constexpr uint64_t kOdictNodeSize = 32;
constexpr uint64_t kOpcacheEntrySize = 32; // sizeof(_PyOpcache), 3.9 and 3.10
// No real object has more items than this; a larger count is corrupt memory.
constexpr int64_t kMaxItems = int64_t{1} << 34;

// |n| when it is a plausible item count, else 0 (INT64_MIN has no absolute value).
uint64_t items(int64_t n) {
    if (n < -kMaxItems || n > kMaxItems) return 0;
    return uint64_t(n < 0 ? -n : n);
}

uint64_t round_up_8(uint64_t n) {
    return (n + 7) & ~uint64_t{7};
}
} // namespace

uint64_t ObjectDecoder::preheader(uint64_t address, const TypeInfo& type) {
    const uint64_t gc = (type.flags & kTpFlagHaveGc) ? layout_.gc_head_size : 0;
    const uint64_t preheader_flags =
        uint64_t(layout_.tpflags_managed_dict | layout_.tpflags_managed_weakref);
    switch (layout_.sizeof_rule) {
    case 0: {
        // <= 3.10: only objects the GC tracks; type objects are GC objects only if heap types.
        if (!gc) return 0;
        if (type.kind == Kind::Type) {
            uint64_t flags = 0;
            reader_.read(address + layout_.type_flags, flags);
            return (flags & kTpFlagHeapType) ? gc : 0;
        }
        return gc;
    }
    case 1:
        return gc + (type.has_managed_dict(layout_) ? uint64_t(layout_.preheader_size) : 0);
    case 3:
        // 3.13: nothing for static types whose type is exactly `type`.
        if (type.kind == Kind::Type && !type.heap) {
            uint64_t flags = 0;
            reader_.read(address + layout_.type_flags, flags);
            if (!(flags & kTpFlagHeapType)) return 0;
        }
        [[fallthrough]];
    default:
        return gc + ((type.flags & preheader_flags) ? uint64_t(layout_.preheader_size) : 0);
    }
}

uint64_t ObjectDecoder::dict_keys_size(uint64_t keys_address) {
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    return dicts.read_keys(keys_address, keys) && !keys.corrupt ? dicts.keys_size(keys) : 0;
}

uint64_t ObjectDecoder::dict_size(uint64_t address, const TypeInfo& type) {
    uint64_t size = uint64_t(type.basicsize);
    uint64_t keys_address = reader_.pointer(address + layout_.dict_keys);
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (!dicts.read_keys(keys_address, keys)) return size;
    if (reader_.pointer(address + layout_.dict_values)) {
        uint64_t slots = uint64_t{1} << keys.log2_size;
        uint64_t usable = layout_.dict_keys_style == 0 ? (slots << 1) / 3
                                                       : items(keys.nentries) + items(keys.usable);
        size += usable * kPointer;
    }
    if (keys.refcnt == 1 && !keys.corrupt) size += dicts.keys_size(keys);
    return size;
}

int64_t ObjectDecoder::int_digit_count(uint64_t address) {
    if (layout_.int_tagged) {
        uint64_t tag = 0;
        reader_.read(address + layout_.long_tag, tag);
        return int64_t(tag >> 3);
    }
    return int64_t(item_count(address));
}

uint64_t ObjectDecoder::item_count(uint64_t address) {
    return items(ob_size(address));
}

uint64_t ObjectDecoder::str_size(uint64_t address, const TypeInfo& type) {
    const Layout& l = layout_;
    uint32_t state = 0;
    int64_t length = 0;
    reader_.read(address + l.str_state, state);
    reader_.read(address + l.str_length, length);
    if (length < 0 || length > kMaxItems) length = 0;
    const uint64_t kind = (state >> l.str_kind_shift) & 7;
    const bool compact = (state >> l.str_compact_bit) & 1;
    const bool ascii = (state >> l.str_ascii_bit) & 1;
    uint64_t size = 0;
    uint64_t data = 0;
    if (compact) {
        data = address + (ascii ? l.str_ascii_size : l.str_compact_size);
        size = (data - address) + uint64_t(length + 1) * (ascii ? 1 : kind);
        if (!allocations_.fits(address, type.flags, size)) {
            size_overran_ = true;
            return data - address;
        }
    } else {
        size = l.str_unicode_size;
        data = reader_.pointer(address + l.str_data);
        if (data) size += uint64_t(length + 1) * kind;
    }
    if (l.has(l.str_wstr)) {
        uint64_t wstr = reader_.pointer(address + l.str_wstr);
        const bool ready = kind != 0;
        if (wstr && (!ready || wstr != data)) {
            int64_t wlength = length;
            if (!(compact && ascii)) reader_.read(address + l.str_wstr_length, wlength);
            size += (items(wlength) + 1) * kWcharSize;
        }
    }
    if (!(compact && ascii)) {
        uint64_t utf8 = reader_.pointer(address + l.str_utf8);
        if (utf8 && utf8 != data) {
            int64_t utf8_length = 0;
            reader_.read(address + l.str_utf8_length, utf8_length);
            size += items(utf8_length) + 1;
        }
    }
    return size;
}

uint64_t ObjectDecoder::code_size(uint64_t address, const TypeInfo& type) {
    uint64_t size = 0;
    if (layout_.frames_are_objects) {
        // <= 3.10: a fixed-size object, plus cell-to-argument map and opcode cache.
        size = uint64_t(type.basicsize);
        uint64_t cellvars = reader_.pointer(address + layout_.code_cellvars);
        if (reader_.pointer(address + layout_.code_cell2arg) && cellvars)
            size += items(std::max<int64_t>(ob_size(cellvars), 0)) * kPointer;
        // The opcode cache, once made: a byte per code unit and the cache entries.
        if (layout_.has(layout_.code_opcache) && reader_.pointer(address + layout_.code_opcache)) {
            uint8_t entries = 0;
            reader_.read(address + layout_.code_opcache_size, entries);
            const uint64_t code = reader_.pointer(address + layout_.code_code);
            size += item_count(code) / 2 + uint64_t(entries) * kOpcacheEntrySize;
        }
    } else {
        // 3.11+: the code units follow the header.
        size = round_up_8(uint64_t(type.basicsize) + item_count(address) * uint64_t(type.itemsize));
        if (!allocations_.fits(address, type.flags, size)) {
            size_overran_ = true;
            size = uint64_t(type.basicsize);
        }
    }
    if (uint64_t extra = reader_.pointer(address + layout_.code_extra)) {
        int64_t count = 0;
        if (reader_.read(extra + layout_.code_extra_size, count) && count > 0 && count < (1 << 16))
            size += kPointer + uint64_t(count) * kPointer; // _PyCodeObjectExtra + (ce_size-1) more
    }
    return size;
}

// <= 3.10: sizeof(PyFrameObject) + (stack + locals + cells + frees - 1) pointers.
uint64_t ObjectDecoder::old_frame_size(uint64_t address) {
    uint64_t code = reader_.pointer(address + layout_.frame_code);
    int32_t nlocals = 0, stacksize = 0;
    reader_.read(code + layout_.code_nlocals, nlocals);
    reader_.read(code + layout_.code_stacksize, stacksize);
    int64_t cells = int64_t(item_count(reader_.pointer(code + layout_.code_cellvars)));
    int64_t frees = int64_t(item_count(reader_.pointer(code + layout_.code_freevars)));
    int64_t extras = int64_t(std::max(nlocals, 0)) + std::max(stacksize, 0) + cells + frees;
    return layout_.frame_size +
           uint64_t(std::clamp<int64_t>(extras - 1, 0, int64_t{1} << 24)) * kPointer;
}

uint64_t ObjectDecoder::size(uint64_t address, const TypeInfo& type) {
    const Layout& l = layout_;
    size_overran_ = false;
    uint64_t body = 0;
    switch (type.kind) {
    case Kind::Int:
    case Kind::Bool: {
        int64_t digits = int_digit_count(address);
        body = l.long_digits +
               uint64_t(std::clamp<int64_t>(digits, l.int_min_digits, int64_t{1} << 32)) * 4;
        break;
    }
    case Kind::Str:
        body = str_size(address, type);
        break;
    case Kind::List: {
        int64_t allocated = 0;
        reader_.read(address + l.list_allocated, allocated);
        body = uint64_t(type.basicsize);
        // Count the item array only if it is really there.
        if (allocated > 0 && allocated <= kMaxItems &&
            reader_.readable(reader_.pointer(address + l.list_items) +
                                 uint64_t(allocated - 1) * kPointer,
                             kPointer))
            body += uint64_t(allocated) * kPointer;
        break;
    }
    case Kind::Dict:
    case Kind::DefaultDict:
        body = dict_size(address, type);
        break;
    case Kind::OrderedDict: {
        body = dict_size(address, type);
        int64_t fast_nodes = 0, used = 0;
        reader_.read(address + l.odict_fast_nodes_size, fast_nodes);
        reader_.read(address + l.dict_used, used);
        body += items(std::max<int64_t>(fast_nodes, 0)) * kPointer;
        if (used > 0) body += kOdictNodeSize * items(used);
        break;
    }
    case Kind::Set:
    case Kind::FrozenSet: {
        body = uint64_t(type.basicsize);
        int64_t mask = 0;
        reader_.read(address + l.set_mask, mask);
        const uint64_t table = reader_.pointer(address + l.set_table);
        if (table != address + l.set_smalltable && mask > 0 && mask < kMaxItems &&
            (mask & (mask + 1)) == 0 &&
            reader_.readable(table + uint64_t(mask) * l.set_entry_size, l.set_entry_size))
            body += uint64_t(mask + 1) * l.set_entry_size;
        break;
    }
    case Kind::Type: {
        uint64_t flags = 0;
        reader_.read(address + l.type_flags, flags);
        if (flags & kTpFlagHeapType) {
            body = l.heaptype_size;
            if (uint64_t keys = reader_.pointer(address + l.heaptype_cached_keys))
                body += dict_keys_size(keys);
        } else {
            body = l.type_size;
        }
        break;
    }
    case Kind::Code:
        body = code_size(address, type);
        break;
    case Kind::Frame: {
        if (l.frames_are_objects) {
            body = old_frame_size(address);
            break;
        }
        uint64_t frame = reader_.pointer(address + l.frame_frame);
        uint64_t code = frame ? frame_code(frame) : 0;
        body = l.frame_data + (code ? frame_data_size(code) : l.iframe_localsplus);
        break;
    }
    case Kind::Generator:
    case Kind::Coroutine:
    case Kind::AsyncGenerator: {
        if (l.frames_are_objects) { // <= 3.10: the frame is an object of its own
            body = uint64_t(type.basicsize);
            break;
        }
        uint64_t code = l.has(l.gen_code) ? reader_.pointer(address + l.gen_code)
                                          : frame_code(address + l.gen_iframe);
        body = l.gen_iframe + (code ? frame_data_size(code) : l.iframe_localsplus);
        break;
    }
    case Kind::ByteArray: {
        int64_t allocated = 0;
        reader_.read(address + l.bytearray_alloc, allocated);
        body = uint64_t(type.basicsize);
        const uint64_t buffer = reader_.pointer(address + l.bytearray_bytes);
        if (allocated > 0 && allocated <= kMaxItems && buffer) {
            if (reader_.readable(buffer + uint64_t(allocated) - 1, 1))
                body += uint64_t(allocated);
            else
                size_overran_ = true;
        }
        break;
    }
    case Kind::Deque: {
        int64_t left = 0;
        reader_.read(address + l.deque_leftindex, left);
        body = uint64_t(type.basicsize) + deque_blocks(address) * l.deque_block_size;
        break;
    }
    default:
        body = uint64_t(type.basicsize);
        if (type.itemsize > 0) {
            int64_t n = ob_size(address);
            if (n > 0) body += items(n) * uint64_t(type.itemsize);
        }
        break;
    }
    // A length field that claims more memory than the object's allocation has (a corrupt
    // header) is not believed: the object is counted as unreadable and sized by its fixed part
    // only.
    if (inline_items(type) && body > uint64_t(type.basicsize) &&
        !allocations_.fits(address, type.flags, body)) {
        size_overran_ = true;
        body = uint64_t(type.basicsize);
    }
    if (type.recipe && type.recipe->size)
        if (auto own = recipe_size(address, type, body)) body = *own;
    return body + preheader(address, type);
}

// Whether the object's items (digits, characters, bytes, pointers, code units) follow its header
// in one allocation, so that its size says how much memory must be there.
bool ObjectDecoder::inline_items(const TypeInfo& type) const {
    switch (type.kind) {
    case Kind::Int:
    case Kind::Bool:
        return true;
    case Kind::Code: // its co_extra is elsewhere: code_size checks its code units itself
    case Kind::Str:  // str_size checks the characters of a compact string itself
    case Kind::List:
    case Kind::Dict:
    case Kind::DefaultDict:
    case Kind::OrderedDict:
    case Kind::Set:
    case Kind::FrozenSet:
    case Kind::Type:
    case Kind::Frame:
    case Kind::Generator:
    case Kind::Coroutine:
    case Kind::AsyncGenerator:
    case Kind::ByteArray:
    case Kind::Deque:
        return false;
    default:
        return type.itemsize > 0;
    }
}

} // namespace heapy::cpython
