#include "core/cpython/mimalloc.hpp"

#include <algorithm>
#include <unordered_set>
#include <vector>

namespace heapy::cpython {

namespace {
// Objects/mimalloc (CPython 3.13, 3.14): a huge page's xblock_size says only "huge"; its one
// block fills the page.
constexpr uint64_t kHugeBlockSize = uint64_t{2} << 30;
constexpr uint64_t kMaxSlicesPerSegment = 1024;
constexpr uint64_t kMaxPagesPerQueue = uint64_t{1} << 24;
constexpr uint64_t kMaxSegments = uint64_t{1} << 20;
constexpr size_t kMaxDelayedFrees = size_t{1} << 24;
constexpr uint64_t kTagMask = 0xF;
constexpr uint64_t kDelayedFlagBits = 3; // xthread_free's low bits are the delayed-free state

// Where mimalloc puts the first block of a page (_mi_segment_page_start_from_slice): a little
// past the slice's start for small blocks, away from page and cache-line boundaries.
uint64_t start_offset(uint64_t block_size) {
    if (block_size >= 8 && block_size <= 64) return 3 * block_size;
    if (block_size >= 8 && block_size <= 512) return block_size;
    return 0;
}
} // namespace

std::optional<Mimalloc::Page> Mimalloc::read_page(uint64_t page) {
    const Layout& l = layout_;
    const uint64_t segment_size = uint64_t{1} << l.mimalloc_segment_shift;
    const uint64_t segment = page & ~(segment_size - 1);
    const uint64_t slices = segment + l.mi_segment_slices;
    if (page < slices || (page - slices) % l.mi_page_size != 0) return std::nullopt;
    const uint64_t index = (page - slices) / l.mi_page_size;
    if (index >= kMaxSlicesPerSegment) return std::nullopt;
    Page out;
    out.address = page;
    uint32_t xblock_size = 0, slice_count = 0;
    uint16_t capacity = 0;
    uint8_t tag_byte = 0;
    if (!reader_.read(page + l.mi_page_xblock_size, xblock_size) ||
        !reader_.read(page + l.mi_page_slice_count, slice_count) ||
        !reader_.read(page + l.mi_page_capacity, capacity) ||
        !reader_.read(page + l.mi_page_used, out.used) ||
        !reader_.read(page + uint64_t(l.mimalloc_page_tag_byte), tag_byte) || xblock_size == 0)
        return std::nullopt;
    out.block_size = xblock_size >= kHugeBlockSize ? uint64_t(slice_count) << l.mimalloc_slice_shift
                                                   : uint64_t(xblock_size);
    out.capacity = capacity;
    out.tag = int((tag_byte >> l.mimalloc_page_tag_shift) & kTagMask);
    out.first_block = segment + (index << l.mimalloc_slice_shift) + start_offset(out.block_size);
    const uint64_t end = segment + ((index + slice_count) << l.mimalloc_slice_shift);
    if (out.block_size == 0 || out.first_block + out.block_size * capacity > end)
        return std::nullopt;
    return out;
}

std::optional<uint64_t> Mimalloc::block_at(uint64_t address) {
    const Layout& l = layout_;
    if (!l.free_threaded) return std::nullopt;
    const uint64_t segment_size = uint64_t{1} << l.mimalloc_segment_shift;
    const uint64_t segment = address & ~(segment_size - 1);
    uint64_t slice_entries = 0;
    if (!reader_.read(segment + l.mi_segment_slice_entries, slice_entries) ||
        slice_entries > kMaxSlicesPerSegment)
        return std::nullopt;
    const uint64_t index = (address - segment) >> l.mimalloc_slice_shift;
    if (index >= slice_entries) return std::nullopt;
    const uint64_t slice = segment + l.mi_segment_slices + index * l.mi_page_size;
    uint32_t slice_offset = 0;
    if (!reader_.read(slice + l.mi_page_slice_offset, slice_offset) || slice_offset > slice)
        return std::nullopt;
    auto page = read_page(slice - slice_offset);
    if (!page || page->used == 0 || address < page->first_block) return std::nullopt;
    const uint64_t offset = address - page->first_block;
    if (offset % page->block_size != 0 || offset / page->block_size >= page->capacity)
        return std::nullopt;
    return page->block_size;
}

bool Mimalloc::visit_page(const Page& page, const std::unordered_set<uint64_t>& delayed_free,
                          const std::function<void(uint64_t, uint64_t)>& visit) {
    if (page.used == 0) return true;
    // Blocks on any free list are free: the page's own, the blocks freed locally and by other
    // threads not yet collected into it, and the heap's delayed frees (as _mi_page_free_collect
    // and _mi_heap_delayed_free_partial would gather them before a visit).
    std::vector<bool> free(page.capacity, false);
    bool whole = true;
    auto mark = [&](uint64_t block, uint64_t mask) {
        for (uint64_t steps = 0; block != 0; ++steps) {
            block &= mask;
            if (block < page.first_block) return block == 0;
            const uint64_t offset = block - page.first_block;
            const uint64_t index = offset / page.block_size;
            if (offset % page.block_size != 0 || index >= page.capacity || free[index] ||
                steps > page.capacity)
                return false;
            free[index] = true;
            block = reader_.pointer(block);
        }
        return true;
    };
    const Layout& l = layout_;
    whole &= mark(reader_.pointer(page.address + l.mi_page_free), ~uint64_t{0});
    whole &= mark(reader_.pointer(page.address + l.mi_page_local_free), ~uint64_t{0});
    whole &= mark(reader_.pointer(page.address + l.mi_page_xthread_free), ~kDelayedFlagBits);
    for (uint32_t i = 0; i < page.capacity; ++i) {
        const uint64_t block = page.first_block + uint64_t(i) * page.block_size;
        if (!free[i] && !delayed_free.contains(block)) visit(block, page.block_size);
    }
    return whole;
}

bool Mimalloc::visit_thread_heap(uint64_t heap,
                                 const std::function<void(uint64_t, uint64_t)>& visit) {
    const Layout& l = layout_;
    bool whole = true;
    // Blocks other threads freed into this heap's full pages, not yet back on their pages' lists.
    std::unordered_set<uint64_t> delayed_free;
    for (uint64_t block = reader_.pointer(heap + l.mi_heap_thread_delayed_free); block != 0;
         block = reader_.pointer(block)) {
        if (!delayed_free.insert(block).second || delayed_free.size() > kMaxDelayedFrees) {
            whole = false;
            break;
        }
    }
    for (int64_t queue = 0; queue < l.mimalloc_page_queues; ++queue) {
        const uint64_t head = heap + l.mi_heap_pages + uint64_t(queue) * l.mi_page_queue_size;
        std::unordered_set<uint64_t> seen;
        for (uint64_t page = reader_.pointer(head + l.mi_page_queue_first); page != 0;
             page = reader_.pointer(page + l.mi_page_next)) {
            if (!seen.insert(page).second || seen.size() > kMaxPagesPerQueue) {
                whole = false;
                break;
            }
            auto read = read_page(page);
            if (!read) {
                whole = false;
                break;
            }
            whole &= visit_page(*read, delayed_free, visit);
        }
    }
    return whole;
}

bool Mimalloc::visit_abandoned(uint64_t pool, int tag,
                               const std::function<void(uint64_t, uint64_t)>& visit) {
    const Layout& l = layout_;
    const uint64_t segment_mask = ~((uint64_t{1} << l.mimalloc_segment_shift) - 1);
    bool whole = true;
    std::unordered_set<uint64_t> seen;
    // `abandoned` carries an ABA tag in its low bits; `abandoned_visited` is a plain pointer.
    for (uint64_t list : {reader_.pointer(pool + l.abandoned_pool_abandoned) & segment_mask,
                          reader_.pointer(pool + l.abandoned_pool_visited)}) {
        for (uint64_t segment = list; segment != 0;
             segment = reader_.pointer(segment + l.mi_segment_abandoned_next)) {
            if ((segment & ~segment_mask) != 0 || !seen.insert(segment).second ||
                seen.size() > kMaxSegments) {
                whole = false;
                break;
            }
            uint64_t slice_entries = 0;
            if (!reader_.read(segment + l.mi_segment_slice_entries, slice_entries) ||
                slice_entries > kMaxSlicesPerSegment) {
                whole = false;
                continue;
            }
            const uint64_t slices = segment + l.mi_segment_slices;
            const uint64_t end = slices + slice_entries * l.mi_page_size;
            // The first page is the segment's own information: skip its slices.
            uint32_t count = 0;
            reader_.read(slices + l.mi_page_slice_count, count);
            for (uint64_t slice = slices + uint64_t(std::max<uint32_t>(count, 1)) * l.mi_page_size;
                 slice < end;) {
                if (!reader_.read(slice + l.mi_page_slice_count, count) || count == 0) {
                    whole = false;
                    break;
                }
                if (auto page = read_page(slice); page && page->tag == tag)
                    whole &= visit_page(*page, {}, visit);
                slice += uint64_t(count) * l.mi_page_size;
            }
        }
    }
    return whole;
}

bool Mimalloc::visit_blocks(const Runtime& runtime, int tag,
                            const std::function<void(uint64_t, uint64_t)>& visit) {
    const Layout& l = layout_;
    if (!l.free_threaded || !l.has(l.tstate_mimalloc_heaps)) return true;
    bool whole = true;
    for (const Interpreter& interp : runtime.interpreters) {
        for (const ThreadState& thread : interp.threads) {
            int32_t initialized = 0;
            if (!reader_.read(thread.address + l.tstate_mimalloc_initialized, initialized)) {
                whole = false;
                continue;
            }
            if (initialized == 0) continue;
            const uint64_t heap =
                thread.address + l.tstate_mimalloc_heaps + uint64_t(tag) * uint64_t(l.mi_heap_size);
            whole &= visit_thread_heap(heap, visit);
        }
        whole &= visit_abandoned(interp.address + l.interp_mimalloc_abandoned, tag, visit);
    }
    return whole;
}

} // namespace heapy::cpython
