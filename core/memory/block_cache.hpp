#pragma once

#include "core/memory/interval.hpp"
#include "core/memory/memory.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace heapy::memory {

struct BlockCacheOptions {
    size_t block_size = 64 * 1024; // a power of two, a multiple of page_size
    size_t page_size = 4096;       // a power of two
};

// A cache of aligned blocks in front of a slow Memory (a debugger's read callback,
// /proc/PID/mem). A block is read from the source on first touch and kept for the life of the
// cache (snapshot semantics: the target must not change meanwhile, and view() pointers stay
// valid). When a block cannot be read whole it is retried page by page, so its readable pages
// are still served; unreadable pages are remembered and never asked for again. When the
// source (or the caller) knows the regions, bytes outside readable regions are never asked for.
// Not safe for concurrent use.
class BlockCache final : public Memory {
  public:
    explicit BlockCache(std::unique_ptr<Memory> source, BlockCacheOptions options = {},
                        std::vector<Region> regions = {});
    ~BlockCache() override;

    size_t read(uint64_t address, std::span<std::byte> out) override;
    // Works when the range lies in one block and all of it is readable.
    const std::byte* view(uint64_t address, size_t length) override;
    std::vector<Region> regions() const override { return regions_; }

    struct Stats {
        uint64_t source_reads = 0;     // calls into the source
        uint64_t blocks = 0;           // blocks cached (readable or not)
        uint64_t unreadable_pages = 0; // pages found unreadable inside cached blocks
    };
    const Stats& stats() const { return stats_; }
    const BlockCacheOptions& options() const { return options_; }

  private:
    struct Block {
        std::unique_ptr<std::byte[]> data; // null when no page is readable
        std::vector<uint8_t> page_ok;      // empty when all pages are readable
        bool all_ok = false;
    };

    Block& block(uint64_t index);
    std::unique_ptr<Block> load(uint64_t index);
    // Bytes readable from `offset` in block `b`, at most `want`.
    size_t readable_run(const Block& b, size_t offset, size_t want) const;

    std::unique_ptr<Memory> source_;
    BlockCacheOptions options_;
    unsigned block_shift_ = 16;
    unsigned page_shift_ = 12;
    std::vector<Region> regions_;
    std::vector<Interval> readable_; // empty: unknown, ask the source for everything
    std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
    struct Memo {
        uint64_t index = UINT64_MAX;
        Block* block = nullptr;
    };
    std::array<Memo, 256> memo_{};
    Stats stats_;
};

} // namespace heapy::memory
