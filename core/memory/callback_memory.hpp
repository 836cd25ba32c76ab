#pragma once

#include "core/memory/block_cache.hpp"
#include "core/memory/memory.hpp"
#include "core/memory/symbols.hpp"
#include "core/memory/target.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

namespace heapy::memory {

// Reads `out.size()` bytes at `address` into `out`; returns how many bytes were copied from the
// start (0 when unreadable). Must not throw for unreadable memory (gdb's MemoryError, a failed
// SBProcess::ReadMemory): return a short count instead. heapy::Interrupted may be thrown.
using ReadFunction = std::function<size_t(uint64_t address, std::span<std::byte> out)>;
// The runtime address of a symbol, or nullopt.
using LookupFunction = std::function<std::optional<uint64_t>(std::string_view name)>;
// The runtime range of a named section (e.g. ".PyRuntime"), or nullopt.
using SectionFunction = std::function<std::optional<SectionRange>(std::string_view name)>;

// Memory read through a debugger's callback. Slow per call: wrap it in a BlockCache.
class CallbackMemory final : public Memory {
  public:
    explicit CallbackMemory(ReadFunction read, std::vector<Region> regions = {})
        : read_(std::move(read)), regions_(std::move(regions)) {}
    size_t read(uint64_t address, std::span<std::byte> out) override {
        if (out.empty() || !read_) return 0;
        size_t n = read_(address, out);
        return n > out.size() ? out.size() : n;
    }
    std::vector<Region> regions() const override { return regions_; }

  private:
    ReadFunction read_;
    std::vector<Region> regions_;
};

class ElfSymbols;

// Symbols looked up through a debugger's callbacks; file-local statics (lookup_static) in the
// files of `modules`, which the debugger names but does not search by source file.
class CallbackSymbols final : public Symbols {
  public:
    explicit CallbackSymbols(LookupFunction lookup, SectionFunction section = {},
                             std::vector<LoadedModule> modules = {});
    ~CallbackSymbols() override;
    std::optional<uint64_t> lookup(std::string_view name) const override {
        return lookup_ ? lookup_(name) : std::nullopt;
    }
    std::optional<SectionRange> section(std::string_view name) const override {
        return section_ ? section_(name) : std::nullopt;
    }
    std::vector<LoadedModule> modules() const override { return modules_; }
    std::optional<SectionRange> lookup_static(std::string_view file,
                                              std::string_view name) const override;

  private:
    LookupFunction lookup_;
    SectionFunction section_;
    std::vector<LoadedModule> modules_;
    mutable std::once_flag files_once_;
    mutable std::unique_ptr<ElfSymbols> files_; // the modules' files, opened on first use
};

// What a debugger front end knows about its target besides the two callbacks.
struct CallbackTargetOptions {
    std::string description; // e.g. "process 1234 in gdb"
    std::optional<int> pid;  // for a live process
    std::string executable;
    std::vector<Region> regions;       // the mappings, when the debugger can list them
    std::vector<LoadedModule> modules; // the loaded objects, when known
    SectionFunction section;           // section lookup, when available
    std::vector<int> thread_ids;
    BlockCacheOptions cache; // 64 KiB blocks by default
};

// A Target whose memory is read through `read` (behind a BlockCache) and whose symbols come
// from `lookup`. The debugger must keep the target stopped while the Target is used.
Target make_callback_target(ReadFunction read, LookupFunction lookup,
                            CallbackTargetOptions options = {});

} // namespace heapy::memory
