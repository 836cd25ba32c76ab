// Memory and symbols read through a debugger's own API (gdb's Inferior.read_memory, lldb's
// SBProcess::ReadMemory), for targets the engine cannot open by itself (e.g. a remote process).
// Header-only: used by the gdb module, the lldb plugin and tests/unit/frontend_*.cpp.
//
// TODO(memory): replace with core/memory's CallbackMemory + BlockCache + CallbackSymbols once
// they land; the interface (a read function and a lookup function) is the same.
#pragma once

#include "core/memory/memory.hpp"
#include "core/memory/symbols.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace heapy::frontend {

// Reads [address, address + out.size()) from the debugger. Returns how many bytes were read from
// the start (0 when the range is unreadable); a debugger that is all-or-nothing returns 0 or
// out.size(). Must not throw.
using ReadFunction = std::function<size_t(uint64_t address, std::span<std::byte> out)>;

// Reads through a ReadFunction in aligned blocks (1 MiB by default), keeping the most recently
// read ones. A block the debugger cannot read in one piece is split in halves down to pages, so
// a mapping boundary costs a few extra calls, not a failure.
class DebuggerMemory final : public memory::Memory {
  public:
    static constexpr uint64_t page_size = 4096;

    explicit DebuggerMemory(ReadFunction read, std::vector<memory::Region> regions = {},
                            size_t block_size = size_t{1} << 20, size_t max_blocks = 256)
        : read_(std::move(read)), regions_(std::move(regions)),
          block_size_(std::max<size_t>(page_size, std::bit_ceil(block_size))),
          max_blocks_(std::max<size_t>(1, max_blocks)) {}

    size_t read(uint64_t address, std::span<std::byte> out) override {
        size_t done = 0;
        while (done < out.size()) {
            uint64_t at = address + done;
            if (at < address) break; // wrapped around the address space
            uint64_t base = at & ~uint64_t(block_size_ - 1);
            const Block& block = get(base);
            size_t offset = static_cast<size_t>(at - base);
            size_t readable = block.readable_from(offset, block_size_);
            size_t n = std::min(readable, out.size() - done);
            if (n > 0) std::memcpy(out.data() + done, block.data.data() + offset, n);
            done += n;
            if (offset + readable < block_size_) break; // hit an unreadable page
        }
        return done;
    }

    std::vector<memory::Region> regions() const override { return regions_; }

    // How many times the debugger was asked (for tests and statistics).
    uint64_t debugger_reads() const { return debugger_reads_; }

  private:
    struct Block {
        std::vector<std::byte> data;
        std::vector<bool> page_ok;
        size_t readable_from(size_t offset, size_t block_size) const {
            size_t page = offset / page_size;
            size_t end = page;
            while (end < page_ok.size() && page_ok[end]) ++end;
            size_t limit = std::min(end * page_size, block_size);
            return limit > offset ? limit - offset : 0;
        }
    };

    const Block& get(uint64_t base) {
        if (auto it = blocks_.find(base); it != blocks_.end()) return *it->second;
        if (blocks_.size() >= max_blocks_) {
            blocks_.erase(order_.front());
            order_.pop_front();
        }
        auto block = std::make_unique<Block>();
        block->data.resize(block_size_);
        block->page_ok.assign(block_size_ / page_size, false);
        fill(*block, base, 0, block_size_ / page_size);
        order_.push_back(base);
        return *(blocks_[base] = std::move(block));
    }

    // Reads pages [lo, hi) of the block at `base`, splitting in halves on failure.
    void fill(Block& block, uint64_t base, size_t lo, size_t hi) {
        if (lo >= hi) return;
        size_t length = (hi - lo) * page_size;
        ++debugger_reads_;
        size_t got = read_(base + lo * page_size,
                           std::span<std::byte>(block.data.data() + lo * page_size, length));
        size_t full = std::min(got, length) / page_size;
        for (size_t p = lo; p < lo + full; ++p) block.page_ok[p] = true;
        if (full == hi - lo || hi - lo == 1) return;
        if (full > 0) { // the prefix was readable; retry the rest
            fill(block, base, lo + full, hi);
            return;
        }
        size_t mid = lo + (hi - lo) / 2;
        fill(block, base, lo, mid);
        fill(block, base, mid, hi);
    }

    ReadFunction read_;
    std::vector<memory::Region> regions_;
    size_t block_size_;
    size_t max_blocks_;
    std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
    std::deque<uint64_t> order_;
    uint64_t debugger_reads_ = 0;
};

// Symbols looked up through the debugger, each name asked once.
class DebuggerSymbols final : public memory::Symbols {
  public:
    using LookupFunction = std::function<std::optional<uint64_t>(std::string_view name)>;
    using SectionFunction =
        std::function<std::optional<memory::SectionRange>(std::string_view name)>;

    DebuggerSymbols(LookupFunction lookup, SectionFunction section,
                    std::vector<memory::LoadedModule> modules = {})
        : lookup_(std::move(lookup)), section_(std::move(section)), modules_(std::move(modules)) {}

    std::optional<uint64_t> lookup(std::string_view name) const override {
        auto it = symbols_.find(name);
        if (it == symbols_.end())
            it = symbols_.emplace(std::string(name), lookup_ ? lookup_(name) : std::nullopt).first;
        return it->second;
    }
    std::optional<memory::SectionRange> section(std::string_view name) const override {
        auto it = sections_.find(name);
        if (it == sections_.end())
            it = sections_.emplace(std::string(name), section_ ? section_(name) : std::nullopt)
                     .first;
        return it->second;
    }
    std::vector<memory::LoadedModule> modules() const override { return modules_; }

  private:
    LookupFunction lookup_;
    SectionFunction section_;
    std::vector<memory::LoadedModule> modules_;
    mutable std::map<std::string, std::optional<uint64_t>, std::less<>> symbols_;
    mutable std::map<std::string, std::optional<memory::SectionRange>, std::less<>> sections_;
};

} // namespace heapy::frontend
