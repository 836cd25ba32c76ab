#include "core/cpython/type_cache.hpp"

#include <algorithm>

namespace heapy::cpython {

namespace {
constexpr uint64_t kEntries = 1 << 12; // MCACHE_SIZE_EXP, 3.9 to 3.14
} // namespace

std::vector<uint64_t> type_cache_tables(const Runtime& runtime, const memory::Symbols& symbols) {
    const Layout& l = *runtime.layout;
    std::vector<uint64_t> tables;
    if (l.has(l.interp_type_cache)) {
        for (const Interpreter& interp : runtime.interpreters)
            tables.push_back(interp.address + l.interp_type_cache);
    } else if (auto method_cache = symbols.lookup("method_cache")) {
        tables.push_back(*method_cache);
    }
    return tables;
}

std::vector<uint64_t> type_cache_names(const Runtime& runtime, Reader& reader,
                                       const std::vector<uint64_t>& tables) {
    const Layout& l = *runtime.layout;
    std::vector<uint64_t> names;
    if (!l.has(l.type_cache_entry_name) || !l.has(l.type_cache_entry_size)) return names;
    for (uint64_t table : tables) {
        for (uint64_t i = 0; i < kEntries; ++i) {
            const uint64_t name = reader.pointer(table + i * uint64_t(l.type_cache_entry_size) +
                                                 l.type_cache_entry_name);
            if (name != 0) names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

} // namespace heapy::cpython
