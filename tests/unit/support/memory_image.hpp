// A target's memory and symbols made by hand, for unit tests of the decoders.
#pragma once

#include "core/memory/memory.hpp"
#include "core/memory/symbols.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::test {

// Sparse memory: zero-filled regions at chosen addresses. Everything outside them is unmapped.
// Region storage never moves, so views handed out stay valid for the image's lifetime.
class MemoryImage final : public memory::Memory {
  public:
    // Maps `size` zero bytes at `start`; regions may not overlap. Returns `start`.
    uint64_t map(uint64_t start, uint64_t size, std::string name = {});
    bool mapped(uint64_t address, uint64_t length = 1) const;

    // Writes into mapped memory; writing outside it is a bug in the test (std::logic_error).
    void write(uint64_t address, const void* data, size_t length);
    template <class T> void put(uint64_t address, T value) { write(address, &value, sizeof value); }
    template <class T> T get(uint64_t address) const {
        T value{};
        copy_out(address, &value, sizeof value);
        return value;
    }

    size_t read(uint64_t address, std::span<std::byte> out) override;
    const std::byte* view(uint64_t address, size_t length) override;
    std::vector<memory::Region> regions() const override;

    // Reads from several threads at once are safe once the image is built. Claimed when the
    // environment has HEAPY_TEST_CONCURRENT_IMAGES=1, so that the suite can be run again with
    // heap walks that decode in a second thread (as on a core file).
    bool concurrent_reads() const override { return concurrent_; }

    // With views off, every read goes through read() (the path slow sources take).
    void set_views(bool enabled) { views_ = enabled; }
    uint64_t largest_read() const { return largest_read_.load(std::memory_order_relaxed); }

  private:
    struct Block {
        std::vector<std::byte> bytes;
        std::string name;
    };
    // The block holding `address`, and the offset of `address` in it.
    const Block* find(uint64_t address, uint64_t& offset) const;
    void copy_out(uint64_t address, void* out, size_t length) const;

    std::map<uint64_t, Block> blocks_; // by start address
    bool views_ = true;
    bool concurrent_ = concurrent_by_default();
    std::atomic<uint64_t> largest_read_{0};

    static bool concurrent_by_default();
};

// Symbols by name; `modules` is what a real source reports about loaded files.
class SymbolTable final : public memory::Symbols {
  public:
    void define(std::string name, uint64_t address) { symbols_[std::move(name)] = address; }
    void remove(const std::string& name) { symbols_.erase(name); }
    void define_section(std::string name, memory::SectionRange range) {
        sections_[std::move(name)] = range;
    }
    void remove_section(const std::string& name) { sections_.erase(name); }
    std::optional<uint64_t> lookup(std::string_view name) const override;
    std::optional<memory::SectionRange> section(std::string_view name) const override;
    std::vector<memory::LoadedModule> modules() const override { return modules_; }

    std::vector<memory::LoadedModule> modules_;

  private:
    std::map<std::string, uint64_t, std::less<>> symbols_;
    std::map<std::string, memory::SectionRange, std::less<>> sections_;
};

} // namespace heapy::test
