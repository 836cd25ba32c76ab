#include "core/memory/core_verification.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <span>

namespace heapy::memory {

std::optional<BuildId> build_id_in_core(const SegmentMap& dumped, uint64_t start) {
    Elf64_Ehdr eh;
    if (dumped.read(start, std::as_writable_bytes(std::span<Elf64_Ehdr>(&eh, 1))) != sizeof eh)
        return std::nullopt;
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 256 ||
        eh.e_phoff > 65536)
        return std::nullopt;
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    auto ph_bytes = std::as_writable_bytes(std::span<Elf64_Phdr>(ph));
    if (dumped.read(start + eh.e_phoff, ph_bytes) != ph_bytes.size()) return std::nullopt;
    // Link-time address of the file's first byte: from the PT_LOAD that maps offset 0.
    std::optional<uint64_t> bias;
    for (const Elf64_Phdr& p : ph)
        if (p.p_type == PT_LOAD && p.p_offset == 0) {
            bias = start - p.p_vaddr;
            break;
        }
    if (!bias) return std::nullopt;
    for (const Elf64_Phdr& p : ph) {
        if (p.p_type != PT_NOTE || p.p_filesz == 0 || p.p_filesz > 65536) continue;
        std::vector<std::byte> area(p.p_filesz);
        if (dumped.read(*bias + p.p_vaddr, area) != area.size()) continue;
        std::optional<BuildId> found;
        for_each_note(area, p.p_align, [&](const ElfNote& note) {
            if (!found && note.type == NT_GNU_BUILD_ID && note.name == "GNU" && !note.desc.empty())
                found = BuildId{{note.desc.begin(), note.desc.end()}, p.p_vaddr + note.desc_offset};
        });
        if (found) return found;
    }
    return std::nullopt;
}

std::optional<BuildId> build_id_in_core(const SegmentMap& dumped,
                                        const std::vector<ModuleMapping>& mappings) {
    for (const ModuleMapping& m : mappings)
        if (m.file_offset == 0) return build_id_in_core(dumped, m.start);
    return std::nullopt;
}

Verification verify_against_core(const ElfModule& mod, const SegmentMap& dumped) {
    if (const std::optional<BuildId> core_id = build_id_in_core(dumped, mod.mappings)) {
        if (mod.build_id && mod.build_id->bytes == core_id->bytes) return {Verdict::match, {}};
        return {Verdict::mismatch, "build-id " + core_id->hex() + " in the core, " +
                                       (mod.build_id ? mod.build_id->hex() : "none") +
                                       " in the file"};
    }
    if (mod.build_id) {
        const BuildId& id = *mod.build_id;
        std::vector<std::byte> in_core(id.bytes.size());
        if (dumped.read(mod.bias + id.vaddr, in_core) == in_core.size()) {
            if (in_core == id.bytes) return {Verdict::match, {}};
            return {Verdict::mismatch,
                    "the core holds other bytes where its build-id " + id.hex() + " should be"};
        }
    }
    uint64_t compared = 0;
    constexpr uint64_t budget = 64 * 1024;
    for (const ElfSegment& seg : mod.image.segments()) {
        if (seg.type != PT_LOAD || (seg.flags & PF_W) || seg.filesz == 0) continue;
        uint64_t rt_start = mod.bias + seg.vaddr;
        uint64_t rt_end = rt_start + std::min(seg.filesz, seg.memsz);
        if (rt_end < rt_start) continue;
        const auto& pieces = dumped.pieces();
        auto first =
            std::upper_bound(pieces.begin(), pieces.end(), rt_start,
                             [](uint64_t a, const SegmentMap::Piece& q) { return a < q.start; });
        if (first != pieces.begin()) --first;
        for (auto it = first; it != pieces.end() && it->start < rt_end; ++it) {
            const SegmentMap::Piece& p = *it;
            if (compared >= budget) break;
            uint64_t s = std::max(rt_start, p.start), e = std::min(rt_end, p.start + p.size);
            if (s >= e) continue;
            e = std::min(e, s + (budget - compared));
            auto file = mod.image.slice(seg.offset + (s - rt_start), e - s);
            if (file.size() != e - s) continue; // file shorter than its headers claim
            if (std::memcmp(file.data(), p.data + (s - p.start), file.size()) != 0)
                return {Verdict::mismatch,
                        fmt::format("its bytes at {:#x} differ from the core's", s)};
            compared += e - s;
        }
    }
    if (compared > 0) return {Verdict::match, {}};
    return {Verdict::unknown, {}};
}

} // namespace heapy::memory
