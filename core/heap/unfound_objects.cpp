#include "core/heap/unfound_objects.hpp"

#include "core/cpython/allocations.hpp"
#include "core/cpython/mimalloc.hpp"
#include "core/cpython/refcount.hpp"
#include "core/errors.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace heapy::heap {

namespace {

// Reference counts from here on are a pointer, stale data or an immortal object (static ones,
// and those the interpreter keeps for good, such as 3.12's interned strs): not a leak.
constexpr int64_t kMaxRefcount = int64_t{1} << 31;
constexpr uint64_t kBlocksPerPoll = 1 << 16;

class BlockProbe {
  public:
    BlockProbe(cpython::ObjectDecoder& decoder, const ObjectGraph& graph, uint32_t found_end,
               const std::vector<uint64_t>& held_elsewhere,
               const std::function<bool()>& interrupted,
               const std::function<void(uint64_t)>& progress, UnfoundObjects& out)
        : decoder_(decoder), layout_(decoder.layout()), graph_(graph), found_end_(found_end),
          held_elsewhere_(held_elsewhere), interrupted_(interrupted), progress_(progress),
          out_(out) {
        const uint64_t gc = uint64_t(layout_.gc_head_size);
        const uint64_t pre = uint64_t(layout_.preheader_size);
        offsets_ = {0, gc, gc + pre, pre};
        std::sort(offsets_.begin(), offsets_.end());
    }

    // Looks for an object at the start of the block [block, block + size), after the headers
    // its type would put in front of it.
    void operator()(uint64_t block, uint64_t size) {
        if (++out_.blocks % kBlocksPerPoll == 0) {
            if (interrupted_()) throw Interrupted();
            progress_(out_.blocks);
        }
        uint64_t previous = UINT64_MAX;
        for (uint64_t offset : offsets_) {
            if (offset == previous) continue;
            previous = offset;
            const uint64_t object = block + offset;
            if (offset + cpython::object_header_size(layout_) > size) return;
            if (graph_.index.find(object) < found_end_ ||
                std::binary_search(held_elsewhere_.begin(), held_elsewhere_.end(), object))
                return;
            if (plausible_object(object, offset, size)) {
                out_.objects.push_back(object);
                return;
            }
        }
    }

  private:
    bool plausible_object(uint64_t object, uint64_t offset, uint64_t block_size) {
        cpython::Reader& reader = decoder_.reader();
        const cpython::TypeInfo* type = known_type(reader.pointer(object + layout_.object_type));
        if (!type || cpython::allocation_offset(layout_, type->flags) != offset) return false;
        // A GC object on no GC list is untracked, and an untracked object's _gc_next is 0: else
        // the block is a buffer whose stale bytes look like an object (a type's doc string copied
        // over a freed instance kept the instance's type pointer past its end).
        if ((type->flags & cpython::kTpFlagHaveGc) && layout_.gc_head_size > 0 &&
            reader.pointer(object - uint64_t(layout_.gc_head_size)) != 0)
            return false;
        const auto refcount = cpython::read_refcount(reader, layout_, object);
        if (!refcount || *refcount < 1 || *refcount >= kMaxRefcount) return false;
        // A count that is also an address is a C struct's pointer (heaps sit low in a non-PIE
        // process).
        if (reader.readable(uint64_t(*refcount), 1)) return false;
        // 3.14 keeps the count in the low half, then ob_overflow, zero but for huge counts.
        uint64_t raw = 0;
        if (layout_.refcount_bits == 32 && !layout_.free_threaded &&
            (!reader.read(object, raw) || ((raw >> 32) & 0xffff) != 0))
            return false;
        return offset + allocated_size(object, *type) <= block_size;
    }

    // What the object's own allocation holds after its headers: heapy's size for the kinds whose
    // contents are inline (which counts the headers, as sys.getsizeof does), the instance struct
    // for the rest (a dict's table, a list's items and the like are allocated apart).
    uint64_t allocated_size(uint64_t object, const cpython::TypeInfo& type) {
        using cpython::Kind;
        switch (type.kind) {
        case Kind::Str:
        case Kind::Bytes:
        case Kind::Tuple:
        case Kind::Int:
        case Kind::Float: {
            const uint64_t size = decoder_.size(object, type);
            const uint64_t before = cpython::allocation_offset(layout_, type.flags);
            return size >= before ? size - before : UINT64_MAX;
        }
        default:
            return type.basicsize > 0 ? uint64_t(type.basicsize) : UINT64_MAX;
        }
    }

    // The type at `address` when it is one the heap has: a type object the walk found, or a
    // static type of a loaded image.
    const cpython::TypeInfo* known_type(uint64_t address) {
        if (address == 0 || address % 8 != 0) return nullptr;
        auto [it, fresh] = known_.try_emplace(address, nullptr);
        if (!fresh) return it->second;
        cpython::TypeRegistry& types = decoder_.types();
        const bool found = graph_.index.find(address) != AddressIndex::kMissing;
        const bool static_image = std::any_of(
            types.static_images().begin(), types.static_images().end(),
            [&](const auto& image) { return address >= image.first && address < image.second; });
        if (found || static_image) it->second = types.get(address);
        return it->second;
    }

    cpython::ObjectDecoder& decoder_;
    const cpython::Layout& layout_;
    const ObjectGraph& graph_;
    uint32_t found_end_;
    const std::vector<uint64_t>& held_elsewhere_;
    const std::function<bool()>& interrupted_;
    const std::function<void(uint64_t)>& progress_;
    UnfoundObjects& out_;
    std::array<uint64_t, 4> offsets_{};
    std::unordered_map<uint64_t, const cpython::TypeInfo*> known_;
};

} // namespace

UnfoundObjects find_unfound_objects(cpython::ObjectDecoder& decoder,
                                    const cpython::Runtime& runtime, const ObjectGraph& graph,
                                    uint32_t found_end, const std::vector<uint64_t>& held_elsewhere,
                                    const std::function<bool()>& interrupted,
                                    const std::function<void(uint64_t)>& progress) {
    UnfoundObjects out;
    BlockProbe probe(decoder, graph, found_end, held_elsewhere, interrupted, progress, out);
    const cpython::Layout& layout = decoder.layout();
    if (layout.free_threaded) {
        out.mimalloc = true;
        cpython::Mimalloc heaps(decoder.reader(), layout);
        for (int64_t tag : {layout.mimalloc_heap_object, layout.mimalloc_heap_gc,
                            layout.mimalloc_heap_gc_preheader})
            out.mimalloc_whole &= heaps.visit_blocks(runtime, int(tag), std::ref(probe));
        return out;
    }
    const std::vector<memory::Region> regions = decoder.reader().memory().regions();
    if (regions.empty()) {
        out.no_regions = true;
        return out;
    }
    out.pools = cpython::visit_pymalloc_blocks(decoder.reader(), regions,
                                               uint64_t(layout.pool_size), std::ref(probe));
    out.chunks = cpython::visit_malloc_chunks(decoder.reader(), regions, std::ref(probe));
    return out;
}

} // namespace heapy::heap

namespace heapy::heap {

namespace {

constexpr uint64_t kScanChunk = uint64_t{1} << 16;

// [start, end) minus the sorted, disjoint `holes`.
void add_without(std::vector<std::pair<uint64_t, uint64_t>>& out, uint64_t start, uint64_t end,
                 const std::vector<std::pair<uint64_t, uint64_t>>& holes) {
    for (auto [hole_start, hole_end] : holes) {
        if (hole_end <= start || hole_start >= end) continue;
        if (hole_start > start) out.emplace_back(start, hole_start);
        start = std::max(start, hole_end);
    }
    if (start < end) out.emplace_back(start, end);
}

// The interpreter and thread states, less their free lists: the caches and singletons they hold
// (small ints, one-byte bytes, the interned strs) are held; a free list's slots past its count
// keep stale pointers to memory since handed out again. Without the free lists' places (3.14t)
// the states are left out whole. The C static free lists (3.9) are skipped too, wherever the
// symbols place them.
struct StateRanges {
    std::vector<std::pair<uint64_t, uint64_t>> scanned;
    std::vector<std::pair<uint64_t, uint64_t>> skipped; // sorted
};

StateRanges state_ranges(const cpython::Runtime& runtime, const memory::Symbols& symbols,
                         uint32_t& unplaced) {
    const cpython::Layout& l = *runtime.layout;
    StateRanges out;
    for (const cpython::Layout::StaticFreeList& list : l.static_free_lists) {
        if (auto range = symbols.lookup_static(list.file, list.symbol))
            out.skipped.emplace_back(range->start, range->end);
        else
            ++unplaced;
    }
    auto add = [&](uint64_t start, uint32_t size,
                   const std::vector<std::pair<uint32_t, uint32_t>>& free_lists) {
        if (!l.state_free_lists_known) {
            out.skipped.emplace_back(start, start + size);
            return;
        }
        out.scanned.emplace_back(start, start + size);
        for (auto [offset, length] : free_lists)
            out.skipped.emplace_back(start + offset, start + offset + length);
    };
    for (const cpython::Interpreter& interp : runtime.interpreters) {
        if (l.has(l.interp_size)) add(interp.address, l.interp_size, l.interp_free_lists);
        if (l.has(l.tstate_size))
            for (const cpython::ThreadState& thread : interp.threads)
                add(thread.address, l.tstate_size, l.tstate_free_lists);
    }
    std::sort(out.skipped.begin(), out.skipped.end());
    return out;
}

// What to search for pointers: the writable memory of the loaded images (their data and .bss)
// and the interpreter and thread states (some of which lie in an image: 3.12+ keeps the main
// ones in _PyRuntime), less the free lists (the states' and the C statics').
std::vector<std::pair<uint64_t, uint64_t>>
static_data(const cpython::Runtime& runtime, const memory::Symbols& symbols,
            const std::vector<memory::Region>& regions,
            const std::vector<std::pair<uint64_t, uint64_t>>& images, uint32_t& unplaced) {
    const StateRanges states = state_ranges(runtime, symbols, unplaced);
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const memory::Region& r : regions) {
        if (!r.writable || !r.readable) continue;
        for (auto [image_start, image_end] : images)
            if (r.start < image_end && image_start < r.end)
                add_without(out, std::max(r.start, image_start), std::min(r.end, image_end),
                            states.skipped);
    }
    for (auto [start, end] : states.scanned)
        if (!std::any_of(images.begin(), images.end(), [&](const auto& image) {
                return start >= image.first && start < image.second;
            }))
            add_without(out, start, end, states.skipped);
    return out;
}

// The address of the highest word of [start, end) that holds `value`, or 0.
uint64_t highest_word(cpython::Reader& reader, uint64_t start, uint64_t end, uint64_t value) {
    std::vector<uint64_t> words(kScanChunk / 8);
    start = (start + 7) & ~uint64_t{7};
    for (uint64_t chunk_end = end & ~uint64_t{7}; chunk_end > start;) {
        const uint64_t chunk_start = chunk_end - std::min(kScanChunk, chunk_end - start);
        const uint64_t count = (chunk_end - chunk_start) / 8;
        if (reader.read_bytes(chunk_start, words.data(), count * 8))
            for (uint64_t i = count; i-- > 0;)
                if (words[i] == value) return chunk_start + i * 8;
        chunk_end = chunk_start;
    }
    return 0;
}

// 3.9 and 3.10 keep nothing on the C stack, but the C function that made a thread's newest frame
// object (and the eval loop running it) keeps its address there until it returns: the highest
// word of the thread's stack that holds it is in a live C frame, and so is all above it (a
// stale copy lies below the live frames, or in them). A thread's stack is the mapping whose top
// holds its struct pthread (glibc puts it there; its address is the pthread_t), or the main
// one, where __libc_stack_end points. 0 when neither holds the frame's address.
uint64_t frame_object_anchor(cpython::Reader& reader, const memory::Symbols& symbols,
                             const cpython::ThreadState& thread,
                             const std::vector<memory::Region>& regions,
                             const std::vector<std::pair<uint64_t, uint64_t>>& images) {
    constexpr uint64_t kPthreadNearTop = 1 << 16;
    if (thread.top_frame == 0) return 0;
    auto region_of = [&](uint64_t address) -> const memory::Region* {
        auto r = std::find_if(regions.begin(), regions.end(), [&](const memory::Region& r) {
            return address >= r.start && address < r.end;
        });
        if (r == regions.end() || !r->writable) return nullptr;
        for (auto [start, end] : images)
            if (r->start < end && start < r->end) return nullptr;
        return &*r;
    };
    const memory::Region* main_stack = nullptr;
    if (auto stack_end = symbols.lookup("__libc_stack_end"))
        main_stack = region_of(reader.pointer(*stack_end));
    if (!main_stack) {
        auto r = std::find_if(regions.begin(), regions.end(),
                              [](const memory::Region& r) { return r.path == "[stack]"; });
        if (r != regions.end()) main_stack = &*r;
    }
    const memory::Region* own = region_of(thread.thread_id);
    if (own && own != main_stack && own->end - thread.thread_id <= kPthreadNearTop)
        if (uint64_t at = highest_word(reader, own->start, own->end, thread.top_frame)) return at;
    if (main_stack)
        return highest_word(reader, main_stack->start, main_stack->end, thread.top_frame);
    return 0;
}

// The part of each thread's C stack that its callers use: from the innermost place the
// interpreter keeps on it (3.11 and 3.12: the eval loop's _PyCFrame; 3.12+: the entry frame of
// each eval loop; 3.9 and 3.10: see frame_object_anchor) to the end of its mapping (stacks grow
// down). What lies below is dead or the current C call's.
std::vector<std::pair<uint64_t, uint64_t>>
live_c_stacks(cpython::Reader& reader, const cpython::Runtime& runtime,
              const memory::Symbols& symbols, const std::vector<memory::Region>& regions,
              const std::vector<std::pair<uint64_t, uint64_t>>& images) {
    const cpython::Layout& l = *runtime.layout;
    constexpr int kMaxFrames = 1 << 16;
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const cpython::Interpreter& interp : runtime.interpreters) {
        for (const cpython::ThreadState& thread : interp.threads) {
            uint64_t lowest = UINT64_MAX;
            if (l.frames_are_objects)
                if (uint64_t anchor = frame_object_anchor(reader, symbols, thread, regions, images))
                    lowest = anchor;
            if (l.has(l.tstate_cframe))
                if (uint64_t cframe = reader.pointer(thread.address + l.tstate_cframe);
                    cframe && (cframe < thread.address || cframe >= thread.address + l.tstate_size))
                    lowest = cframe;
            if (l.has(l.iframe_owner) && l.has(l.iframe_previous)) {
                uint64_t frame = thread.top_frame;
                for (int hops = 0; frame != 0 && hops < kMaxFrames; ++hops) {
                    int8_t owner = 0;
                    if (!reader.read(frame + l.iframe_owner, owner)) break;
                    if (owner == l.frame_owner_cstack || owner == l.frame_owner_interpreter)
                        lowest = std::min(lowest, frame);
                    frame = reader.pointer(frame + l.iframe_previous);
                }
            }
            auto region = std::find_if(regions.begin(), regions.end(), [&](const auto& r) {
                return lowest >= r.start && lowest < r.end;
            });
            if (region != regions.end() && region->writable)
                out.emplace_back(lowest & ~uint64_t{7}, region->end);
        }
    }
    return out;
}

} // namespace

std::vector<uint64_t> held_by_c(cpython::Reader& reader, const cpython::Runtime& runtime,
                                const memory::Symbols& symbols,
                                const std::vector<std::pair<uint64_t, uint64_t>>& static_images,
                                const std::vector<uint64_t>& objects, UnfoundObjects& search) {
    const std::vector<memory::Region> regions = reader.memory().regions();
    search.static_free_lists_unplaced = 0;
    std::vector<std::pair<uint64_t, uint64_t>> ranges =
        static_data(runtime, symbols, regions, static_images, search.static_free_lists_unplaced);
    for (auto range : live_c_stacks(reader, runtime, symbols, regions, static_images))
        ranges.push_back(range);
    std::vector<uint64_t> held;
    std::vector<uint64_t> words(kScanChunk / 8);
    for (auto [start, end] : ranges) {
        for (uint64_t at = start & ~uint64_t{7}; at < end; at += kScanChunk) {
            const uint64_t length = std::min(kScanChunk, (end - at + 7) & ~uint64_t{7});
            if (!reader.read_bytes(at, words.data(), length)) continue;
            for (uint64_t i = 0; i < length / 8; ++i)
                if (std::binary_search(objects.begin(), objects.end(), words[i]))
                    held.push_back(words[i]);
        }
    }
    std::sort(held.begin(), held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
    return held;
}

} // namespace heapy::heap
