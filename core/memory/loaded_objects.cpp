#include "core/memory/loaded_objects.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <unordered_set>

namespace heapy::memory {

namespace {

// struct r_debug (link.h), LP64: int r_version, then struct link_map* r_map.
constexpr uint64_t kRDebugMap = 8;
// struct link_map's public head (link.h): l_addr, l_name, l_ld, l_next, l_prev.
struct LinkMapHead {
    uint64_t addr;
    uint64_t name;
    uint64_t ld;
    uint64_t next;
    uint64_t prev;
};
constexpr size_t kMaxName = 4096;

bool read_word(const SegmentMap& memory, uint64_t address, uint64_t& out) {
    return memory.read(address, std::as_writable_bytes(std::span<uint64_t>(&out, 1))) == sizeof out;
}

std::string read_name(const SegmentMap& memory, uint64_t address) {
    std::string out;
    char chunk[256];
    while (out.size() < kMaxName) {
        const size_t n = memory.read(address + out.size(),
                                     std::as_writable_bytes(std::span<char>(chunk, sizeof chunk)));
        if (n == 0) return {};
        const size_t len = strnlen(chunk, n);
        out.append(chunk, len);
        if (len < n) return out;
    }
    return {};
}

} // namespace

LoadedObjectList read_loaded_objects(const SegmentMap& memory, uint64_t dynamic,
                                     uint64_t dynamic_size, size_t max_objects) {
    LoadedObjectList list;
    constexpr uint64_t kMaxDynamicEntries = 4096; // real ones have a few dozen
    dynamic_size = std::min(dynamic_size, kMaxDynamicEntries * sizeof(Elf64_Dyn));
    uint64_t r_debug = 0;
    bool found_debug = false;
    for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dynamic_size; off += sizeof(Elf64_Dyn)) {
        Elf64_Dyn entry;
        if (memory.read(dynamic + off, std::as_writable_bytes(std::span<Elf64_Dyn>(&entry, 1))) !=
            sizeof entry) {
            list.problem = "the executable's dynamic section is not in the core";
            return list;
        }
        if (entry.d_tag == DT_NULL) break;
        if (entry.d_tag == DT_DEBUG) {
            found_debug = true;
            r_debug = entry.d_un.d_ptr;
            break;
        }
    }
    if (!found_debug) {
        list.problem = "the executable has no DT_DEBUG entry (linked statically?)";
        return list;
    }
    uint64_t entry = 0;
    if (r_debug == 0 || !read_word(memory, r_debug + kRDebugMap, entry)) {
        list.problem = "the dynamic linker's r_debug is not in the core";
        return list;
    }
    std::unordered_set<uint64_t> seen;
    while (entry != 0) {
        if (seen.size() >= max_objects || !seen.insert(entry).second) {
            list.problem = "the dynamic linker's list loops";
            return list;
        }
        LinkMapHead head;
        if (memory.read(entry, std::as_writable_bytes(std::span<LinkMapHead>(&head, 1))) !=
            sizeof head) {
            list.problem = "an entry of the dynamic linker's list is not in the core";
            return list;
        }
        // The executable's own entry has an empty name; the vDSO's is not a path.
        std::string name = head.name ? read_name(memory, head.name) : std::string();
        if (!name.empty() && name[0] == '/')
            list.objects.push_back({std::move(name), head.addr, head.ld});
        entry = head.next;
    }
    return list;
}

} // namespace heapy::memory
