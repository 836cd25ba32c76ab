#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::memory {

// Bounds-checked views of an ELF64 little-endian file of a machine heapy reads (x86-64, AArch64:
// elf_machine.hpp) held in memory (usually a MappedFile). Every offset and length read from the
// file is checked against its size; nothing here trusts the file.

struct ElfSegment {
    uint32_t type = 0;
    uint32_t flags = 0;
    uint64_t offset = 0;
    uint64_t vaddr = 0;
    uint64_t filesz = 0;
    uint64_t memsz = 0;
    uint64_t align = 0;
};

struct ElfSection {
    std::string_view name; // points into the image
    uint32_t type = 0;
    uint64_t flags = 0;
    uint64_t addr = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
    uint32_t link = 0;
    uint64_t entsize = 0;
};

struct ElfNote {
    uint32_t type = 0;
    std::string_view name; // without the terminating NUL
    std::span<const std::byte> desc;
    uint64_t desc_offset = 0; // offset of desc from the start of the note area
};

// The GNU build-id of a file and where its bytes sit at link-time addresses.
struct BuildId {
    std::vector<std::byte> bytes;
    uint64_t vaddr = 0; // link-time address of the descriptor bytes (add the load bias)

    std::string hex() const;
};

enum class ElfProblem {
    none,
    not_elf,       // bad magic
    wrong_class,   // 32-bit
    wrong_endian,  // big-endian
    wrong_machine, // not a machine heapy reads (supported_machine)
    truncated,     // header or program header table beyond the end of the file
};

class ElfImage {
  public:
    // Parses the ELF header and the program header table. On failure returns nullopt and sets
    // `problem` (and `detail`: for a file of another machine, byte order or word size, what it
    // is, as describe_elf_machine says: "32-bit little-endian ARM (ELF machine 40)").
    static std::optional<ElfImage> parse(std::span<const std::byte> bytes, ElfProblem* problem,
                                         std::string* detail = nullptr);

    std::span<const std::byte> bytes() const { return bytes_; }
    uint16_t type() const { return type_; }       // ET_EXEC, ET_DYN, ET_CORE ...
    uint16_t machine() const { return machine_; } // EM_X86_64, EM_AARCH64
    uint64_t entry() const { return entry_; }
    uint64_t phoff() const { return phoff_; }
    // End offset of the program header table (the header itself included).
    uint64_t headers_end() const { return headers_end_; }
    const std::vector<ElfSegment>& segments() const { return segments_; }

    // The section headers (empty when absent or corrupt), names resolved through .shstrtab.
    std::vector<ElfSection> sections() const;

    // The bytes [offset, offset + size) of the file, clipped to what the file has.
    std::span<const std::byte> slice(uint64_t offset, uint64_t size) const {
        if (offset >= bytes_.size()) return {};
        uint64_t avail = bytes_.size() - offset;
        return bytes_.subspan(static_cast<size_t>(offset),
                              static_cast<size_t>(std::min(avail, size)));
    }

    // The GNU build-id from the PT_NOTE segments, if any.
    std::optional<BuildId> build_id() const;

  private:
    std::span<const std::byte> bytes_;
    uint16_t type_ = 0;
    uint16_t machine_ = 0;
    uint64_t entry_ = 0;
    uint64_t phoff_ = 0;
    uint64_t headers_end_ = 0;
    uint64_t shoff_ = 0;
    uint64_t shnum_ = 0;
    uint64_t shstrndx_ = 0;
    std::vector<ElfSegment> segments_;
};

// Loads a little-endian integer of type T from `bytes` at `offset`; 0 when out of range.
template <typename T> inline T load_le(std::span<const std::byte> bytes, uint64_t offset) {
    T value{};
    if (offset <= bytes.size() && bytes.size() - offset >= sizeof(T))
        std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

// Calls `f(const ElfNote&)` for every well-formed note in `area` (the contents of a PT_NOTE
// segment or SHT_NOTE section); stops at the first malformed one. `align` is 4 or 8.
template <typename F> void for_each_note(std::span<const std::byte> area, uint64_t align, F&& f) {
    if (align != 8) align = 4;
    auto pad = [align](uint64_t n) { return (n + align - 1) & ~(align - 1); };
    uint64_t off = 0;
    const uint64_t size = area.size();
    while (size - off >= 12) {
        uint32_t namesz = load_le<uint32_t>(area, off);
        uint32_t descsz = load_le<uint32_t>(area, off + 4);
        uint32_t type = load_le<uint32_t>(area, off + 8);
        uint64_t name_off = off + 12;
        uint64_t desc_off = name_off + pad(namesz);
        if (desc_off > size || size - desc_off < descsz) return;
        ElfNote note;
        note.type = type;
        const char* name = reinterpret_cast<const char*>(area.data() + name_off);
        size_t name_len = namesz;
        while (name_len > 0 && name[name_len - 1] == '\0') --name_len;
        note.name = std::string_view(name, name_len);
        note.desc = area.subspan(static_cast<size_t>(desc_off), descsz);
        note.desc_offset = desc_off;
        f(static_cast<const ElfNote&>(note));
        uint64_t next = desc_off + pad(descsz);
        if (next <= off || next > size) return;
        off = next;
    }
}

} // namespace heapy::memory
