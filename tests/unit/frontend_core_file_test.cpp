// Finding the core file a debugger has mapped (plugin/common/core_file.hpp), as the lldb plugin
// does on lldb versions without SBProcess::GetCoreFile.
#include "plugin/common/core_file.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string temp_path(const std::string& name) {
    return "/tmp/heapy-frontend-test-" + std::to_string(::getpid()) + "-" + name;
}

// A minimal ELF core: the header, one PT_NOTE holding an NT_PRPSINFO with `pid`.
void write_core(const std::string& path, int32_t pid) {
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_CORE;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    char desc[136] = {};
    std::memcpy(desc + 24, &pid, sizeof pid);
    Elf64_Nhdr nh{5, sizeof desc, NT_PRPSINFO};
    const char name[8] = "CORE";
    Elf64_Phdr ph{};
    ph.p_type = PT_NOTE;
    ph.p_offset = sizeof eh + sizeof ph;
    ph.p_filesz = sizeof nh + sizeof name + sizeof desc;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&eh), sizeof eh);
    out.write(reinterpret_cast<const char*>(&ph), sizeof ph);
    out.write(reinterpret_cast<const char*>(&nh), sizeof nh);
    out.write(name, sizeof name);
    out.write(desc, sizeof desc);
}

void write_maps(const std::string& path, const std::vector<std::string>& files) {
    std::ofstream out(path);
    out << "55d0c0000000-55d0c0001000 r--p 00000000 08:01 1234   /usr/bin/true\n";
    out << "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0      [stack]\n";
    for (const auto& f : files)
        out << "7f0000000000-7f0000100000 r--p 00000000 08:01 99 " << f << "\n";
}

} // namespace

TEST_CASE("frontend: the mapped core of a pid", "[frontend]") {
    std::string a = temp_path("core.a"), b = temp_path("core.b"), maps = temp_path("maps");
    write_core(a, 1111);
    write_core(b, 2222);

    bool is_core = false;
    CHECK(heapy::frontend::core_file_pid(a, is_core) == 1111);
    CHECK(is_core);
    CHECK_FALSE(heapy::frontend::core_file_pid(maps, is_core));
    CHECK_FALSE(is_core);

    write_maps(maps, {a, b});
    CHECK(heapy::frontend::find_mapped_core(2222, maps) == b);
    CHECK(heapy::frontend::find_mapped_core(1111, maps) == a);
    CHECK_FALSE(heapy::frontend::find_mapped_core(3333, maps));
    CHECK_FALSE(heapy::frontend::find_mapped_core(std::nullopt, maps)); // two: ambiguous

    write_maps(maps, {a, a + " (deleted)"});
    CHECK(heapy::frontend::find_mapped_core(std::nullopt, maps) == a);

    write_maps(maps, {});
    CHECK_FALSE(heapy::frontend::find_mapped_core(1111, maps));

    std::remove(a.c_str());
    std::remove(b.c_str());
    std::remove(maps.c_str());
}
