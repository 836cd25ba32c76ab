// Finding the core file a debugger has loaded when its API does not say (lldb before 19 has no
// SBProcess::GetCoreFile): the debugger maps the core into its own address space, so it is the
// ELF core in /proc/self/maps, and its NT_PRPSINFO note names the process it came from.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::frontend {

// The pid recorded in a 64-bit little-endian ELF core (NT_PRPSINFO), nullopt when `path` is not
// such a core; `is_core` tells whether it is an ELF core at all.
inline std::optional<int64_t> core_file_pid(const std::string& path, bool& is_core) {
    is_core = false;
    std::ifstream in(path, std::ios::binary);
    Elf64_Ehdr eh{};
    if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh)) return std::nullopt;
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_type != ET_CORE) return std::nullopt;
    is_core = true;
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
        return std::nullopt;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        in.seekg(static_cast<std::streamoff>(eh.e_phoff + uint64_t(i) * sizeof ph));
        if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) return std::nullopt;
        if (ph.p_type != PT_NOTE) continue;
        std::vector<char> notes(std::min<uint64_t>(ph.p_filesz, 1 << 20));
        in.seekg(static_cast<std::streamoff>(ph.p_offset));
        if (!in.read(notes.data(), static_cast<std::streamsize>(notes.size()))) continue;
        size_t at = 0;
        while (at + sizeof(Elf64_Nhdr) <= notes.size()) {
            Elf64_Nhdr nh{};
            std::memcpy(&nh, notes.data() + at, sizeof nh);
            size_t name_at = at + sizeof nh;
            size_t desc_at = name_at + ((uint64_t(nh.n_namesz) + 3) & ~uint64_t(3));
            size_t next = desc_at + ((uint64_t(nh.n_descsz) + 3) & ~uint64_t(3));
            if (next > notes.size() || next <= at) break;
            // struct elf_prpsinfo on 64-bit Linux: pr_pid (int32) at offset 24.
            if (nh.n_type == NT_PRPSINFO && nh.n_descsz >= 28) {
                int32_t pid = 0;
                std::memcpy(&pid, notes.data() + desc_at + 24, sizeof pid);
                return pid;
            }
            at = next;
        }
    }
    return std::nullopt;
}

// The path of the ELF core mapped into this process for the process `pid` (nullopt: any), or
// nullopt when there is none or it is ambiguous.
inline std::optional<std::string> find_mapped_core(std::optional<int64_t> pid,
                                                   const std::string& maps = "/proc/self/maps") {
    std::ifstream in(maps);
    std::string line;
    std::vector<std::string> paths;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string range, perms, offset, dev, inode;
        if (!(fields >> range >> perms >> offset >> dev >> inode)) continue;
        std::string path;
        std::getline(fields >> std::ws, path);
        if (path.empty() || path[0] != '/') continue;
        constexpr std::string_view deleted = " (deleted)";
        if (path.size() > deleted.size() &&
            path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
            continue;
        bool seen = false;
        for (const auto& p : paths) seen = seen || p == path;
        if (!seen) paths.push_back(path);
    }
    std::vector<std::pair<std::string, std::optional<int64_t>>> cores;
    for (const auto& path : paths) {
        bool is_core = false;
        auto core_pid = core_file_pid(path, is_core);
        if (is_core) cores.emplace_back(path, core_pid);
    }
    std::optional<std::string> match;
    for (const auto& [path, core_pid] : cores) {
        if (pid && core_pid && *core_pid == *pid) {
            if (match) return std::nullopt; // two cores of the same pid: ambiguous
            match = path;
        }
    }
    if (match) return match;
    if (cores.size() == 1 && (!pid || !cores[0].second)) return cores[0].first;
    return std::nullopt;
}

} // namespace heapy::frontend
