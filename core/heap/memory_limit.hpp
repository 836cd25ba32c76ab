#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace heapy::heap {

// How much memory the analysis of one target may hold (its graph, index and tables): the
// environment's HEAPY_MEMORY_LIMIT (bytes, or with a K, M, G or T suffix), else half of this
// machine's physical memory. A walk that would need more stops with a clear error instead of
// taking the debugger down with it.
uint64_t analysis_memory_limit();

// "16G" -> 17179869184; nullopt when `text` is not a size.
std::optional<uint64_t> parse_byte_size(std::string_view text);

} // namespace heapy::heap
