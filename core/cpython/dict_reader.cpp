#include "core/cpython/dict_reader.hpp"

#include <algorithm>
#include <array>

namespace heapy::cpython {

// The shared empty keys object (a table of one slot and no entries).
bool DictReader::empty_keys(DictKeys& out) const {
    out.kind = uint8_t(layout_.dict_kind_general);
    out.entry_size = layout_.dictentry_size;
    out.key_offset = layout_.dictentry_key;
    out.value_offset = layout_.dictentry_value;
    out.usable = 0;
    out.entries = out.address + layout_.dictkeys_indices + 8;
    return true;
}

bool DictReader::read_keys(uint64_t keys_address, DictKeys& out) {
    if (keys_address == 0 || (keys_address & 7) != 0) return false;
    out = DictKeys{};
    out.address = keys_address;
    if (!reader_.read(keys_address + layout_.dictkeys_refcnt, out.refcnt) ||
        !reader_.read(keys_address + layout_.dictkeys_usable, out.usable) ||
        !reader_.read(keys_address + layout_.dictkeys_nentries, out.nentries))
        return false;
    uint64_t slots = 0;
    uint64_t index_bytes = 0;
    if (layout_.dict_keys_style == 0) {
        // <= 3.10: dk_size slots, each index as wide as the size needs; entries always general.
        int64_t size = 0;
        if (!reader_.read(keys_address + layout_.dictkeys_size, size)) return false;
        if (size == 1 && out.nentries == 0) return empty_keys(out); // Py_EMPTY_KEYS
        if (size < 8 || size > (int64_t{1} << 30) || (size & (size - 1)) != 0) return false;
        slots = uint64_t(size);
        uint64_t width = slots <= 0xff ? 1 : slots <= 0xffff ? 2 : slots <= 0xffffffffu ? 4 : 8;
        index_bytes = slots * width;
        out.kind = uint8_t(layout_.dict_kind_general);
        while ((uint64_t{1} << out.log2_size) < slots) ++out.log2_size;
        while ((uint64_t{1} << out.log2_index_bytes) < index_bytes) ++out.log2_index_bytes;
    } else {
        if (!reader_.read(keys_address + layout_.dictkeys_log2_size, out.log2_size) ||
            !reader_.read(keys_address + layout_.dictkeys_log2_index_bytes, out.log2_index_bytes) ||
            !reader_.read(keys_address + layout_.dictkeys_kind, out.kind))
            return false;
        if (out.log2_size == 0 && out.nentries == 0) return empty_keys(out); // Py_EMPTY_KEYS
        if (out.log2_size < 3 || out.log2_size > 30 || out.log2_index_bytes > 33) return false;
        // The index width follows from the size (new_keys_object): 1 byte up to 128 slots, 2 up
        // to 2^15, then 4. A table claiming another is corrupt, and its claimed size with it.
        const int width_log2 = out.log2_size < 8 ? 0 : out.log2_size < 16 ? 1 : 2;
        if (out.log2_index_bytes != out.log2_size + width_log2) return false;
        slots = uint64_t{1} << out.log2_size;
        index_bytes = uint64_t{1} << out.log2_index_bytes;
    }
    if (out.nentries < 0 || out.usable < 0) return false;
    // No more entries than the table has room for (USABLE_FRACTION).
    const int64_t capacity = int64_t((slots << 1) / 3);
    if (out.nentries > capacity) {
        out.nentries = capacity;
        out.corrupt = true;
    }
    out.index_bytes = index_bytes;
    out.entries = keys_address + layout_.dictkeys_indices + index_bytes;
    if (out.kind == layout_.dict_kind_general) {
        out.entry_size = layout_.dictentry_size;
        out.key_offset = layout_.dictentry_key;
        out.value_offset = layout_.dictentry_value;
    } else {
        out.entry_size = layout_.dictunicodeentry_size;
        out.key_offset = layout_.dictunicodeentry_key;
        out.value_offset = layout_.dictunicodeentry_value;
    }
    if (out.entry_size == Layout::kAbsent || out.entry_size == 0) return false;
    if (!reader_.readable(keys_address, keys_size(out))) out.corrupt = true;
    return true;
}

uint64_t DictReader::keys_size(const DictKeys& keys) const {
    uint64_t slots = uint64_t{1} << keys.log2_size;
    return layout_.dictkeys_indices + keys.index_bytes + ((slots << 1) / 3) * keys.entry_size;
}

bool DictReader::combined_entries(const DictKeys& keys, std::vector<DictEntry>& out) {
    // In bounded chunks: a corrupt count must not make us allocate or read without end.
    constexpr uint64_t kChunkBytes = 1 << 16;
    const uint64_t per_chunk = std::max<uint64_t>(1, kChunkBytes / keys.entry_size);
    std::vector<std::byte> buffer; // only for tables the reader cannot view in place
    uint32_t position = 0;
    for (uint64_t start = 0; start < uint64_t(keys.nentries); start += per_chunk) {
        const uint64_t n = std::min<uint64_t>(per_chunk, uint64_t(keys.nentries) - start);
        const std::byte* table =
            reader_.view(keys.entries + start * keys.entry_size, n * keys.entry_size);
        if (!table) {
            buffer.resize(per_chunk * keys.entry_size);
            if (!reader_.read_bytes(keys.entries + start * keys.entry_size, buffer.data(),
                                    n * keys.entry_size))
                return false;
            table = buffer.data();
        }
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t key = 0, value = 0;
            std::memcpy(&key, table + i * keys.entry_size + keys.key_offset, 8);
            std::memcpy(&value, table + i * keys.entry_size + keys.value_offset, 8);
            if (key == 0 || value == 0) continue;
            out.push_back({key, value, position++});
        }
    }
    return true;
}

bool DictReader::split_entries(const DictKeys& keys, uint64_t values, std::vector<DictEntry>& out) {
    auto add = [&](uint64_t ix, uint32_t position) {
        uint64_t key = reader_.pointer(keys.entries + ix * keys.entry_size + keys.key_offset);
        const uint64_t first_value =
            layout_.has(layout_.dictvalues_values) ? layout_.dictvalues_values : 0;
        uint64_t value = reader_.pointer(values + first_value + ix * 8);
        if (key != 0 && value != 0) out.push_back({key, value, position});
    };
    if (layout_.split_values_style == 0) {
        // <= 3.10: a plain array in entry order.
        for (int64_t i = 0, position = 0; i < keys.nentries; ++i) {
            if (!reader_.readable(values + uint64_t(i) * 8, 8)) return false;
            size_t before = out.size();
            add(uint64_t(i), uint32_t(position));
            position += out.size() != before;
        }
        return true;
    }
    uint8_t used = 0;
    std::array<uint8_t, 256> order; // insertion order: at most 255 entries (a byte counts them)
    if (layout_.split_values_style == 1) {
        // 3.11/3.12: the bytes before values[0] hold [-1] prefix size, [-2] used count and then,
        // going down, the insertion order.
        if (!reader_.read(values - 2, used) || used > keys.nentries) return false;
        if (used && !reader_.read_bytes(values - 2 - used, order.data(), used)) return false;
        std::reverse(order.begin(), order.begin() + used);
    } else {
        // 3.13: {capacity, size, embedded, valid} then values[capacity], then the order bytes.
        uint8_t capacity = 0;
        if (!reader_.read(values + layout_.dictvalues_capacity, capacity) ||
            !reader_.read(values + layout_.dictvalues_size, used) || used > capacity)
            return false;
        if (used && !reader_.read_bytes(values + layout_.dictvalues_values + uint64_t(capacity) * 8,
                                        order.data(), used))
            return false;
    }
    for (uint32_t i = 0; i < used; ++i) {
        if (order[i] >= keys.nentries) return false;
        add(order[i], i);
    }
    return true;
}

bool DictReader::entries(uint64_t dict, std::vector<DictEntry>& out) {
    out.clear();
    DictKeys keys;
    if (!read_keys(reader_.pointer(dict + layout_.dict_keys), keys)) return false;
    uint64_t values = reader_.pointer(dict + layout_.dict_values);
    const bool whole = values ? split_entries(keys, values, out) : combined_entries(keys, out);
    return whole && !keys.corrupt;
}

uint64_t DictReader::values_allocation_size(const DictKeys& keys, uint64_t values) {
    if (layout_.split_values_style == 2) {
        // 3.13 inline values: the prefix rounded up to a word, then capacity + 1 words.
        uint8_t capacity = 0;
        reader_.read(values + layout_.dictvalues_capacity, capacity);
        return ((uint64_t(capacity) + 7) & ~uint64_t{7}) + (uint64_t(capacity) + 1) * 8;
    }
    uint8_t prefix = 0;
    reader_.read(values - 1, prefix);
    if (keys.nentries > kMaxEntries || keys.usable > kMaxEntries) return prefix;
    return prefix + uint64_t(keys.nentries + keys.usable) * 8;
}

} // namespace heapy::cpython
