#include "core/cpython/dict_reader.hpp"

namespace heapy::cpython {

bool DictReader::read_keys(uint64_t keys_address, DictKeys& out) {
    if (keys_address == 0 || (keys_address & 7) != 0) return false;
    out = DictKeys{};
    out.address = keys_address;
    if (!reader_.read(keys_address + layout_.dictkeys_refcnt, out.refcnt) ||
        !reader_.read(keys_address + layout_.dictkeys_log2_size, out.log2_size) ||
        !reader_.read(keys_address + layout_.dictkeys_log2_index_bytes, out.log2_index_bytes) ||
        !reader_.read(keys_address + layout_.dictkeys_kind, out.kind) ||
        !reader_.read(keys_address + layout_.dictkeys_usable, out.usable) ||
        !reader_.read(keys_address + layout_.dictkeys_nentries, out.nentries))
        return false;
    if (out.log2_size < 3 || out.log2_size > 30 || out.log2_index_bytes > 33 || out.nentries < 0 ||
        out.usable < 0 || out.nentries > (int64_t{1} << out.log2_size))
        return false;
    out.entries = keys_address + layout_.dictkeys_indices + (uint64_t{1} << out.log2_index_bytes);
    if (out.kind == layout_.dict_kind_general) {
        out.entry_size = layout_.dictentry_size;
        out.key_offset = layout_.dictentry_key;
        out.value_offset = layout_.dictentry_value;
    } else {
        out.entry_size = layout_.dictunicodeentry_size;
        out.key_offset = layout_.dictunicodeentry_key;
        out.value_offset = layout_.dictunicodeentry_value;
    }
    return true;
}

bool DictReader::combined_entries(const DictKeys& keys, std::vector<DictEntry>& out) {
    const uint64_t bytes = uint64_t(keys.nentries) * keys.entry_size;
    const std::byte* table = reader_.view(keys.entries, bytes);
    std::vector<std::byte> copy;
    if (!table && bytes != 0) {
        copy.resize(bytes);
        if (!reader_.read_bytes(keys.entries, copy.data(), bytes)) return false;
        table = copy.data();
    }
    uint32_t position = 0;
    for (int64_t i = 0; i < keys.nentries; ++i) {
        uint64_t key = 0, value = 0;
        std::memcpy(&key, table + i * keys.entry_size + keys.key_offset, 8);
        std::memcpy(&value, table + i * keys.entry_size + keys.value_offset, 8);
        if (key == 0 || value == 0) continue;
        out.push_back({key, value, position++});
    }
    return true;
}

bool DictReader::split_entries(const DictKeys& keys, uint64_t values, std::vector<DictEntry>& out) {
    // 3.11/3.12: the bytes before values[0] hold [-1] prefix size, [-2] used count and then, going
    // down, the insertion order.
    uint8_t used = 0;
    if (!reader_.read(values - 2, used) || used > keys.nentries) return false;
    std::vector<uint8_t> order(used);
    if (used && !reader_.read_bytes(values - 2 - used, order.data(), used)) return false;
    for (uint32_t i = 0; i < used; ++i) {
        uint8_t ix = order[used - 1 - i]; // order[-3 - i] counted from values
        if (ix >= keys.nentries) return false;
        uint64_t key = reader_.pointer(keys.entries + uint64_t(ix) * keys.entry_size + keys.key_offset);
        uint64_t value = reader_.pointer(values + layout_.dictvalues_values + uint64_t(ix) * 8);
        if (key == 0 || value == 0) continue;
        out.push_back({key, value, i});
    }
    return true;
}

bool DictReader::entries(uint64_t dict, std::vector<DictEntry>& out) {
    out.clear();
    DictKeys keys;
    if (!read_keys(reader_.pointer(dict + layout_.dict_keys), keys)) return false;
    uint64_t values = reader_.pointer(dict + layout_.dict_values);
    return values ? split_entries(keys, values, out) : combined_entries(keys, out);
}

uint64_t DictReader::values_allocation_size(const DictKeys& keys, uint64_t values) {
    uint8_t prefix = 0;
    reader_.read(values - 1, prefix);
    return prefix + uint64_t(keys.nentries + keys.usable) * 8;
}

} // namespace heapy::cpython
