#include "core/cpython/pymalloc_pools.hpp"

#include <array>

namespace heapy::cpython {

namespace {

// The blocks of a pool: which of those below nextoffset are free.
class PoolBlocks {
  public:
    PoolBlocks(uint64_t pool, const PoolHeader& header)
        : pool_(pool), block_size_((uint64_t(header.szidx) + 1) * kPymallocAlignment),
          handed_out_((header.nextoffset - kPoolOverhead) / block_size_) {}

    uint64_t block_size() const { return block_size_; }
    uint64_t handed_out() const { return handed_out_; }
    uint64_t block(uint64_t i) const { return pool_ + kPoolOverhead + i * block_size_; }

    // Marks the free list's blocks; false when it leaves the handed-out blocks, loops, or is
    // cut by unreadable memory.
    bool mark_free(Reader& reader, uint64_t first, uint64_t& free_count) {
        free_count = 0;
        for (uint64_t at = first; at != 0; at = reader.pointer(at)) {
            if (at < block(0) || at >= block(handed_out_)) return false;
            const uint64_t i = (at - block(0)) / block_size_;
            if (block(i) != at || free_[i]) return false;
            free_[i] = true;
            ++free_count;
        }
        return true;
    }
    bool is_free(uint64_t i) const { return free_[i]; }

  private:
    uint64_t pool_;
    uint64_t block_size_;
    uint64_t handed_out_;
    // A 16 KiB pool holds at most (16384 - 48) / 16 blocks; larger pools are not pymalloc's.
    std::array<bool, 1024> free_{};
};

bool plausible(const PoolHeader& h, uint64_t pool_size) {
    if (h.szidx >= kPymallocSizeClasses || h.count == 0) return false;
    const uint64_t block = (uint64_t(h.szidx) + 1) * kPymallocAlignment;
    return h.maxnextoffset == pool_size - block && h.nextoffset >= kPoolOverhead &&
           h.nextoffset <= pool_size && (h.nextoffset - kPoolOverhead) % block == 0 &&
           h.count <= (h.nextoffset - kPoolOverhead) / block;
}

} // namespace

PoolSearch visit_pymalloc_blocks(Reader& reader, const std::vector<memory::Region>& regions,
                                 uint64_t pool_size,
                                 const std::function<void(uint64_t, uint64_t)>& visit) {
    PoolSearch out;
    if (pool_size < 4096 || pool_size > 16384 || (pool_size & (pool_size - 1)) != 0) return out;
    for (const memory::Region& region : regions) {
        if (!region.writable || !region.readable || !region.path.empty()) continue;
        for (uint64_t pool = (region.start + pool_size - 1) & ~(pool_size - 1);
             pool + pool_size <= region.end; pool += pool_size) {
            PoolHeader header;
            if (!reader.read(pool, header) || !plausible(header, pool_size)) continue;
            PoolBlocks blocks(pool, header);
            uint64_t free_count = 0;
            if (!blocks.mark_free(reader, header.freeblock, free_count) ||
                header.count + free_count != blocks.handed_out())
                continue;
            ++out.pools;
            for (uint64_t i = 0; i < blocks.handed_out(); ++i) {
                if (blocks.is_free(i)) continue;
                ++out.blocks;
                visit(blocks.block(i), blocks.block_size());
            }
        }
    }
    return out;
}

} // namespace heapy::cpython
