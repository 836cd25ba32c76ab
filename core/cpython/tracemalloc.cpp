#include "core/cpython/tracemalloc.hpp"

namespace heapy::cpython {

namespace {

// Python/hashtable.c and Python/tracemalloc.c, 3.9 to 3.14 (64-bit): the same in every version.
struct HashTable {
    uint64_t nentries;
    uint64_t nbuckets;
    uint64_t buckets; // nbuckets list heads
};
struct HashEntry {
    uint64_t next;
    uint64_t key_hash;
    uint64_t key;
    uint64_t value;
};
struct Trace {
    uint64_t size;
    uint64_t traceback;
};
struct TracebackHeader {
    uint64_t hash;
    uint16_t nframe;
    uint16_t total_nframe;
};
constexpr uint64_t kTracebackFrames = 12; // frames follow the header, packed to 4 bytes
constexpr uint64_t kFrameSize = 12;       // a PyObject *filename and an unsigned lineno
constexpr uint64_t kMaxEntries = uint64_t{1} << 28;
constexpr uint64_t kMaxBuckets = uint64_t{1} << 30;
constexpr size_t kMaxPath = 1 << 12;

} // namespace

const char* const kTracemallocHint =
    "To see where objects were allocated, run the program with PYTHONTRACEMALLOC=25 (or call "
    "tracemalloc.start(25) early).";

Tracemalloc::Tracemalloc(const Runtime& runtime, ObjectDecoder& decoder,
                         const memory::Symbols& symbols)
    : decoder_(decoder) {
    const Layout& l = *runtime.layout;
    Reader& reader = decoder.reader();
    uint64_t tracing_at = 0, table_at = 0;
    if (l.has(l.runtime_tracemalloc_traces) && l.has(l.runtime_tracemalloc_tracing)) {
        tracing_at = runtime.address + l.runtime_tracemalloc_tracing;
        table_at = runtime.address + l.runtime_tracemalloc_traces;
    } else if (auto config = symbols.lookup("_Py_tracemalloc_config")) {
        tracing_at = *config + 4; // struct _PyTraceMalloc_Config {initialized; tracing; ...}
        table_at = symbols.lookup("tracemalloc_traces").value_or(0);
    }
    int32_t tracing = 0;
    if (tracing_at == 0 || !reader.read(tracing_at, tracing)) {
        unavailable_ = "tracemalloc's state cannot be found in this CPython";
        return;
    }
    if (!tracing) {
        unavailable_ = "tracemalloc was not tracing in this process";
        return;
    }
    tracing_ = true;
    if (table_at == 0) {
        unavailable_ = "tracemalloc was tracing, but its table of traces is a static variable and "
                       "this executable has no symbol table to find it by (a stripped build; 3.12+ "
                       "keeps it where heapy finds it)";
        return;
    }
    read_table(reader.pointer(table_at));
}

void Tracemalloc::read_table(uint64_t table) {
    Reader& reader = decoder_.reader();
    HashTable header;
    if (table == 0 || !reader.read(table, header) || header.nentries > kMaxEntries ||
        header.nbuckets > kMaxBuckets) {
        unavailable_ = "tracemalloc's table of traces cannot be read";
        return;
    }
    traces_.reserve(header.nentries);
    for (uint64_t bucket = 0; bucket < header.nbuckets; ++bucket) {
        uint64_t entry_at = reader.pointer(header.buckets + bucket * 8);
        for (uint64_t hops = 0; entry_at != 0 && hops <= header.nentries; ++hops) {
            HashEntry entry;
            if (!reader.read(entry_at, entry)) break;
            traces_.emplace(entry.key, entry.value);
            entry_at = entry.next;
        }
    }
}

std::optional<AllocationTrace> Tracemalloc::trace(uint64_t block) {
    auto it = traces_.find(block);
    if (it == traces_.end()) return std::nullopt;
    Reader& reader = decoder_.reader();
    Trace trace;
    TracebackHeader header;
    if (!reader.read(it->second, trace) || !reader.read(trace.traceback, header))
        return std::nullopt;
    AllocationTrace out;
    out.size = trace.size;
    out.total_frames = header.total_nframe;
    for (uint16_t i = 0; i < header.nframe; ++i) {
        const uint64_t frame = trace.traceback + kTracebackFrames + i * kFrameSize;
        uint64_t filename = 0;
        uint32_t line = 0;
        if (!reader.read(frame, filename) || !reader.read(frame + 8, line)) break;
        out.frames.push_back({decoder_.read_str(filename, kMaxPath).value_or("?"), line});
    }
    return out;
}

} // namespace heapy::cpython
