// Referents of dicts, lists, tuples, sets and deques.
#include "core/cpython/dict_reader.hpp"
#include "core/cpython/object_decoder.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>
#include <vector>

namespace heapy::cpython {

namespace {
constexpr int64_t kMaxSequence = int64_t{1} << 31;
constexpr int kDequeBlockLength = 64;

// Emits `count` pointers stored contiguously at `items` as `[i]` edges.
// Reports items[0..count) in chunks; stops at the first unreadable chunk, or when the sink has
// seen enough non-objects to call the owner corrupt (a count that runs past the array's end).
void pointer_array(Reader& reader, uint64_t items, int64_t count, EdgeSink& sink) {
    constexpr int64_t kChunk = 256;
    uint64_t buffer[kChunk];
    for (int64_t start = 0; start < count && !sink.saturated(); start += kChunk) {
        int64_t n = std::min(kChunk, count - start);
        if (!reader.read_bytes(items + uint64_t(start) * 8, buffer, size_t(n) * 8)) {
            sink.corrupt();
            return;
        }
        for (int64_t i = 0; i < n; ++i)
            if (buffer[i]) sink.edge(buffer[i], Relation::index_of(uint32_t(start + i)));
    }
}
} // namespace

void ObjectDecoder::dict_items(uint64_t address, EdgeSink& sink, bool owned) {
    (void)owned;
    DictReader dicts(reader_, layout_);
    std::vector<DictEntry> entries = std::move(spare_entries_);
    if (!dicts.entries(address, entries)) sink.corrupt();
    dict_edges(entries, sink);
}

void ObjectDecoder::dict_edges(std::vector<DictEntry>& entries, EdgeSink& sink) {
    for (const DictEntry& entry : entries) {
        sink.edge(entry.key, {RelationKind::DictKey, entry.position, nullptr, 0, false});
        sink.edge(entry.value,
                  {RelationKind::DictValue, entry.position, nullptr, entry.key, false});
    }
    entries.clear();
    spare_entries_ = std::move(entries);
}

void ObjectDecoder::list_items(uint64_t address, EdgeSink& sink) {
    int64_t size = ob_size(address);
    int64_t allocated = 0;
    reader_.read(address + layout_.list_allocated, allocated);
    if (size == 0) return;
    // Like CPython's own traversal, read ob_size items even when `allocated` is wrong.
    if (size < 0 || size > kMaxSequence || size > allocated) sink.corrupt();
    if (size < 0) return;
    pointer_array(reader_, reader_.pointer(address + layout_.list_items),
                  std::min(size, kMaxSequence), sink);
}

void ObjectDecoder::tuple_items(uint64_t address, EdgeSink& sink) {
    int64_t size = ob_size(address);
    if (size < 0 || size > kMaxSequence) sink.corrupt();
    if (size <= 0) return;
    pointer_array(reader_, address + layout_.tuple_items, std::min(size, kMaxSequence), sink);
}

void ObjectDecoder::set_items(uint64_t address, EdgeSink& sink) {
    int64_t mask = 0;
    reader_.read(address + layout_.set_mask, mask);
    uint64_t table = reader_.pointer(address + layout_.set_table);
    const uint64_t entry_size = layout_.set_entry_size;
    if (mask < 0 || mask >= kMaxSequence || ((mask + 1) & mask) != 0 || table == 0 ||
        entry_size > 16) {
        sink.corrupt();
        return;
    }
    constexpr uint64_t kChunk = 1024;
    std::byte buffer[kChunk * 16];
    uint32_t position = 0;
    for (uint64_t start = 0; start <= uint64_t(mask); start += kChunk) {
        const uint64_t n = std::min<uint64_t>(kChunk, uint64_t(mask) + 1 - start);
        if (!reader_.read_bytes(table + start * entry_size, buffer, n * entry_size)) {
            sink.corrupt();
            return;
        }
        for (uint64_t i = 0; i < n && !sink.saturated(); ++i) {
            uint64_t key = 0;
            int64_t hash = 0;
            std::memcpy(&key, buffer + i * entry_size + layout_.set_entry_key, 8);
            std::memcpy(&hash, buffer + i * entry_size + layout_.set_entry_hash, 8);
            // Deleted entries keep the dummy key with hash -1.
            if (key == 0 || hash == -1) continue;
            sink.edge(key, {RelationKind::SetMember, position++, nullptr, 0, false});
        }
    }
}

// A deque's blocks: from leftblock along rightlink to rightblock. Returns how many blocks the
// chain really has, up to what ob_size allows (a corrupt chain can loop or end early).
uint64_t ObjectDecoder::deque_blocks(uint64_t address) {
    int64_t size = ob_size(address);
    int64_t left = 0;
    reader_.read(address + layout_.deque_leftindex, left);
    if (size < 0 || size > kMaxSequence || left < 0 || left >= kDequeBlockLength) return 0;
    const uint64_t claimed = uint64_t(left + size + kDequeBlockLength) / kDequeBlockLength;
    const uint64_t last = reader_.pointer(address + layout_.deque_rightblock);
    uint64_t block = reader_.pointer(address + layout_.deque_leftblock);
    uint64_t blocks = 0;
    std::unordered_set<uint64_t> seen;
    while (block != 0 && blocks < claimed + 1 && seen.insert(block).second) {
        ++blocks;
        if (block == last) break;
        block = reader_.pointer(block + layout_.deque_block_rightlink);
    }
    return std::min(blocks, claimed);
}

void ObjectDecoder::deque_items(uint64_t address, EdgeSink& sink) {
    int64_t size = ob_size(address);
    int64_t index = 0;
    reader_.read(address + layout_.deque_leftindex, index);
    if (size <= 0 || size > kMaxSequence || index < 0 || index >= kDequeBlockLength) return;
    const uint64_t last = reader_.pointer(address + layout_.deque_rightblock);
    uint64_t hops_left = uint64_t(index + size) / kDequeBlockLength + 1;
    uint64_t block = reader_.pointer(address + layout_.deque_leftblock);
    std::unordered_set<uint64_t> seen{block};
    for (int64_t i = 0; i < size && block != 0; ++i) {
        if (uint64_t item = reader_.pointer(block + layout_.deque_block_data + uint64_t(index) * 8))
            sink.edge(item, Relation::index_of(uint32_t(i)));
        if (++index == kDequeBlockLength) {
            // The last block ends the items; a chain longer than ob_size allows is corrupt.
            if (block == last || hops_left-- == 0) return;
            index = 0;
            block = reader_.pointer(block + layout_.deque_block_rightlink);
            if (!seen.insert(block).second) return;
        }
    }
}

// The entries of the split (or inline) values of an instance of `type`, keyed by its type's
// cached keys, in insertion order: nullopt when the keys cannot be read, false when the values
// were not read whole.
std::optional<bool> ObjectDecoder::split_values_entries(uint64_t values, const TypeInfo& type,
                                                        std::vector<DictEntry>& entries) {
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    entries.clear();
    if (!dicts.read_keys(reader_.pointer(type.address + layout_.heaptype_cached_keys), keys))
        return std::nullopt;
    return dicts.split_entries(keys, values, entries);
}

void ObjectDecoder::managed_values_referents(uint64_t values, const TypeInfo& owner_type,
                                             EdgeSink& sink) {
    std::vector<DictEntry> entries = std::move(spare_entries_);
    if (split_values_entries(values, owner_type, entries) == false) sink.corrupt();
    dict_edges(entries, sink);
}

void ObjectDecoder::inline_attribute_edges(uint64_t values, const TypeInfo& type, EdgeSink& sink) {
    std::vector<DictEntry> entries = std::move(spare_entries_);
    split_values_entries(values, type, entries); // a corrupt array is the values node's to report
    for (const DictEntry& entry : entries)
        sink.edge(entry.value, {RelationKind::AttributeKey, 0, nullptr, entry.key, false});
    entries.clear();
    spare_entries_ = std::move(entries);
}

uint64_t ObjectDecoder::managed_values_size(uint64_t values, const TypeInfo& owner_type) {
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (!dicts.read_keys(reader_.pointer(owner_type.address + layout_.heaptype_cached_keys), keys))
        return 0;
    return dicts.values_allocation_size(keys, values);
}

uint64_t ObjectDecoder::dict_lookup(uint64_t dict, std::string_view key) {
    DictReader dicts(reader_, layout_);
    std::vector<DictEntry> entries;
    dicts.entries(dict, entries);
    for (const DictEntry& entry : entries) {
        auto text = read_str(entry.key, key.size() + 1);
        if (text && *text == key) return entry.value;
    }
    return 0;
}

} // namespace heapy::cpython
