#include "core/memory/elf_image.hpp"

#include "core/memory/elf_machine.hpp"

#include <algorithm>
#include <elf.h>

namespace heapy::memory {

std::string BuildId::hex() const {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::byte b : bytes) {
        auto v = static_cast<unsigned>(b);
        out += digits[v >> 4];
        out += digits[v & 15];
    }
    return out;
}

std::optional<ElfImage> ElfImage::parse(std::span<const std::byte> bytes, ElfProblem* problem,
                                        std::string* detail) {
    auto fail = [&](ElfProblem p, std::string d = {}) -> std::optional<ElfImage> {
        if (problem) *problem = p;
        if (detail) *detail = std::move(d);
        return std::nullopt;
    };
    if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
        return fail(ElfProblem::not_elf);
    auto ident = [&](int i) { return static_cast<unsigned char>(bytes[i]); };
    auto what = [&] { return describe_elf_machine(bytes).value_or("unknown machine"); };
    if (ident(EI_CLASS) != ELFCLASS64) return fail(ElfProblem::wrong_class, what());
    if (ident(EI_DATA) != ELFDATA2LSB) return fail(ElfProblem::wrong_endian, what());
    if (bytes.size() < sizeof(Elf64_Ehdr)) return fail(ElfProblem::truncated, "ELF header");
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    if (!supported_machine(eh.e_machine)) return fail(ElfProblem::wrong_machine, what());

    ElfImage img;
    img.bytes_ = bytes;
    img.type_ = eh.e_type;
    img.machine_ = eh.e_machine;
    img.entry_ = eh.e_entry;
    img.phoff_ = eh.e_phoff;
    img.shoff_ = eh.e_shoff;
    img.shnum_ = eh.e_shnum;
    img.shstrndx_ = eh.e_shstrndx;

    // Section header 0 carries the real counts when they overflow 16 bits.
    Elf64_Shdr sh0{};
    bool have_sh0 = false;
    if (eh.e_shoff != 0 && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shoff <= bytes.size() &&
        bytes.size() - eh.e_shoff >= sizeof(Elf64_Shdr)) {
        std::memcpy(&sh0, bytes.data() + eh.e_shoff, sizeof sh0);
        have_sh0 = true;
    }
    if (img.shnum_ == 0 && have_sh0) img.shnum_ = sh0.sh_size;
    if (img.shstrndx_ == SHN_XINDEX && have_sh0) img.shstrndx_ = sh0.sh_link;
    if (eh.e_shentsize != sizeof(Elf64_Shdr)) img.shnum_ = 0;

    uint64_t phnum = eh.e_phnum;
    if (phnum == PN_XNUM) {
        if (!have_sh0) return fail(ElfProblem::truncated, "section header 0");
        phnum = sh0.sh_info;
    }
    img.headers_end_ = sizeof(Elf64_Ehdr);
    if (phnum > 0) {
        if (eh.e_phentsize != sizeof(Elf64_Phdr))
            return fail(ElfProblem::truncated, "bad program header size");
        if (eh.e_phoff > bytes.size() || (bytes.size() - eh.e_phoff) / sizeof(Elf64_Phdr) < phnum)
            return fail(ElfProblem::truncated, "program headers");
        img.segments_.reserve(static_cast<size_t>(phnum));
        for (uint64_t i = 0; i < phnum; ++i) {
            Elf64_Phdr ph;
            std::memcpy(&ph, bytes.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);
            img.segments_.push_back({ph.p_type, ph.p_flags, ph.p_offset, ph.p_vaddr, ph.p_filesz,
                                     ph.p_memsz, ph.p_align});
        }
        img.headers_end_ =
            std::max<uint64_t>(img.headers_end_, eh.e_phoff + phnum * sizeof(Elf64_Phdr));
    }
    if (problem) *problem = ElfProblem::none;
    return img;
}

std::vector<ElfSection> ElfImage::sections() const {
    std::vector<ElfSection> out;
    if (shoff_ == 0 || shnum_ == 0 || shoff_ > bytes_.size() ||
        (bytes_.size() - shoff_) / sizeof(Elf64_Shdr) < shnum_)
        return out;
    auto header = [&](uint64_t i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, bytes_.data() + shoff_ + i * sizeof(Elf64_Shdr), sizeof sh);
        return sh;
    };
    std::span<const std::byte> strtab;
    if (shstrndx_ < shnum_) {
        Elf64_Shdr s = header(shstrndx_);
        if (s.sh_type != SHT_NOBITS) strtab = slice(s.sh_offset, s.sh_size);
    }
    out.reserve(static_cast<size_t>(shnum_));
    for (uint64_t i = 0; i < shnum_; ++i) {
        Elf64_Shdr sh = header(i);
        ElfSection sec;
        if (sh.sh_name < strtab.size()) {
            const char* p = reinterpret_cast<const char*>(strtab.data()) + sh.sh_name;
            size_t max = strtab.size() - sh.sh_name;
            sec.name = std::string_view(p, strnlen(p, max));
        }
        sec.type = sh.sh_type;
        sec.flags = sh.sh_flags;
        sec.addr = sh.sh_addr;
        sec.offset = sh.sh_offset;
        sec.size = sh.sh_size;
        sec.link = sh.sh_link;
        sec.entsize = sh.sh_entsize;
        out.push_back(sec);
    }
    return out;
}

std::optional<BuildId> ElfImage::build_id() const {
    std::optional<BuildId> found;
    for (const ElfSegment& seg : segments_) {
        if (seg.type != PT_NOTE || found) continue;
        std::span<const std::byte> area = slice(seg.offset, seg.filesz);
        for_each_note(area, seg.align, [&](const ElfNote& note) {
            if (found || note.type != NT_GNU_BUILD_ID || note.name != "GNU" || note.desc.empty())
                return;
            BuildId id;
            id.bytes.assign(note.desc.begin(), note.desc.end());
            id.vaddr = seg.vaddr + note.desc_offset;
            found = std::move(id);
        });
    }
    return found;
}

} // namespace heapy::memory
