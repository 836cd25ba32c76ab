#include "tests/unit/support/memory_image.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace heapy::test {

uint64_t MemoryImage::map(uint64_t start, uint64_t size, std::string name) {
    // A region may end exactly at the top of the address space (start + size == 0).
    if (size == 0 || (start + size != 0 && start + size < start))
        throw std::logic_error("bad region");
    auto next = blocks_.lower_bound(start);
    if (next != blocks_.end() && start + size != 0 && next->first < start + size)
        throw std::logic_error("overlapping region");
    if (next != blocks_.end() && start + size == 0) throw std::logic_error("overlapping region");
    if (next != blocks_.begin()) {
        auto previous = std::prev(next);
        if (previous->first + previous->second.bytes.size() > start)
            throw std::logic_error("overlapping region");
    }
    blocks_.emplace(start, Block{std::vector<std::byte>(size), std::move(name)});
    return start;
}

const MemoryImage::Block* MemoryImage::find(uint64_t address, uint64_t& offset) const {
    auto it = blocks_.upper_bound(address);
    if (it == blocks_.begin()) return nullptr;
    --it;
    offset = address - it->first;
    return offset < it->second.bytes.size() ? &it->second : nullptr;
}

bool MemoryImage::mapped(uint64_t address, uint64_t length) const {
    while (length > 0) {
        uint64_t offset = 0;
        const Block* block = find(address, offset);
        if (!block) return false;
        uint64_t here = std::min<uint64_t>(length, block->bytes.size() - offset);
        address += here;
        length -= here;
        if (length > 0 && address == 0) return false; // wrapped around
    }
    return true;
}

void MemoryImage::write(uint64_t address, const void* data, size_t length) {
    if (!mapped(address, length)) throw std::logic_error("test writes to unmapped memory");
    const auto* in = static_cast<const std::byte*>(data);
    while (length > 0) {
        uint64_t offset = 0;
        auto* block = const_cast<Block*>(find(address, offset));
        size_t here = std::min<uint64_t>(length, block->bytes.size() - offset);
        std::memcpy(block->bytes.data() + offset, in, here);
        address += here;
        in += here;
        length -= here;
    }
}

void MemoryImage::copy_out(uint64_t address, void* out, size_t length) const {
    if (!mapped(address, length)) throw std::logic_error("test reads unmapped memory");
    auto* to = static_cast<std::byte*>(out);
    while (length > 0) {
        uint64_t offset = 0;
        const Block* block = find(address, offset);
        size_t here = std::min<uint64_t>(length, block->bytes.size() - offset);
        std::memcpy(to, block->bytes.data() + offset, here);
        address += here;
        to += here;
        length -= here;
    }
}

size_t MemoryImage::read(uint64_t address, std::span<std::byte> out) {
    uint64_t largest = largest_read_.load(std::memory_order_relaxed);
    while (out.size() > largest &&
           !largest_read_.compare_exchange_weak(largest, out.size(), std::memory_order_relaxed)) {
    }
    size_t done = 0;
    while (done < out.size()) {
        uint64_t offset = 0;
        if (address + done < address) break; // wrapped around the address space
        const Block* block = find(address + done, offset);
        if (!block) break;
        size_t here = std::min<uint64_t>(out.size() - done, block->bytes.size() - offset);
        std::memcpy(out.data() + done, block->bytes.data() + offset, here);
        done += here;
    }
    return done;
}

const std::byte* MemoryImage::view(uint64_t address, size_t length) {
    uint64_t offset = 0;
    const Block* block = views_ ? find(address, offset) : nullptr;
    if (!block || length > block->bytes.size() - offset) return nullptr;
    return block->bytes.data() + offset;
}

std::vector<memory::Region> MemoryImage::regions() const {
    std::vector<memory::Region> out;
    for (const auto& [start, block] : blocks_) {
        memory::Region region;
        region.start = start;
        region.end = start + block.bytes.size();
        region.writable = true;
        region.path = block.name;
        out.push_back(region);
    }
    return out;
}

std::optional<uint64_t> SymbolTable::lookup(std::string_view name) const {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) return std::nullopt;
    return it->second;
}

std::optional<memory::SectionRange> SymbolTable::section(std::string_view name) const {
    auto it = sections_.find(name);
    if (it == sections_.end()) return std::nullopt;
    return it->second;
}

bool MemoryImage::concurrent_by_default() {
    const char* value = std::getenv("HEAPY_TEST_CONCURRENT_IMAGES");
    return value && std::string_view(value) == "1";
}

} // namespace heapy::test
