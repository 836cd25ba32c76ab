#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::memory {

// An ELF object mapped into the target: the executable or a shared object.
struct LoadedModule {
    std::string path;   // as the target named it (NT_FILE, /proc/PID/maps)
    std::string opened; // the file actually read on this machine (may differ, e.g. --exe)
    uint64_t start = 0; // lowest mapped address
    uint64_t end = 0;
    uint64_t bias = 0; // runtime address = bias + st_value
    bool is_executable = false;
    std::string build_id; // GNU build-id in hex, empty when the file has none
};

// A section of a loaded module, at runtime addresses.
struct SectionRange {
    uint64_t start = 0;
    uint64_t end = 0;
};

// Symbol addresses in the target, with load bias applied.
class Symbols {
  public:
    virtual ~Symbols() = default;
    // The runtime address of a data or function symbol (.dynsym, then .symtab), searching the
    // executable first and then every shared object.
    virtual std::optional<uint64_t> lookup(std::string_view name) const = 0;
    // A named section (e.g. ".PyRuntime") of the first module that has it.
    virtual std::optional<SectionRange> section(std::string_view name) const {
        (void)name;
        return std::nullopt;
    }
    virtual std::vector<LoadedModule> modules() const { return {}; }
    // The runtime range [start, end) of the file-local static `name` defined in the source file
    // whose base name is `file` (e.g. "listobject.c", where several files have a `free_list`),
    // from a symbol table that says which file each local symbol comes from (.symtab's STT_FILE
    // entries). nullopt when no module has it, or when two files of one module with that base
    // name both have it; a stripped file has no local symbols at all.
    virtual std::optional<SectionRange> lookup_static(std::string_view file,
                                                      std::string_view name) const {
        (void)file;
        (void)name;
        return std::nullopt;
    }
};

} // namespace heapy::memory
