// sys.getsizeof emulation (HEAPY.md section 3): each type's __sizeof__ plus the pre-header.
#include "core/cpython/dict_reader.hpp"
#include "core/cpython/object_decoder.hpp"

#include <cstdlib>

namespace heapy::cpython {

namespace {
constexpr uint64_t kPointer = 8;
constexpr uint64_t kWcharSize = 4;
constexpr uint64_t kOdictNodeSize = 32;
constexpr int64_t kDequeBlockLength = 64;

uint64_t round_up_8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }
} // namespace

uint64_t ObjectDecoder::preheader(const TypeInfo& type) const {
    uint64_t size = 0;
    if (type.flags & kTpFlagHaveGc) size += layout_.gc_head_size;
    if (type.has_managed_dict(layout_)) size += uint64_t(layout_.preheader_size);
    return size;
}

uint64_t ObjectDecoder::dict_keys_size(uint64_t keys_address) {
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (!dicts.read_keys(keys_address, keys)) return 0;
    uint64_t size = uint64_t{1} << keys.log2_size;
    return layout_.dictkeys_indices + (uint64_t{1} << keys.log2_index_bytes) + ((size << 1) / 3) * keys.entry_size;
}

uint64_t ObjectDecoder::dict_size(uint64_t address, const TypeInfo& type) {
    uint64_t size = uint64_t(type.basicsize);
    uint64_t keys_address = reader_.pointer(address + layout_.dict_keys);
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (!dicts.read_keys(keys_address, keys)) return size;
    if (reader_.pointer(address + layout_.dict_values)) size += uint64_t(keys.nentries + keys.usable) * kPointer;
    if (keys.refcnt == 1) size += dict_keys_size(keys_address);
    return size;
}

uint64_t ObjectDecoder::str_size(uint64_t address) {
    const Layout& l = layout_;
    uint32_t state = 0;
    int64_t length = 0;
    reader_.read(address + l.str_state, state);
    reader_.read(address + l.str_length, length);
    if (length < 0) length = 0;
    const uint64_t kind = (state >> l.str_kind_shift) & 7;
    const bool compact = (state >> l.str_compact_bit) & 1;
    const bool ascii = (state >> l.str_ascii_bit) & 1;
    uint64_t size = 0;
    uint64_t data = 0;
    if (compact && ascii) {
        size = l.str_ascii_size + uint64_t(length) + 1;
        data = address + l.str_ascii_size;
    } else if (compact) {
        size = l.str_compact_size + uint64_t(length + 1) * kind;
        data = address + l.str_compact_size;
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
            size += uint64_t(wlength + 1) * kWcharSize;
        }
    }
    if (!(compact && ascii)) {
        uint64_t utf8 = reader_.pointer(address + l.str_utf8);
        if (utf8 && utf8 != data) {
            int64_t utf8_length = 0;
            reader_.read(address + l.str_utf8_length, utf8_length);
            size += uint64_t(utf8_length) + 1;
        }
    }
    return size;
}

uint64_t ObjectDecoder::code_size(uint64_t address, const TypeInfo& type) {
    uint64_t size = round_up_8(uint64_t(type.basicsize) + uint64_t(std::abs(ob_size(address))) * uint64_t(type.itemsize));
    if (uint64_t extra = reader_.pointer(address + layout_.code_extra)) {
        int64_t count = 0;
        if (reader_.read(extra + layout_.code_extra_size, count) && count > 0 && count < (1 << 16))
            size += kPointer + uint64_t(count) * kPointer; // _PyCodeObjectExtra + (ce_size-1) more
    }
    return size;
}

uint64_t ObjectDecoder::size(uint64_t address, const TypeInfo& type) {
    const Layout& l = layout_;
    uint64_t body = 0;
    switch (type.kind) {
    case Kind::Int:
    case Kind::Bool: {
        int64_t digits = std::abs(ob_size(address));
        body = l.long_digits + uint64_t(std::max<int64_t>(digits, 1)) * 4;
        break;
    }
    case Kind::Str:
        body = str_size(address);
        break;
    case Kind::List: {
        int64_t allocated = 0;
        reader_.read(address + l.list_allocated, allocated);
        body = uint64_t(type.basicsize) + uint64_t(std::max<int64_t>(allocated, 0)) * kPointer;
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
        body += uint64_t(std::max<int64_t>(fast_nodes, 0)) * kPointer;
        if (used > 0) body += kOdictNodeSize * uint64_t(used);
        break;
    }
    case Kind::Set:
    case Kind::FrozenSet: {
        body = uint64_t(type.basicsize);
        int64_t mask = 0;
        reader_.read(address + l.set_mask, mask);
        if (reader_.pointer(address + l.set_table) != address + l.set_smalltable && mask > 0)
            body += uint64_t(mask + 1) * l.set_entry_size;
        break;
    }
    case Kind::Type: {
        uint64_t flags = 0;
        reader_.read(address + l.type_flags, flags);
        if (flags & kTpFlagHeapType) {
            body = l.heaptype_size;
            if (uint64_t keys = reader_.pointer(address + l.heaptype_cached_keys)) body += dict_keys_size(keys);
        } else {
            body = l.type_size;
        }
        break;
    }
    case Kind::Code:
        body = code_size(address, type);
        break;
    case Kind::Frame: {
        uint64_t frame = reader_.pointer(address + l.frame_frame);
        uint64_t code = frame ? reader_.pointer(frame + l.iframe_code) & ~uint64_t{3} : 0;
        body = l.frame_data + (code ? frame_data_size(code) : l.iframe_localsplus);
        break;
    }
    case Kind::Generator:
    case Kind::Coroutine:
    case Kind::AsyncGenerator: {
        uint64_t code = l.has(l.gen_code) ? reader_.pointer(address + l.gen_code)
                                          : reader_.pointer(address + l.gen_iframe + l.iframe_code) & ~uint64_t{3};
        body = l.gen_iframe + (code ? frame_data_size(code) : l.iframe_localsplus);
        break;
    }
    case Kind::ByteArray: {
        int64_t allocated = 0;
        reader_.read(address + l.bytearray_alloc, allocated);
        body = uint64_t(type.basicsize) + uint64_t(std::max<int64_t>(allocated, 0));
        break;
    }
    case Kind::Deque: {
        int64_t left = 0;
        reader_.read(address + l.deque_leftindex, left);
        int64_t blocks = (left + std::max<int64_t>(ob_size(address), 0) + kDequeBlockLength) / kDequeBlockLength;
        body = uint64_t(type.basicsize) + uint64_t(std::max<int64_t>(blocks, 0)) * l.deque_block_size;
        break;
    }
    default:
        body = uint64_t(type.basicsize);
        if (type.itemsize > 0) {
            int64_t items = ob_size(address);
            if (items > 0 && items < (int64_t{1} << 40)) body += uint64_t(items) * uint64_t(type.itemsize);
        }
        break;
    }
    return body + preheader(type);
}

} // namespace heapy::cpython
