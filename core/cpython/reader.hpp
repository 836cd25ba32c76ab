#pragma once

#include "core/memory/memory.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

namespace heapy::cpython {

// Typed reads of target memory for the decoders. It remembers views of recently used 64 KiB
// blocks so that the millions of small reads of a heap walk are plain memory copies.
class Reader {
  public:
    explicit Reader(memory::Memory& memory) : memory_(memory) {}

    memory::Memory& memory() { return memory_; }

    // A pointer to `length` readable bytes at `address`, or nullptr.
    const std::byte* view(uint64_t address, size_t length) {
        const uint64_t block = address >> kBlockBits;
        if (((address + length - 1) >> kBlockBits) == block && length != 0) {
            Slot& slot = slots_[block & (kSlots - 1)];
            if (slot.block != block) fill(slot, block);
            if (slot.data) return slot.data + (address & (kBlockSize - 1));
        }
        return memory_.view(address, length);
    }

    // Asks the CPU to start loading the cache line at `address` (a hint: nothing is read).
    void prefetch(uint64_t address) {
        if (const std::byte* p = view(address, 1)) __builtin_prefetch(p);
    }
    bool read_bytes(uint64_t address, void* out, size_t length) {
        if (const std::byte* p = view(address, length)) {
            std::memcpy(out, p, length);
            return true;
        }
        return memory_.read(address, {static_cast<std::byte*>(out), length}) == length;
    }

    template <class T> bool read(uint64_t address, T& out) {
        static_assert(std::is_trivially_copyable_v<T>);
        return read_bytes(address, &out, sizeof(T));
    }

    template <class T> std::optional<T> get(uint64_t address) {
        T value;
        if (!read(address, value)) return std::nullopt;
        return value;
    }

    // The pointer stored at `address`, or 0 when unreadable.
    uint64_t pointer(uint64_t address) {
        uint64_t value = 0;
        return read(address, value) ? value : 0;
    }

    bool readable(uint64_t address, size_t length) {
        if (view(address, length)) return true;
        std::byte probe[64];
        while (length > 0) {
            size_t chunk = length < sizeof probe ? length : sizeof probe;
            if (memory_.read(address, {probe, chunk}) != chunk) return false;
            address += chunk;
            length -= chunk;
        }
        return true;
    }

    // A NUL-terminated string of at most `max_length` bytes (nullopt when unreadable or longer).
    std::optional<std::string> c_string(uint64_t address, size_t max_length = 1024);

  private:
    static constexpr unsigned kBlockBits = 16;
    static constexpr uint64_t kBlockSize = uint64_t{1} << kBlockBits;
    static constexpr size_t kSlots = 256;

    struct Slot {
        uint64_t block = ~uint64_t{0};
        const std::byte* data = nullptr;
    };

    void fill(Slot& slot, uint64_t block) {
        slot.block = block;
        slot.data = memory_.view(block << kBlockBits, kBlockSize);
    }

    memory::Memory& memory_;
    std::array<Slot, kSlots> slots_{};
};

} // namespace heapy::cpython
