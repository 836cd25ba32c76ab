// Parsing of the notes of a Linux ELF core: NT_FILE, NT_AUXV, NT_PRSTATUS, NT_PRPSINFO.
#include "core/memory/core_notes.hpp"

#include "core/memory/elf_machine.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>

namespace heapy::memory {

namespace {

std::string fixed_string(std::span<const std::byte> desc, uint64_t offset, uint64_t max) {
    if (offset >= desc.size()) return {};
    max = std::min<uint64_t>(max, desc.size() - offset);
    const char* p = reinterpret_cast<const char*>(desc.data() + offset);
    std::string s(p, strnlen(p, static_cast<size_t>(max)));
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

} // namespace

std::optional<uint64_t> CoreNotes::auxv_value(uint64_t type) const {
    for (const auto& [t, v] : auxv)
        if (t == type) return v;
    return std::nullopt;
}

bool parse_nt_file(std::span<const std::byte> desc, std::vector<FileMapping>& out,
                   uint64_t* page_size) {
    if (desc.size() < 16) return false;
    uint64_t count = load_le<uint64_t>(desc, 0);
    uint64_t psize = load_le<uint64_t>(desc, 8);
    if (page_size) *page_size = psize;
    // Each entry needs 24 bytes of triple and at least one byte of name.
    if (count > (desc.size() - 16) / 25) return false;
    if (psize == 0 || (psize & (psize - 1)) != 0 || psize > (uint64_t(1) << 30)) return false;
    uint64_t names = 16 + count * 24;
    uint64_t pos = names;
    bool ok = true;
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t start = load_le<uint64_t>(desc, 16 + i * 24);
        uint64_t end = load_le<uint64_t>(desc, 16 + i * 24 + 8);
        uint64_t pgoff = load_le<uint64_t>(desc, 16 + i * 24 + 16);
        if (pos >= desc.size()) {
            ok = false;
            break;
        }
        const char* p = reinterpret_cast<const char*>(desc.data() + pos);
        size_t max = static_cast<size_t>(desc.size() - pos);
        size_t len = strnlen(p, max);
        std::string path(p, len);
        pos += len + 1;
        if (end <= start || pgoff > UINT64_MAX / psize) {
            ok = false;
            continue;
        }
        out.push_back({start, end, pgoff * psize, std::move(path)});
    }
    return ok;
}

CoreNotes parse_core_notes(const ElfImage& core) {
    CoreNotes notes;
    const Machine* machine = supported_machine(core.machine());
    if (!machine) return notes; // ElfImage::parse accepts none other
    const CoreNoteLayout& at = machine->notes;
    for (const ElfSegment& seg : core.segments()) {
        if (seg.type != PT_NOTE) continue;
        std::span<const std::byte> area = core.slice(seg.offset, seg.filesz);
        // Core notes are 4-byte aligned whatever p_align says.
        for_each_note(area, 4, [&](const ElfNote& note) {
            if (note.name == "CORE") {
                switch (note.type) {
                case NT_FILE:
                    if (notes.has_nt_file) break; // only the first one counts
                    notes.has_nt_file = true;
                    if (!parse_nt_file(note.desc, notes.files, &notes.page_size))
                        notes.problems.push_back("malformed NT_FILE note");
                    break;
                case NT_AUXV:
                    if (!notes.auxv.empty()) break;
                    for (uint64_t off = 0; off + 16 <= note.desc.size(); off += 16) {
                        uint64_t t = load_le<uint64_t>(note.desc, off);
                        uint64_t v = load_le<uint64_t>(note.desc, off + 8);
                        if (t == AT_NULL) break;
                        notes.auxv.emplace_back(t, v);
                    }
                    break;
                case NT_PRSTATUS:
                    if (note.desc.size() >= at.prstatus_pid + 4) {
                        if (notes.thread_ids.empty())
                            notes.signal = load_le<int16_t>(note.desc, at.prstatus_cursig);
                        const auto tid = load_le<int32_t>(note.desc, at.prstatus_pid);
                        notes.thread_ids.push_back(tid);
                        if (auto syscall = syscall_from_prstatus(*machine, note.desc))
                            notes.thread_syscalls[tid] = std::move(*syscall);
                    } else {
                        notes.problems.push_back("short NT_PRSTATUS note");
                    }
                    break;
                case NT_PRPSINFO:
                    if (note.desc.size() >= at.prpsinfo_psargs) {
                        notes.pid = load_le<int32_t>(note.desc, at.prpsinfo_pid);
                        notes.command = fixed_string(note.desc, at.prpsinfo_fname, 16);
                        notes.arguments = fixed_string(note.desc, at.prpsinfo_psargs, 80);
                    } else {
                        notes.problems.push_back("short NT_PRPSINFO note");
                    }
                    break;
                default:
                    break;
                }
            }
        });
    }
    return notes;
}

} // namespace heapy::memory
