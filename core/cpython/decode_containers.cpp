// Referents of dicts, lists, tuples, sets and deques.
#include "core/cpython/dict_reader.hpp"
#include "core/cpython/object_decoder.hpp"

#include <vector>

namespace heapy::cpython {

namespace {
constexpr int64_t kMaxSequence = int64_t{1} << 31;
constexpr int kDequeBlockLength = 64;

// Emits `count` pointers stored contiguously at `items` as `[i]` edges.
void pointer_array(Reader& reader, uint64_t items, int64_t count, EdgeSink& sink) {
    constexpr int64_t kChunk = 4096;
    uint64_t buffer[kChunk];
    for (int64_t start = 0; start < count; start += kChunk) {
        int64_t n = std::min(kChunk, count - start);
        if (!reader.read_bytes(items + uint64_t(start) * 8, buffer, size_t(n) * 8)) return;
        for (int64_t i = 0; i < n; ++i)
            if (buffer[i]) sink.edge(buffer[i], Relation::index_of(uint32_t(start + i)));
    }
}
} // namespace

void ObjectDecoder::dict_items(uint64_t address, EdgeSink& sink, bool owned) {
    (void)owned;
    DictReader dicts(reader_, layout_);
    std::vector<DictEntry> entries;
    dicts.entries(address, entries);
    for (const DictEntry& entry : entries) {
        sink.edge(entry.key, {RelationKind::DictKey, entry.position, nullptr, 0, false});
        sink.edge(entry.value, {RelationKind::DictValue, entry.position, nullptr, entry.key, false});
    }
}

void ObjectDecoder::list_items(uint64_t address, EdgeSink& sink) {
    int64_t size = ob_size(address);
    int64_t allocated = 0;
    reader_.read(address + layout_.list_allocated, allocated);
    if (size <= 0 || size > kMaxSequence || size > allocated) return;
    pointer_array(reader_, reader_.pointer(address + layout_.list_items), size, sink);
}

void ObjectDecoder::tuple_items(uint64_t address, EdgeSink& sink) {
    int64_t size = ob_size(address);
    if (size <= 0 || size > kMaxSequence) return;
    pointer_array(reader_, address + layout_.tuple_items, size, sink);
}

void ObjectDecoder::set_items(uint64_t address, EdgeSink& sink) {
    int64_t mask = 0;
    reader_.read(address + layout_.set_mask, mask);
    uint64_t table = reader_.pointer(address + layout_.set_table);
    if (mask < 0 || mask >= kMaxSequence || ((mask + 1) & mask) != 0 || table == 0) return;
    const uint64_t entry_size = layout_.set_entry_size;
    uint32_t position = 0;
    std::vector<std::byte> copy;
    const std::byte* entries = reader_.view(table, uint64_t(mask + 1) * entry_size);
    if (!entries) {
        copy.resize(uint64_t(mask + 1) * entry_size);
        if (!reader_.read_bytes(table, copy.data(), copy.size())) return;
        entries = copy.data();
    }
    for (int64_t i = 0; i <= mask; ++i) {
        uint64_t key = 0;
        int64_t hash = 0;
        std::memcpy(&key, entries + i * entry_size + layout_.set_entry_key, 8);
        std::memcpy(&hash, entries + i * entry_size + layout_.set_entry_hash, 8);
        // Deleted entries keep the dummy key with hash -1.
        if (key == 0 || hash == -1) continue;
        sink.edge(key, {RelationKind::SetMember, position++, nullptr, 0, false});
    }
}

void ObjectDecoder::deque_items(uint64_t address, EdgeSink& sink) {
    int64_t size = ob_size(address);
    int64_t index = 0;
    reader_.read(address + layout_.deque_leftindex, index);
    uint64_t block = reader_.pointer(address + layout_.deque_leftblock);
    if (size <= 0 || size > kMaxSequence || index < 0 || index >= kDequeBlockLength) return;
    for (int64_t i = 0; i < size && block != 0; ++i) {
        if (uint64_t item = reader_.pointer(block + layout_.deque_block_data + uint64_t(index) * 8))
            sink.edge(item, Relation::index_of(uint32_t(i)));
        if (++index == kDequeBlockLength) {
            index = 0;
            block = reader_.pointer(block + layout_.deque_block_rightlink);
        }
    }
}

void ObjectDecoder::managed_values_referents(uint64_t values, const TypeInfo& owner_type, EdgeSink& sink) {
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (!dicts.read_keys(reader_.pointer(owner_type.address + layout_.heaptype_cached_keys), keys)) return;
    std::vector<DictEntry> entries;
    dicts.split_entries(keys, values, entries);
    for (const DictEntry& entry : entries) {
        sink.edge(entry.key, {RelationKind::DictKey, entry.position, nullptr, 0, false});
        sink.edge(entry.value, {RelationKind::DictValue, entry.position, nullptr, entry.key, false});
    }
}

uint64_t ObjectDecoder::managed_values_size(uint64_t values, const TypeInfo& owner_type) {
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (!dicts.read_keys(reader_.pointer(owner_type.address + layout_.heaptype_cached_keys), keys)) return 0;
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
