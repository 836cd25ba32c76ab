#pragma once

#include "core/memory/elf_image.hpp"
#include "core/memory/thread_syscalls.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace heapy::memory {

// One entry of a core's NT_FILE note: a file-backed mapping of the process.
struct FileMapping {
    uint64_t start = 0;
    uint64_t end = 0;         // exclusive
    uint64_t file_offset = 0; // in bytes (page offset * page size)
    std::string path;
};

// What the notes of a Linux core file say about the process.
struct CoreNotes {
    std::vector<FileMapping> files; // NT_FILE, in note order
    bool has_nt_file = false;
    uint64_t page_size = 0;                          // from NT_FILE (0 when absent)
    std::vector<std::pair<uint64_t, uint64_t>> auxv; // NT_AUXV (type, value) pairs
    std::vector<int> thread_ids; // pr_pid of every NT_PRSTATUS, first = the thread that dumped
    int signal = 0;              // pr_cursig of the first NT_PRSTATUS
    std::map<int, ThreadSyscall> thread_syscalls; // by thread id, where the registers say
    std::optional<int> pid;                       // NT_PRPSINFO pr_pid
    std::string command;                          // NT_PRPSINFO pr_fname
    std::string arguments;                        // NT_PRPSINFO pr_psargs
    std::vector<std::string> problems;            // malformed notes that were skipped

    std::optional<uint64_t> auxv_value(uint64_t type) const;
};

// Parses the NT_FILE descriptor. Appends the entries to `out`; returns false (with whatever
// entries were well formed) on a malformed descriptor. `page_size` receives the note's page size.
bool parse_nt_file(std::span<const std::byte> desc, std::vector<FileMapping>& out,
                   uint64_t* page_size);

// Parses every note in a core's PT_NOTE areas, NT_PRSTATUS and NT_PRPSINFO as the core's
// machine lays them out (elf_machine.hpp).
CoreNotes parse_core_notes(const ElfImage& core);

} // namespace heapy::memory
