#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace heapy::memory {

// One mapping of the target's address space.
struct Region {
    uint64_t start = 0;
    uint64_t end = 0; // exclusive
    bool readable = true;
    bool writable = false;
    bool executable = false;
    std::string path;         // backing file, empty for anonymous memory; live processes
                              // also name kernel pseudo mappings ("[heap]", "[stack]", "[vvar]")
    uint64_t file_offset = 0; // offset of `start` in `path`
};

// Read-only access to a target's memory. Implementations never write to the target.
class Memory {
  public:
    virtual ~Memory() = default;

    // Copies the bytes at [address, address + out.size()) into `out`. Returns how many bytes
    // were copied from the start of the range; fewer than asked means the rest is unreadable.
    virtual size_t read(uint64_t address, std::span<std::byte> out) = 0;

    // A pointer to `length` bytes at `address` that stay valid as long as this object lives, or
    // nullptr when the range is not resident in one piece. Callers fall back to read().
    virtual const std::byte* view(uint64_t address, size_t length) {
        (void)address;
        (void)length;
        return nullptr;
    }

    // The mappings, sorted by address, when the source knows them (empty otherwise).
    virtual std::vector<Region> regions() const { return {}; }

    // Whether read() and view() may be called from several threads at once.
    virtual bool concurrent_reads() const { return false; }
};

} // namespace heapy::memory
