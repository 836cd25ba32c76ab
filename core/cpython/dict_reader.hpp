#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"

#include <cstdint>
#include <vector>

namespace heapy::cpython {

// A dict's keys object, checked against sanity limits.
struct DictKeys {
    uint64_t address = 0;
    int64_t refcnt = 0;
    uint8_t log2_size = 0;
    uint8_t log2_index_bytes = 0;
    uint8_t kind = 0;
    int64_t usable = 0;
    int64_t nentries = 0;
    uint64_t index_bytes = 0;
    uint64_t entries = 0; // address of entry 0
    uint32_t entry_size = 0;
    uint32_t key_offset = 0;
    uint32_t value_offset = 0;
    // A count beyond what the table holds (clamped) or a table not all in readable memory.
    bool corrupt = false;
};

// One live entry of a dict, in iteration order.
struct DictEntry {
    uint64_t key = 0;
    uint64_t value = 0;
    uint32_t position = 0; // iteration position (for `.keys()[n]`)
};

// Reads dicts, split dicts and the inline values of managed-dict instances, per version.
class DictReader {
  public:
    DictReader(Reader& reader, const Layout& layout) : reader_(reader), layout_(layout) {}

    bool read_keys(uint64_t keys_address, DictKeys& out);
    // What _PyDict_KeysSize says a keys object occupies.
    uint64_t keys_size(const DictKeys& keys) const;

    // The live entries of the dict at `dict`, appended to `out` (cleared first). False when the
    // dict could not be read in whole (unreadable or corrupt); `out` then holds what was read.
    bool entries(uint64_t dict, std::vector<DictEntry>& out);
    // Entries of a values array `values` that uses the shared `keys` (split dicts and instances).
    bool split_entries(const DictKeys& keys, uint64_t values, std::vector<DictEntry>& out);
    // Size in bytes of the values array (what the allocation really occupies).
    uint64_t values_allocation_size(const DictKeys& keys, uint64_t values);

    static constexpr int64_t kMaxEntries = int64_t{1} << 30;

  private:
    bool empty_keys(DictKeys& out) const;
    bool combined_entries(const DictKeys& keys, std::vector<DictEntry>& out);

    Reader& reader_;
    const Layout& layout_;
};

} // namespace heapy::cpython
