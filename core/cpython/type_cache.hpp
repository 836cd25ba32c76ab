#pragma once

#include "core/cpython/reader.hpp"
#include "core/cpython/runtime.hpp"
#include "core/memory/symbols.hpp"

#include <cstdint>
#include <vector>

namespace heapy::cpython {

// Where each interpreter keeps its type attribute cache (3.9: the one static method_cache, found
// by its symbol; none when it cannot be found).
std::vector<uint64_t> type_cache_tables(const Runtime& runtime, const memory::Symbols& symbols);

// The attribute names the caches hold a reference to: strs that neither heapy's root nor guppy's
// reaches, alive only because a cache entry still names them.
std::vector<uint64_t> type_cache_names(const Runtime& runtime, Reader& reader,
                                       const std::vector<uint64_t>& tables);

} // namespace heapy::cpython
