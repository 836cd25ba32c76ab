#include "core/cpython/malloc_chunks.hpp"

#include <optional>

namespace heapy::cpython {

namespace {

// glibc malloc (2.26 and later, 64-bit): a chunk's size field and its flags.
constexpr uint64_t kPrevInUse = 1;
constexpr uint64_t kMmapped = 2;
constexpr uint64_t kFlags = 7;
constexpr uint64_t kMinChunk = 32;
constexpr uint64_t kFencepost = 16; // what closes a heap that was given up for a new one
constexpr uint64_t kAlignment = 16;
constexpr uint64_t kPage = 4096;
// A non-main arena's heaps are aligned to HEAP_MAX_SIZE, begin with a heap_info (32 bytes before
// glibc 2.35, 48 after it added pagesize), and the first heap of an arena holds the arena's
// malloc_state (2200 bytes) next.
constexpr uint64_t kHeapMaxSize = uint64_t{64} << 20;
constexpr uint64_t kHeapInfoSizes[] = {48, 32};
constexpr uint64_t kMallocStateSize = 2200;

struct HeapInfo {
    uint64_t arena;
    uint64_t prev;
    uint64_t size;
};

// The first chunk at or after `address` whose memory is 16-byte aligned.
uint64_t chunk_at_or_after(uint64_t address) {
    return ((address + 2 * 8 + kAlignment - 1) & ~(kAlignment - 1)) - 2 * 8;
}

// The in-use chunks of a chain [first, end), or nullopt when the chain does not reach `end`.
std::optional<std::vector<std::pair<uint64_t, uint64_t>>> chain(Reader& reader, uint64_t first,
                                                                uint64_t end) {
    std::vector<std::pair<uint64_t, uint64_t>> in_use;
    uint64_t at = first;
    uint64_t size_field = 0;
    if (!reader.read(at + 8, size_field)) return std::nullopt;
    while (true) {
        const uint64_t size = size_field & ~kFlags;
        if (size == kFencepost || size == 0) break;
        if (size < kMinChunk || size % kAlignment != 0 || (size_field & kMmapped) ||
            at + size > end)
            return std::nullopt;
        if (at + size == end) break; // the top chunk: free
        uint64_t next_field = 0;
        if (!reader.read(at + size + 8, next_field)) return std::nullopt;
        if (next_field & kPrevInUse) in_use.emplace_back(at + 16, size - 8);
        at += size;
        size_field = next_field;
    }
    return in_use;
}

void visit_all(const std::vector<std::pair<uint64_t, uint64_t>>& chunks, ChunkSearch& out,
               const std::function<void(uint64_t, uint64_t)>& visit) {
    for (const auto& [memory, usable] : chunks) {
        ++out.chunks;
        visit(memory, usable);
    }
}

// A non-main arena's heap at `start`, if one is there.
bool visit_arena_heap(Reader& reader, const memory::Region& region, ChunkSearch& out,
                      const std::function<void(uint64_t, uint64_t)>& visit) {
    HeapInfo info;
    if (region.start % kHeapMaxSize != 0 || !reader.read(region.start, info)) return false;
    if (info.size < kPage || info.size > kHeapMaxSize || region.start + info.size > region.end)
        return false;
    for (uint64_t header : kHeapInfoSizes) {
        const uint64_t first = info.arena == region.start + header
                                   ? chunk_at_or_after(region.start + header + kMallocStateSize)
                                   : region.start + header;
        if (auto chunks = chain(reader, first, region.start + info.size)) {
            ++out.heaps;
            visit_all(*chunks, out, visit);
            return true;
        }
    }
    return false;
}

// Chunks malloc mapped on their own: a page that starts with one, its size a whole number of pages.
void visit_mmapped(Reader& reader, const memory::Region& region, ChunkSearch& out,
                   const std::function<void(uint64_t, uint64_t)>& visit) {
    for (uint64_t at = (region.start + kPage - 1) & ~(kPage - 1); at + kPage <= region.end;) {
        uint64_t header[2] = {0, 0};
        if (!reader.read(at, header)) return;
        const uint64_t size = header[1] & ~kFlags;
        if ((header[1] & kFlags) == kMmapped && header[0] == 0 && size >= kPage &&
            size % kPage == 0 && at + size <= region.end) {
            ++out.mmapped;
            ++out.chunks;
            visit(at + 16, size - 16);
            at += size;
        } else {
            at += kPage;
        }
    }
}

} // namespace

ChunkSearch visit_malloc_chunks(Reader& reader, const std::vector<memory::Region>& regions,
                                const std::function<void(uint64_t, uint64_t)>& visit) {
    ChunkSearch out;
    for (const memory::Region& region : regions) {
        const bool anonymous = region.path.empty() || region.path == "[heap]";
        if (!region.writable || !region.readable || !anonymous) continue;
        if (visit_arena_heap(reader, region, out, visit)) continue;
        // The main arena's heap: chunks from the region's start to its end.
        if (region.start % kAlignment == 0) {
            if (auto chunks = chain(reader, region.start, region.end); chunks && !chunks->empty()) {
                ++out.heaps;
                visit_all(*chunks, out, visit);
                continue;
            }
        }
        visit_mmapped(reader, region, out, visit);
    }
    return out;
}

} // namespace heapy::cpython
