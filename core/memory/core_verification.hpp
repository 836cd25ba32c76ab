#pragma once

// Whether a file on this machine is the one a core's process mapped: by the build-id the core
// holds for it, else by comparing the pages the core holds.

#include "core/memory/elf_image.hpp"
#include "core/memory/elf_module.hpp"
#include "core/memory/segment_map.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heapy::memory {

enum class Verdict { match, mismatch, unknown };

struct Verification {
    Verdict verdict = Verdict::unknown;
    std::string detail;
};

// The GNU build-id of the ELF image mapped at `start`, read from the core's own dumped bytes
// (its ELF header, program headers and note segment; the kernel dumps the first page of every
// ELF mapping by default).
std::optional<BuildId> build_id_in_core(const SegmentMap& dumped, uint64_t start);
// The same for a file mapped as `mappings`: from the mapping of its first page.
std::optional<BuildId> build_id_in_core(const SegmentMap& dumped,
                                        const std::vector<ModuleMapping>& mappings);

// Checks a module's file against the bytes the core holds for it: the build-id of the image in
// the core against the file's, else the file's build-id bytes at their runtime address, else
// up to 64 KiB of dumped pages of its read-only segments.
Verification verify_against_core(const ElfModule& mod, const SegmentMap& dumped);

} // namespace heapy::memory
