// The allocators' blocks that `heapy leaks` looks into, from hand-built images: pymalloc pools
// found by their headers (free lists subtracted, look-alikes refused) and glibc malloc's chunks.
#include "tests/unit/support/memory_image.hpp"

#include "core/cpython/malloc_chunks.hpp"
#include "core/cpython/pymalloc_pools.hpp"

#include <catch2/catch.hpp>

#include <vector>

using heapy::cpython::Reader;
using heapy::test::MemoryImage;

namespace {

constexpr uint64_t kPoolSize = 16384;
constexpr uint64_t kArena = 0x7f0000000000;

struct Block {
    uint64_t address;
    uint64_t size;
    bool operator==(const Block&) const = default;
};

// A pool of 64-byte blocks: `handed_out` blocks below nextoffset, of which `free` are on the
// free list (chained in that order).
void put_pool(MemoryImage& m, uint64_t pool, uint32_t handed_out, const std::vector<int>& free) {
    const uint64_t block = 64;
    m.put<uint32_t>(pool, uint32_t(handed_out - free.size())); // count
    m.put<uint64_t>(pool + 8, free.empty() ? 0 : pool + 48 + free[0] * block);
    for (size_t i = 0; i < free.size(); ++i)
        m.put<uint64_t>(pool + 48 + free[i] * block,
                        i + 1 < free.size() ? pool + 48 + free[i + 1] * block : 0);
    m.put<uint32_t>(pool + 36, 3); // szidx: 64-byte blocks
    m.put<uint32_t>(pool + 40, uint32_t(48 + handed_out * block));
    m.put<uint32_t>(pool + 44, uint32_t(kPoolSize - block));
}

std::vector<Block> pymalloc_blocks(MemoryImage& m, heapy::cpython::PoolSearch* search = nullptr) {
    Reader reader(m);
    std::vector<Block> out;
    auto found = heapy::cpython::visit_pymalloc_blocks(
        reader, m.regions(), kPoolSize, [&](uint64_t b, uint64_t s) { out.push_back({b, s}); });
    if (search) *search = found;
    return out;
}

} // namespace

TEST_CASE("pymalloc: the blocks handed out and not freed, pool by pool", "[leaks]") {
    MemoryImage m;
    m.map(kArena, 4 * kPoolSize);
    put_pool(m, kArena, 4, {2, 0});
    put_pool(m, kArena + 2 * kPoolSize, 2, {});
    heapy::cpython::PoolSearch search;
    const auto blocks = pymalloc_blocks(m, &search);
    CHECK(blocks == std::vector<Block>{{kArena + 48 + 64, 64},
                                       {kArena + 48 + 3 * 64, 64},
                                       {kArena + 2 * kPoolSize + 48, 64},
                                       {kArena + 2 * kPoolSize + 48 + 64, 64}});
    CHECK(search.pools == 2);
    CHECK(search.blocks == 4);
}

TEST_CASE("pymalloc: headers whose count, free list or offsets disagree are not pools", "[leaks]") {
    MemoryImage m;
    m.map(kArena, 5 * kPoolSize);
    put_pool(m, kArena, 4, {1});
    m.put<uint32_t>(kArena, 1); // count says 1 in use, the free list 1 free, of 4
    put_pool(m, kArena + kPoolSize, 4, {1, 2});
    m.put<uint64_t>(kArena + kPoolSize + 48 + 2 * 64, kArena + kPoolSize + 48 + 64); // a loop
    put_pool(m, kArena + 2 * kPoolSize, 4, {});
    m.put<uint32_t>(kArena + 2 * kPoolSize + 44, 1000); // maxnextoffset of no size class
    put_pool(m, kArena + 3 * kPoolSize, 4, {});
    m.put<uint64_t>(kArena + 3 * kPoolSize + 8, kArena + 3 * kPoolSize + 50); // misaligned
    CHECK(pymalloc_blocks(m).empty());
    // File-backed memory (an image's data) is never searched.
    MemoryImage file;
    file.map(kArena, kPoolSize, "/usr/lib/libpython3.11.so");
    put_pool(file, kArena, 2, {});
    CHECK(pymalloc_blocks(file).empty());
}

TEST_CASE("malloc: in-use chunks of a heap whose chain reaches its end", "[leaks]") {
    MemoryImage m;
    const uint64_t heap = 0x555500000000;
    m.map(heap, 4096, "[heap]");
    // chunks: 0x20 in use, 0x30 free (next's PREV_INUSE clear), 0x40 in use, top to the end.
    m.put<uint64_t>(heap + 8, 0x20 | 1);
    m.put<uint64_t>(heap + 0x20 + 8, 0x30 | 1);
    m.put<uint64_t>(heap + 0x50 + 8, 0x40 | 0);
    m.put<uint64_t>(heap + 0x90 + 8, (4096 - 0x90) | 1);
    Reader reader(m);
    std::vector<Block> out;
    auto search = heapy::cpython::visit_malloc_chunks(
        reader, m.regions(), [&](uint64_t b, uint64_t s) { out.push_back({b, s}); });
    CHECK(out == std::vector<Block>{{heap + 0x10, 0x18}, {heap + 0x60, 0x38}});
    CHECK(search.heaps == 1);

    // A chain that overruns the region is no heap; a chunk malloc mapped on its own is found.
    MemoryImage broken;
    broken.map(heap, 4096);
    broken.put<uint64_t>(heap + 8, 0x20 | 1);
    broken.put<uint64_t>(heap + 0x20 + 8, 0x10000 | 1);
    broken.map(heap + 0x100000, 3 * 4096);
    broken.put<uint64_t>(heap + 0x100000 + 8, (2 * 4096) | 2);
    Reader broken_reader(broken);
    out.clear();
    search = heapy::cpython::visit_malloc_chunks(
        broken_reader, broken.regions(), [&](uint64_t b, uint64_t s) { out.push_back({b, s}); });
    CHECK(out == std::vector<Block>{{heap + 0x100000 + 16, 2 * 4096 - 16}});
    CHECK(search.heaps == 0);
    CHECK(search.mmapped == 1);
}
