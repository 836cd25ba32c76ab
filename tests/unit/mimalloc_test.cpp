// Free-threaded builds: the object header's reference counts, and mimalloc's heaps read from a
// hand-built image (a thread's GC heap, an abandoned segment, free lists of every kind, loops).
#include "tests/unit/support/memory_image.hpp"

#include "core/cpython/gc_lists.hpp"
#include "core/cpython/mimalloc.hpp"
#include "core/cpython/refcount.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

using heapy::cpython::Layout;
using heapy::test::MemoryImage;

namespace {

constexpr uint64_t kSegmentSize = uint64_t{1} << 25;
constexpr uint64_t kSliceSize = uint64_t{1} << 16;
constexpr int kGc = 2;
constexpr int kGcPreheader = 3;

const Layout& free_threaded(int minor) {
    const Layout* layout = heapy::cpython::find_layout(3, minor, -1, true);
    REQUIRE(layout != nullptr);
    return *layout;
}

// One interpreter with one thread, and mimalloc segments whose pages the tests fill.
struct MimallocImage {
    explicit MimallocImage(int minor = 14) : L(free_threaded(minor)) {
        memory.map(kInterp, 1 << 18, "interpreter");
        memory.map(kThread, 1 << 15, "thread state");
        memory.put<int32_t>(kThread + L.tstate_mimalloc_initialized, 1);
        runtime.layout = &L;
        runtime.interpreters.push_back({kInterp, 0, 0, {{kThread, 1, 1, 0}}});
    }

    uint64_t heap(int tag) const {
        return kThread + L.tstate_mimalloc_heaps + tag * L.mi_heap_size;
    }
    uint64_t pool() const { return kInterp + L.interp_mimalloc_abandoned; }

    // A segment (its header and slices) at `segment`.
    void segment(uint64_t segment, uint64_t slice_entries = 512) {
        memory.map(segment, kSliceSize, "segment");
        memory.put<uint64_t>(segment + L.mi_segment_slice_entries, slice_entries);
        memory.put<uint32_t>(slice(segment, 0) + L.mi_page_slice_count, 1); // the segment info
    }
    // Slices [index, index + count) free: a span with no blocks.
    void free_span(uint64_t segment, uint64_t index, uint32_t count) {
        memory.put<uint32_t>(slice(segment, index) + L.mi_page_slice_count, count);
    }
    uint64_t slice(uint64_t segment, uint64_t index) const {
        return segment + L.mi_segment_slices + index * L.mi_page_size;
    }
    // A one-slice page of `capacity` blocks of `block_size` bytes in slice `index`; returns the
    // page (its mi_page_t); its blocks start at first_block(...).
    uint64_t page(uint64_t segment, uint64_t index, uint32_t block_size, uint16_t capacity,
                  int tag) {
        const uint64_t page = slice(segment, index);
        memory.map(segment + index * kSliceSize, kSliceSize, "page");
        memory.put<uint32_t>(page + L.mi_page_slice_count, 1);
        memory.put<uint32_t>(page + L.mi_page_xblock_size, block_size);
        memory.put<uint16_t>(page + L.mi_page_capacity, capacity);
        memory.put<uint32_t>(page + L.mi_page_used, capacity);
        memory.put<uint8_t>(page + uint64_t(L.mimalloc_page_tag_byte),
                            uint8_t(tag << L.mimalloc_page_tag_shift));
        return page;
    }
    uint64_t block(uint64_t page, uint32_t i) const {
        const uint64_t segment = page & ~(kSegmentSize - 1);
        const uint64_t index = (page - slice(segment, 0)) / L.mi_page_size;
        const uint32_t size = memory.get<uint32_t>(page + L.mi_page_xblock_size);
        const uint64_t offset = size <= 64 ? 3 * size : size <= 512 ? size : 0;
        return segment + index * kSliceSize + offset + uint64_t(i) * size;
    }
    // Chains blocks into a free list (the link is each block's first word).
    uint64_t chain(uint64_t page, std::vector<uint32_t> blocks) {
        uint64_t next = 0;
        for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
            memory.put<uint64_t>(block(page, *it), next);
            next = block(page, *it);
        }
        return next;
    }
    void queue(int tag, int queue, std::vector<uint64_t> pages) {
        const uint64_t head = heap(tag) + L.mi_heap_pages + uint64_t(queue) * L.mi_page_queue_size;
        memory.put<uint64_t>(head + L.mi_page_queue_first, pages.empty() ? 0 : pages.front());
        for (size_t i = 0; i < pages.size(); ++i)
            memory.put<uint64_t>(pages[i] + L.mi_page_next,
                                 i + 1 < pages.size() ? pages[i + 1] : 0);
    }
    std::vector<uint64_t> visit(int tag, bool* whole = nullptr) {
        heapy::cpython::Reader reader(memory);
        heapy::cpython::Mimalloc heaps(reader, L);
        std::vector<uint64_t> out;
        const bool all =
            heaps.visit_blocks(runtime, tag, [&](uint64_t b, uint64_t) { out.push_back(b); });
        if (whole) *whole = all;
        std::sort(out.begin(), out.end());
        return out;
    }
    std::vector<uint64_t> blocks(uint64_t page, std::vector<uint32_t> indexes) const {
        std::vector<uint64_t> out;
        for (uint32_t i : indexes) out.push_back(block(page, i));
        return out;
    }

    static constexpr uint64_t kInterp = 0x10000000;
    static constexpr uint64_t kThread = 0x11000000;
    static constexpr uint64_t kSegment = 0x40000000; // 32 MiB aligned
    static constexpr uint64_t kOtherSegment = 0x42000000;
    const Layout& L;
    MemoryImage memory;
    heapy::cpython::Runtime runtime;
};

} // namespace

TEST_CASE("free-threaded reference counts: local plus shared, less the deferred bias",
          "[decoder][free-threaded]") {
    for (int minor : {13, 14}) {
        const Layout& L = free_threaded(minor);
        std::byte header[32] = {};
        auto put = [&](uint32_t offset, auto value) {
            std::memcpy(header + offset, &value, sizeof value);
        };
        put(L.object_ref_local, uint32_t{3});
        put(L.object_ref_shared, int64_t{2} << 2);
        CHECK(heapy::cpython::header_refcount(L, header) == 5);
        put(L.object_ref_shared, int64_t{-1} * 4 + 1); // another thread's decref, flag bits
        CHECK(heapy::cpython::header_refcount(L, header) == 2);
        put(L.object_ref_local, uint32_t{0xFFFFFFFF}); // immortal
        CHECK(heapy::cpython::header_refcount(L, header) == 0xFFFFFFFF);
        CHECK_FALSE(heapy::cpython::gc_bits_tracked(L, header));
        put(L.object_gc_bits, uint8_t(0x41)); // tracked, deferred
        CHECK(heapy::cpython::gc_bits_tracked(L, header));
        if (minor == 14) { // 3.14t biases ob_ref_shared by PY_SSIZE_T_MAX / 8
            put(L.object_ref_local, uint32_t{1});
            put(L.object_ref_shared, int64_t((uint64_t{1} << 60) - 1 + 2) << 2);
            CHECK(heapy::cpython::header_refcount(L, header) == 3);
        } else { // 3.13t adds one to ob_ref_local
            put(L.object_ref_local, uint32_t{4});
            put(L.object_ref_shared, int64_t{2}); // _Py_REF_QUEUED
            CHECK(heapy::cpython::header_refcount(L, header) == 3);
        }
    }
}

TEST_CASE("mimalloc: a thread heap's pages, every free list left out", "[decoder][free-threaded]") {
    MimallocImage m;
    m.segment(m.kSegment);
    const uint64_t page = m.page(m.kSegment, 1, 64, 12, kGc);
    m.memory.put<uint64_t>(page + m.L.mi_page_free, m.chain(page, {1, 3}));
    m.memory.put<uint64_t>(page + m.L.mi_page_local_free, m.chain(page, {5}));
    m.memory.put<uint64_t>(page + m.L.mi_page_xthread_free, m.chain(page, {7}) | 1); // delayed bits
    m.memory.put<uint64_t>(m.heap(kGc) + m.L.mi_heap_thread_delayed_free, m.chain(page, {8}));
    const uint64_t full = m.page(m.kSegment, 2, 128, 3, kGc);
    m.queue(kGc, 4, {page});
    m.queue(kGc, 7, {full});
    bool whole = false;
    auto expected = m.blocks(page, {0, 2, 4, 6, 9, 10, 11});
    auto more = m.blocks(full, {0, 1, 2});
    expected.insert(expected.end(), more.begin(), more.end());
    std::sort(expected.begin(), expected.end());
    CHECK(m.visit(kGc, &whole) == expected);
    CHECK(whole);
    CHECK(m.visit(kGcPreheader).empty());

    SECTION("a page nobody uses is skipped") {
        m.memory.put<uint32_t>(page + m.L.mi_page_used, 0);
        CHECK(m.visit(kGc) == m.blocks(full, {0, 1, 2}));
    }
    SECTION("a thread whose heaps were never set up is skipped") {
        m.memory.put<int32_t>(m.kThread + m.L.tstate_mimalloc_initialized, 0);
        CHECK(m.visit(kGc).empty());
    }
    SECTION("a looping page list and a free list out of its page end the walk, not heapy") {
        m.queue(kGc, 4, {page, full});
        m.memory.put<uint64_t>(full + m.L.mi_page_next, page);
        m.memory.put<uint64_t>(page + m.L.mi_page_local_free, 0x12345678);
        CHECK(m.visit(kGc, &whole).size() >= 3);
        CHECK_FALSE(whole);
    }
    SECTION("block_at: the start of a block of a page in use, and nothing else") {
        heapy::cpython::Reader reader(m.memory);
        heapy::cpython::Mimalloc heaps(reader, m.L);
        CHECK(heaps.block_at(m.block(page, 4)) == 64u);
        CHECK(heaps.block_at(m.block(full, 2)) == 128u);
        CHECK_FALSE(heaps.block_at(m.block(page, 4) + 8));
        CHECK_FALSE(heaps.block_at(m.block(page, 12)));           // past its capacity
        CHECK_FALSE(heaps.block_at(m.kSegment + 7 * kSliceSize)); // no page there
    }
}

TEST_CASE("mimalloc: the segments threads abandoned, through the tagged list and the visited one",
          "[decoder][free-threaded]") {
    MimallocImage m;
    m.segment(m.kSegment);
    m.segment(m.kOtherSegment, 4);
    const uint64_t gc = m.page(m.kSegment, 1, 256, 2, kGc);
    const uint64_t gc_pre = m.page(m.kSegment, 2, 512, 2, kGcPreheader);
    m.memory.put<uint64_t>(gc_pre + m.L.mi_page_free, m.chain(gc_pre, {0}));
    const uint64_t other = m.page(m.kOtherSegment, 1, 48, 3, kGc);
    m.free_span(m.kSegment, 3, 509);
    m.free_span(m.kOtherSegment, 2, 2);
    m.memory.put<uint64_t>(m.pool() + m.L.abandoned_pool_abandoned, m.kSegment | 5); // ABA tag
    m.memory.put<uint64_t>(m.pool() + m.L.abandoned_pool_visited, m.kOtherSegment);
    auto expected = m.blocks(gc, {0, 1});
    auto more = m.blocks(other, {0, 1, 2});
    expected.insert(expected.end(), more.begin(), more.end());
    std::sort(expected.begin(), expected.end());
    bool whole = false;
    CHECK(m.visit(kGc, &whole) == expected);
    CHECK(whole);
    CHECK(m.visit(kGcPreheader) == m.blocks(gc_pre, {1}));

    SECTION("the objects the GC tracks, after the pre-header in GC_PRE pages") {
        m.memory.put<uint8_t>(m.block(gc, 1) + m.L.object_gc_bits, 1);
        m.memory.put<uint8_t>(m.block(gc_pre, 1) + 16 + m.L.object_gc_bits, 1);
        m.memory.put<uint8_t>(m.block(other, 2) + m.L.object_gc_bits, 0x40); // untracked
        heapy::cpython::Reader reader(m.memory);
        const auto tracked = heapy::cpython::gc_tracked_objects(m.runtime, reader);
        std::vector<uint64_t> objects = tracked.objects;
        std::sort(objects.begin(), objects.end());
        CHECK(objects == std::vector<uint64_t>{m.block(gc, 1), m.block(gc_pre, 1) + 16});
        CHECK_FALSE(tracked.broken);
    }
    SECTION("a segment list that loops") {
        m.memory.put<uint64_t>(m.kSegment + m.L.mi_segment_abandoned_next, m.kSegment);
        m.visit(kGc, &whole);
        CHECK_FALSE(whole);
    }
}

TEST_CASE("mimalloc: damaged heaps end the walk quickly and never crash it",
          "[decoder][free-threaded]") {
    std::mt19937_64 random(17);
    for (int round = 0; round < 300; ++round) {
        MimallocImage m;
        m.segment(m.kSegment);
        const uint64_t page = m.page(m.kSegment, 1, 64, 12, kGc);
        m.memory.put<uint64_t>(page + m.L.mi_page_free, m.chain(page, {1, 3, 5}));
        const uint64_t pre = m.page(m.kSegment, 2, 512, 4, kGcPreheader);
        m.free_span(m.kSegment, 3, 509);
        m.queue(kGc, 4, {page});
        m.queue(kGcPreheader, 20, {pre});
        m.memory.put<uint64_t>(m.pool() + m.L.abandoned_pool_visited, m.kSegment);
        // Random words in the segment's header and pages, the heaps, and the blocks.
        const std::pair<uint64_t, uint64_t> places[] = {
            {m.kSegment, m.L.mi_segment_slices + 4 * m.L.mi_page_size},
            {m.heap(kGc), m.L.mi_heap_size * 2},
            {m.block(page, 0), 12 * 64},
            {m.pool(), 320}};
        for (int flip = 0; flip < 8; ++flip) {
            const auto& [start, size] = places[random() % std::size(places)];
            const uint64_t at = start + (random() % (size / 8)) * 8;
            const uint64_t choices[] = {random(),
                                        m.block(page, uint32_t(random() % 16)),
                                        page,
                                        pre,
                                        m.kSegment,
                                        0,
                                        uint64_t(random() % 1024)};
            m.memory.put<uint64_t>(at, choices[random() % std::size(choices)]);
        }
        m.visit(kGc);
        m.visit(kGcPreheader);
        heapy::cpython::Reader reader(m.memory);
        heapy::cpython::gc_tracked_objects(m.runtime, reader);
        heapy::cpython::Mimalloc heaps(reader, m.L);
        for (int probe = 0; probe < 16; ++probe)
            heaps.block_at(m.kSegment + random() % (3 * kSliceSize));
    }
    SUCCEED();
}
