#pragma once

#include "core/memory/elf_image.hpp"
#include "core/memory/mapped_file.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace heapy::memory {

// One file-backed mapping of a target (from NT_FILE or /proc/PID/maps).
struct ModuleMapping {
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t file_offset = 0;
};

// All mappings of one file in a target, sorted by address.
struct ModuleCandidate {
    std::string path; // as the target names it (" (deleted)" stripped)
    bool deleted = false;
    std::vector<ModuleMapping> mappings;
    uint64_t start() const { return mappings.empty() ? 0 : mappings.front().start; }
    uint64_t end() const;
};

// Groups file mappings by path, in order of each file's lowest address.
std::vector<ModuleCandidate>
group_by_file(const std::vector<std::pair<std::string, ModuleMapping>>& maps);

// An ELF file mapped into the target, opened on this machine.
struct ElfModule {
    std::string path;   // as the target names it
    std::string opened; // the file actually read
    std::shared_ptr<const MappedFile> file;
    ElfImage image;
    std::vector<ModuleMapping> mappings;
    uint64_t bias = 0; // runtime address = bias + link-time address
    bool is_executable = false;
    std::optional<BuildId> build_id;

    uint64_t start() const { return mappings.empty() ? 0 : mappings.front().start; }
    // End of the highest mapping or of the last PT_LOAD's memory (.bss), whichever is higher.
    uint64_t end() const;
};

// The load bias of `image` mapped as `mappings`: taken from a mapping whose file offset is the
// page-aligned file offset of a PT_LOAD (preferring the file's first page), so that segments
// with p_vaddr != p_offset are handled (py-spy #733). Falls back to lowest mapping - first
// PT_LOAD's page-aligned p_vaddr. nullopt when the file has no PT_LOAD.
std::optional<uint64_t> compute_load_bias(const ElfImage& image,
                                          const std::vector<ModuleMapping>& mappings,
                                          uint64_t page_size = 4096);

// Opens the first of `files` that exists and is an ELF file of `machine` (EM_X86_64,
// EM_AARCH64: the target's), and builds the module for `candidate`. Returns nullopt (and a reason
// in `why`) when none can be used. A file that is not ELF at all sets `*not_elf`.
std::optional<ElfModule> load_elf_module(const ModuleCandidate& candidate,
                                         const std::vector<std::string>& files, uint16_t machine,
                                         std::string* why, bool* not_elf = nullptr);

// The module of `image` (the file `opened`, which the target names `path`) loaded with `bias`,
// for a target that lists no mappings of it: one mapping per PT_LOAD, at page granularity.
ElfModule place_elf_module(const std::string& path, const std::string& opened,
                           std::shared_ptr<const MappedFile> file, const ElfImage& image,
                           uint64_t bias, uint64_t page_size);

// True when a path names a libpython shared object ("libpython3.11.so.1.0", ...).
bool is_libpython(const std::string& path);

} // namespace heapy::memory
