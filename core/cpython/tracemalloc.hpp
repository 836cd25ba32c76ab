#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/cpython/runtime.hpp"
#include "core/memory/symbols.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace heapy::cpython {

// One frame of an allocation's traceback: tracemalloc keeps the file and line only.
struct AllocationFrame {
    std::string file;
    uint32_t line = 0;
};

// Where a memory block was allocated, as tracemalloc recorded it.
struct AllocationTrace {
    uint64_t size = 0;                   // the block's size as requested
    std::vector<AllocationFrame> frames; // most recent call first
    uint32_t total_frames = 0;           // frames the stack had (more than kept when cut)
};

// tracemalloc's table of traced blocks (domain 0: the Python allocators), read from the target:
// 3.12+ keeps it in _PyRuntime.tracemalloc, 3.9 to 3.11 in static variables that only an
// executable with its symbol table names.
class Tracemalloc {
  public:
    Tracemalloc(const Runtime& runtime, ObjectDecoder& decoder, const memory::Symbols& symbols);

    // Why no traces can be had ("" when they can): not tracing, or the table not found.
    const std::string& unavailable() const { return unavailable_; }
    bool tracing() const { return tracing_; }
    size_t traced_blocks() const { return traces_.size(); }

    // Where the block that starts at `block` was allocated, if tracemalloc traced it.
    std::optional<AllocationTrace> trace(uint64_t block);

  private:
    void read_table(uint64_t table);

    ObjectDecoder& decoder_;
    std::string unavailable_;
    bool tracing_ = false;
    std::unordered_map<uint64_t, uint64_t> traces_; // block -> its trace_t
};

// The one line that says how to have allocation sites next time.
extern const char* const kTracemallocHint;

} // namespace heapy::cpython
