#include "core/memory/block_cache.hpp"

#include "core/errors.hpp"

#include <bit>
#include <cstring>

namespace heapy::memory {

BlockCache::BlockCache(std::unique_ptr<Memory> source, BlockCacheOptions options,
                       std::vector<Region> regions)
    : source_(std::move(source)), options_(options), regions_(std::move(regions)) {
    if (!std::has_single_bit(options_.page_size)) options_.page_size = 4096;
    if (!std::has_single_bit(options_.block_size) || options_.block_size < options_.page_size)
        options_.block_size = std::max<size_t>(64 * 1024, options_.page_size);
    block_shift_ = static_cast<unsigned>(std::countr_zero(options_.block_size));
    page_shift_ = static_cast<unsigned>(std::countr_zero(options_.page_size));
    if (regions_.empty() && source_) regions_ = source_->regions();
    std::vector<Interval> readable;
    for (const Region& r : regions_)
        if (r.readable && r.end > r.start) readable.emplace_back(r.start, r.end);
    readable_ = merge_intervals(std::move(readable));
}

BlockCache::~BlockCache() = default;

std::unique_ptr<BlockCache::Block> BlockCache::load(uint64_t index) {
    auto b = std::make_unique<Block>();
    const size_t bs = options_.block_size, ps = options_.page_size;
    const size_t pages = bs >> page_shift_;
    const uint64_t base = index << block_shift_;
    const uint64_t last = base + (bs - 1); // no overflow: base is block-aligned

    // The parts of the block worth asking for, as offsets in the block.
    std::vector<Interval> wanted;
    if (readable_.empty()) {
        wanted.emplace_back(0, bs);
    } else {
        auto it = std::upper_bound(readable_.begin(), readable_.end(), base,
                                   [](uint64_t a, const Interval& i) { return a < i.first; });
        if (it != readable_.begin()) --it;
        for (; it != readable_.end() && it->first <= last; ++it) {
            if (it->second <= base) continue;
            uint64_t lo = std::max(it->first, base) - base;
            uint64_t hi = std::min(it->second - 1, last) - base + 1;
            wanted.emplace_back(lo, hi);
        }
    }
    if (wanted.empty()) {
        b->page_ok.assign(pages, 0);
        return b;
    }

    b->data.reset(new std::byte[bs]); // left uninitialised: only pages marked ok are served
    std::vector<uint8_t> ok(pages, 0);
    auto mark = [&](uint64_t from, uint64_t to) { // bytes [from, to) were read
        for (uint64_t p = (from + ps - 1) >> page_shift_; ((p + 1) << page_shift_) <= to; ++p)
            ok[p] = 1;
    };
    auto fetch = [&](uint64_t off, uint64_t len) -> uint64_t {
        ++stats_.source_reads;
        size_t n = source_->read(base + off, std::span<std::byte>(b->data.get() + off, len));
        return std::min<uint64_t>(n, len);
    };
    for (const Interval& w : wanted) {
        uint64_t got = fetch(w.first, w.second - w.first);
        mark(w.first, w.first + got);
        if (w.first + got >= w.second) continue;
        // Retry the rest page by page, from the page where the read stopped.
        uint64_t pos = ((w.first + got) >> page_shift_) << page_shift_;
        pos = std::max(pos, w.first);
        while (pos < w.second) {
            uint64_t page_end =
                std::min<uint64_t>(((pos >> page_shift_) + 1) << page_shift_, w.second);
            uint64_t n = fetch(pos, page_end - pos);
            // A page is good only when read whole (or the part of it the region allows).
            if (pos + n >= page_end && (pos & (ps - 1)) == 0 && (page_end & (ps - 1)) == 0)
                ok[pos >> page_shift_] = 1;
            pos = page_end;
        }
    }
    size_t good = 0;
    for (uint8_t v : ok) good += v;
    stats_.unreadable_pages += pages - good;
    if (good == pages) {
        b->all_ok = true;
    } else if (good == 0) {
        b->data.reset();
        b->page_ok = std::move(ok);
    } else {
        b->page_ok = std::move(ok);
    }
    return b;
}

BlockCache::Block& BlockCache::block(uint64_t index) {
    Memo& m = memo_[index & (memo_.size() - 1)];
    if (m.index == index) return *m.block;
    auto it = blocks_.find(index);
    if (it == blocks_.end()) {
        auto b = load(index); // may throw (e.g. Interrupted): nothing half-made is kept
        it = blocks_.emplace(index, std::move(b)).first;
        ++stats_.blocks;
    }
    m.index = index;
    m.block = it->second.get();
    return *m.block;
}

size_t BlockCache::readable_run(const Block& b, size_t offset, size_t want) const {
    if (b.all_ok) return want;
    if (!b.data) return 0;
    size_t pos = offset;
    const size_t end = offset + want;
    while (pos < end && b.page_ok[pos >> page_shift_])
        pos = ((pos >> page_shift_) + 1) << page_shift_;
    return std::min(pos, end) - offset;
}

size_t BlockCache::read(uint64_t address, std::span<std::byte> out) {
    const size_t mask = options_.block_size - 1;
    size_t done = 0;
    while (done < out.size()) {
        uint64_t a = address + done;
        if (a < address) break; // wrapped around the address space
        Block& b = block(a >> block_shift_);
        size_t off = static_cast<size_t>(a & mask);
        size_t want = std::min(options_.block_size - off, out.size() - done);
        size_t n = readable_run(b, off, want);
        if (n > 0) std::memcpy(out.data() + done, b.data.get() + off, n);
        done += n;
        if (n < want) break;
    }
    return done;
}

const std::byte* BlockCache::view(uint64_t address, size_t length) {
    const size_t mask = options_.block_size - 1;
    size_t off = static_cast<size_t>(address & mask);
    if (length > options_.block_size - off) return nullptr;
    Block& b = block(address >> block_shift_);
    if (!b.data || readable_run(b, off, std::max<size_t>(length, 1)) < std::max<size_t>(length, 1))
        return nullptr;
    return b.data.get() + off;
}

} // namespace heapy::memory
