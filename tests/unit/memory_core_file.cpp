// Synthetic ELF core files and executables written at test time: the core reader, NT_FILE
// fallback, executable checks, truncation, symbols with a load bias, and corrupt input.
#include "core/errors.hpp"
#include "core/memory/core_memory.hpp"
#include "core/memory/core_notes.hpp"
#include "core/memory/elf_machine.hpp"
#include "core/memory/elf_module.hpp"
#include "core/memory/segment_map.hpp"
#include "core/memory/target.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <elf.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>
#include <zstd.h>

using namespace heapy::memory;

namespace {

using Bytes = std::vector<std::byte>;

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/heapy_memory_test_XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

template <typename T> void put(Bytes& b, uint64_t off, const T& v) {
    if (b.size() < off + sizeof(T)) b.resize(off + sizeof(T));
    std::memcpy(b.data() + off, &v, sizeof(T));
}
void put_bytes(Bytes& b, uint64_t off, const void* p, size_t n) {
    if (b.size() < off + n) b.resize(off + n);
    std::memcpy(b.data() + off, p, n);
}
void put_str(Bytes& b, uint64_t off, const std::string& s) {
    put_bytes(b, off, s.c_str(), s.size() + 1);
}
template <typename T> void append(Bytes& b, const T& v) {
    put(b, b.size(), v);
}
void append_bytes(Bytes& b, const Bytes& more) {
    b.insert(b.end(), more.begin(), more.end());
}
void pad_to(Bytes& b, size_t align) {
    while (b.size() % align) b.push_back(std::byte{0});
}

void write_file(const std::string& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes note(const std::string& name, uint32_t type, const Bytes& desc) {
    Bytes b;
    append(b, static_cast<uint32_t>(name.size() + 1));
    append(b, static_cast<uint32_t>(desc.size()));
    append(b, type);
    put_str(b, b.size(), name);
    pad_to(b, 4);
    append_bytes(b, desc);
    pad_to(b, 4);
    return b;
}

// ---------------------------------------------------------------------------------------------
// A fake executable (PIE unless told otherwise), 4 pages plus section data:
//   page 0  (R,  file 0x0000) ELF header, program headers, build-id note at 0x200
//   page 1  (R,  file 0x1000) .rodata: Py_Version (u32) at 0x1100, a string at 0x1200
//   page 2  (RW, file 0x2000) .data: 'D' bytes; .PyRuntime at 0x2800 (0x100 bytes)
//   then .dynsym/.dynstr/.symtab/.strtab/.shstrtab and the section headers.
constexpr uint64_t exe_py_version = 0x1100;
constexpr uint64_t exe_string = 0x1200;
constexpr uint64_t exe_runtime = 0x2800;
constexpr uint32_t py_version_value = 0x030b07f0;
const char* const rodata_text = "static type names live in .rodata";

struct ExeSpec {
    bool pie = true;
    std::optional<Bytes> build_id = Bytes{std::byte{0xab}, std::byte{0xcd}, std::byte{0x01},
                                          std::byte{0x02}, std::byte{0x03}, std::byte{0x04}};
    uint8_t rodata_fill = 0x52;
    uint16_t machine = EM_X86_64;
    bool dynamic = false; // a PT_DYNAMIC at exe_dynamic: DT_DEBUG 0, DT_NULL
};
constexpr uint64_t exe_dynamic = 0x2a00;

Bytes make_exe(const ExeSpec& spec) {
    const uint64_t link = spec.pie ? 0 : 0x400000;
    Bytes b(0x3000, std::byte{0});
    for (uint64_t i = 0x1000; i < 0x2000; ++i) b[i] = std::byte{spec.rodata_fill};
    for (uint64_t i = 0x2000; i < 0x3000; ++i) b[i] = std::byte{'D'};
    put(b, exe_py_version, py_version_value);
    put_str(b, exe_string, rodata_text);
    for (uint64_t i = 0; i < 0x100; ++i) b[exe_runtime + i] = std::byte{static_cast<uint8_t>(i)};
    if (spec.dynamic) {
        put(b, exe_dynamic, Elf64_Dyn{DT_DEBUG, {0}});
        put(b, exe_dynamic + sizeof(Elf64_Dyn), Elf64_Dyn{DT_NULL, {0}});
    }

    // Build-id note at 0x200.
    uint64_t note_size = 0;
    if (spec.build_id) {
        Bytes n = note("GNU", NT_GNU_BUILD_ID, *spec.build_id);
        put_bytes(b, 0x200, n.data(), n.size());
        note_size = n.size();
    }

    // Symbol tables: index 0 null; dynsym: Py_Version, _PyRuntime; symtab adds a local.
    auto strtab = [](const std::vector<std::string>& names, std::vector<uint32_t>& offs) {
        Bytes s{std::byte{0}};
        for (const auto& n : names) {
            offs.push_back(static_cast<uint32_t>(s.size()));
            put_str(s, s.size(), n);
        }
        return s;
    };
    std::vector<uint32_t> dyn_off, sym_off;
    Bytes dynstr = strtab({"Py_Version", "_PyRuntime"}, dyn_off);
    Bytes symstr = strtab({"local_only", "Py_Version", "_PyRuntime", "tls_thing"}, sym_off);
    auto sym = [](uint32_t name, unsigned bind, unsigned type, uint16_t shndx, uint64_t value) {
        Elf64_Sym s{};
        s.st_name = name;
        s.st_info = static_cast<unsigned char>(ELF64_ST_INFO(bind, type));
        s.st_shndx = shndx;
        s.st_value = value;
        s.st_size = 4;
        return s;
    };
    // Section indexes: 1 .note, 2 .rodata, 3 .data, 4 .PyRuntime, 5 .dynsym, 6 .dynstr,
    // 7 .symtab, 8 .strtab, 9 .shstrtab
    Bytes dynsym(sizeof(Elf64_Sym), std::byte{0});
    append(dynsym, sym(dyn_off[0], STB_GLOBAL, STT_OBJECT, 2, link + exe_py_version));
    append(dynsym, sym(dyn_off[1], STB_GLOBAL, STT_OBJECT, 4, link + exe_runtime));
    Bytes symtab(sizeof(Elf64_Sym), std::byte{0});
    append(symtab, sym(sym_off[0], STB_LOCAL, STT_OBJECT, 3, link + 0x2900));
    append(symtab, sym(sym_off[1], STB_GLOBAL, STT_OBJECT, 2, link + exe_py_version));
    append(symtab, sym(sym_off[2], STB_GLOBAL, STT_OBJECT, 4, link + exe_runtime));
    append(symtab, sym(sym_off[3], STB_GLOBAL, STT_TLS, 3, 0x10));
    std::vector<uint32_t> sh_off;
    Bytes shstr = strtab({".note.gnu.build-id", ".rodata", ".data", ".PyRuntime", ".dynsym",
                          ".dynstr", ".symtab", ".strtab", ".shstrtab"},
                         sh_off);

    struct Sec {
        uint32_t name, type;
        uint64_t flags, addr, offset, size;
        uint32_t link, info;
        uint64_t entsize;
    };
    std::vector<Sec> secs;
    secs.push_back({0, SHT_NULL, 0, 0, 0, 0, 0, 0, 0});
    secs.push_back({sh_off[0], SHT_NOTE, SHF_ALLOC, link + 0x200, 0x200, note_size, 0, 0, 0});
    secs.push_back({sh_off[1], SHT_PROGBITS, SHF_ALLOC, link + 0x1000, 0x1000, 0x1000, 0, 0, 0});
    secs.push_back(
        {sh_off[2], SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, link + 0x2000, 0x2000, 0x800, 0, 0, 0});
    secs.push_back({sh_off[3], SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, link + exe_runtime, exe_runtime,
                    0x100, 0, 0, 0});
    auto add_data = [&](const Bytes& d) {
        pad_to(b, 8);
        uint64_t off = b.size();
        append_bytes(b, d);
        return off;
    };
    uint64_t o = add_data(dynsym);
    secs.push_back(
        {sh_off[4], SHT_DYNSYM, SHF_ALLOC, 0, o, dynsym.size(), 6, 1, sizeof(Elf64_Sym)});
    o = add_data(dynstr);
    secs.push_back({sh_off[5], SHT_STRTAB, SHF_ALLOC, 0, o, dynstr.size(), 0, 0, 0});
    o = add_data(symtab);
    secs.push_back({sh_off[6], SHT_SYMTAB, 0, 0, o, symtab.size(), 8, 2, sizeof(Elf64_Sym)});
    o = add_data(symstr);
    secs.push_back({sh_off[7], SHT_STRTAB, 0, 0, o, symstr.size(), 0, 0, 0});
    o = add_data(shstr);
    secs.push_back({sh_off[8], SHT_STRTAB, 0, 0, o, shstr.size(), 0, 0, 0});
    pad_to(b, 8);
    uint64_t shoff = b.size();
    for (const Sec& s : secs) {
        Elf64_Shdr sh{};
        sh.sh_name = s.name;
        sh.sh_type = s.type;
        sh.sh_flags = s.flags;
        sh.sh_addr = s.addr;
        sh.sh_offset = s.offset;
        sh.sh_size = s.size;
        sh.sh_link = s.link;
        sh.sh_info = s.info;
        sh.sh_entsize = s.entsize;
        sh.sh_addralign = 8;
        append(b, sh);
    }

    std::vector<Elf64_Phdr> ph;
    auto seg = [](uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
                  uint64_t memsz, uint64_t align) {
        Elf64_Phdr p{};
        p.p_type = type;
        p.p_flags = flags;
        p.p_offset = off;
        p.p_vaddr = p.p_paddr = vaddr;
        p.p_filesz = filesz;
        p.p_memsz = memsz;
        p.p_align = align;
        return p;
    };
    ph.push_back(
        seg(PT_PHDR, PF_R, 64, link + 64, 5 * sizeof(Elf64_Phdr), 5 * sizeof(Elf64_Phdr), 8));
    ph.push_back(seg(PT_LOAD, PF_R, 0, link, 0x2000, 0x2000, 0x1000));
    ph.push_back(seg(PT_LOAD, PF_R | PF_W, 0x2000, link + 0x2000, 0x1000, 0x2000, 0x1000));
    ph.push_back(seg(PT_NOTE, PF_R, 0x200, link + 0x200, note_size, note_size, 4));
    if (!spec.build_id) ph.back().p_type = PT_NULL;
    ph.push_back(seg(spec.dynamic ? PT_DYNAMIC : PT_NULL, PF_R | PF_W, exe_dynamic,
                     link + exe_dynamic, 2 * sizeof(Elf64_Dyn), 2 * sizeof(Elf64_Dyn), 8));

    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = spec.pie ? ET_DYN : ET_EXEC;
    eh.e_machine = spec.machine;
    eh.e_version = EV_CURRENT;
    eh.e_entry = link + 0x1000;
    eh.e_phoff = 64;
    eh.e_shoff = shoff;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = static_cast<uint16_t>(ph.size());
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = static_cast<uint16_t>(secs.size());
    eh.e_shstrndx = 9;
    put(b, 0, eh);
    for (size_t i = 0; i < ph.size(); ++i) put(b, 64 + i * sizeof(Elf64_Phdr), ph[i]);
    return b;
}

// ---------------------------------------------------------------------------------------------
// A fake core of a process running that executable.
struct CoreSeg {
    uint64_t vaddr = 0;
    uint64_t memsz = 0;
    uint32_t flags = PF_R;
    Bytes data; // filesz = data.size()
};

Bytes make_core(const Bytes& notes, const std::vector<CoreSeg>& segs, uint16_t type = ET_CORE,
                uint16_t machine = EM_X86_64) {
    Bytes b;
    const size_t nph = 1 + segs.size();
    uint64_t notes_off = 64 + nph * sizeof(Elf64_Phdr);
    b.resize(notes_off);
    append_bytes(b, notes);
    pad_to(b, 16);
    std::vector<Elf64_Phdr> ph;
    Elf64_Phdr n{};
    n.p_type = PT_NOTE;
    n.p_offset = notes_off;
    n.p_filesz = notes.size();
    n.p_align = 4;
    ph.push_back(n);
    for (const CoreSeg& s : segs) {
        Elf64_Phdr p{};
        p.p_type = PT_LOAD;
        p.p_flags = s.flags;
        p.p_offset = s.data.empty() ? 0 : b.size();
        p.p_vaddr = s.vaddr;
        p.p_filesz = s.data.size();
        p.p_memsz = s.memsz;
        p.p_align = 1;
        append_bytes(b, s.data);
        ph.push_back(p);
    }
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = type;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = 64;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = static_cast<uint16_t>(nph);
    put(b, 0, eh);
    for (size_t i = 0; i < ph.size(); ++i) put(b, 64 + i * sizeof(Elf64_Phdr), ph[i]);
    return b;
}

struct NtFile {
    uint64_t start, end, pgoff;
    std::string path;
};

Bytes nt_file_desc(const std::vector<NtFile>& files) {
    Bytes d;
    append(d, static_cast<uint64_t>(files.size()));
    append(d, static_cast<uint64_t>(4096));
    for (const auto& f : files) {
        append(d, f.start);
        append(d, f.end);
        append(d, f.pgoff);
    }
    for (const auto& f : files) put_str(d, d.size(), f.path);
    return d;
}

// x86-64's: pr_reg at 112, orig_rax its 16th word (-1: in user code), rdi its 15th.
Bytes prstatus(int tid, int sig, int64_t orig_rax = -1, uint64_t rdi = 0) {
    Bytes d(0x150, std::byte{0});
    put(d, 12, static_cast<int16_t>(sig));
    put(d, 32, static_cast<int32_t>(tid));
    put(d, 112 + 15 * 8, orig_rax);
    put(d, 112 + 14 * 8, rdi);
    return d;
}

Bytes prpsinfo(int pid, const std::string& fname) {
    Bytes d(0x88, std::byte{0});
    put(d, 24, static_cast<int32_t>(pid));
    put_bytes(d, 40, fname.data(), std::min<size_t>(fname.size(), 15));
    put_str(d, 56, "fake -c test");
    return d;
}

Bytes fill(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = std::byte{static_cast<uint8_t>(seed + i * 7)};
    return b;
}

// The layout of the fake process.
constexpr uint64_t B = 0x555555554000; // executable load address (PIE)
constexpr uint64_t H = 0x555555800000; // heap
constexpr uint64_t L = 0x7ffff7a00000; // a data file mapping the core omits
constexpr uint64_t M = 0x7ffff7b00000; // a missing shared object the core omits

struct Scenario {
    TempDir dir;
    std::string exe, data, core;
    Bytes exe_bytes, data_bytes, heap1, heap2;

    explicit Scenario(ExeSpec spec = {}, bool with_nt_file = true, bool dump_exe_header = true,
                      uint16_t core_machine = EM_X86_64) {
        exe = dir.file("fake_python");
        data = dir.file("data.bin");
        core = dir.file("core.100");
        exe_bytes = make_exe(spec);
        write_file(exe, exe_bytes);
        data_bytes = fill(0x1000, 3);
        write_file(data, data_bytes);

        Bytes notes;
        append_bytes(notes, note("CORE", NT_PRSTATUS, prstatus(100, 11)));
        append_bytes(notes, note("CORE", NT_PRPSINFO, prpsinfo(100, "fake_python")));
        Bytes auxv;
        for (auto [t, v] : std::vector<std::pair<uint64_t, uint64_t>>{
                 {AT_PHDR, B + 64}, {AT_ENTRY, B + 0x1000}, {AT_EXECFN, H + 0x10}, {AT_NULL, 0}}) {
            append(auxv, t);
            append(auxv, v);
        }
        append_bytes(notes, note("CORE", NT_AUXV, auxv));
        append_bytes(notes, note("CORE", NT_PRSTATUS, prstatus(101, 0, 202, 0x7f0000001234)));
        if (with_nt_file)
            append_bytes(notes,
                         note("CORE", NT_FILE,
                              nt_file_desc({{B, B + 0x2000, 0, exe},
                                            {B + 0x2000, B + 0x3000, 2, exe},
                                            {L, L + 0x1000, 0, data},
                                            {M, M + 0x1000, 0, "/nonexistent/libgone.so.1"}})));

        heap1 = fill(0x3000, 1);
        put_str(heap1, 0x10, exe); // AT_EXECFN string
        heap2 = fill(0x2000, 2);
        Bytes exe_page0(exe_bytes.begin(), exe_bytes.begin() + 0x1000);
        Bytes exe_data(exe_bytes.begin() + 0x2000, exe_bytes.begin() + 0x3000);
        std::vector<CoreSeg> segs;
        // exe first mapping: only the first page dumped (kernel style: filesz < memsz).
        segs.push_back({B, 0x2000, PF_R, dump_exe_header ? exe_page0 : Bytes{}});
        // exe data mapping, dumped whole, plus its .bss-like anonymous tail.
        segs.push_back({B + 0x2000, 0x1000, PF_R | PF_W, exe_data});
        segs.push_back({H, 0x3000, PF_R | PF_W, heap1});
        segs.push_back({H + 0x3000, 0x2000, PF_R | PF_W, heap2});
        segs.push_back({H + 0x5000, 0x1000, PF_R | PF_W, {}}); // omitted anonymous memory
        write_file(core, make_core(notes, segs, ET_CORE, core_machine));
    }
};

uint32_t read_u32(Memory& m, uint64_t a) {
    uint32_t v = 0;
    REQUIRE(m.read(a, std::as_writable_bytes(std::span<uint32_t>(&v, 1))) == 4);
    return v;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const heapy::Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("core: reads and views across dumped segments", "[memory]") {
    Scenario s;
    Target t = open_core(s.core);
    Memory& m = *t.memory;

    // Across two adjacent PT_LOADs that are contiguous in the file: one piece.
    Bytes buf(32);
    REQUIRE(m.read(H + 0x2ff0, buf) == 32);
    CHECK(std::memcmp(buf.data(), s.heap1.data() + 0x2ff0, 16) == 0);
    CHECK(std::memcmp(buf.data() + 16, s.heap2.data(), 16) == 0);
    const std::byte* v = m.view(H + 0x2ff0, 32);
    REQUIRE(v != nullptr);
    CHECK(std::memcmp(v, buf.data(), 32) == 0);
    CHECK(m.view(H + 0x100, 8) == m.view(H + 0x100, 8)); // stable, zero copy

    // Omitted anonymous memory and unmapped memory are unreadable; short reads stop there.
    CHECK(m.read(H + 0x5000, buf) == 0);
    CHECK(m.read(H + 0x4ff8, buf) == 8);
    CHECK(m.view(H + 0x4ff8, 16) == nullptr);
    CHECK(m.read(0x1000, buf) == 0);
    CHECK(m.read(UINT64_MAX - 4, buf) == 0);

    // The executable's data segment comes from the core.
    CHECK(read_u32(m, B + exe_runtime) == 0x03020100);
}

TEST_CASE("core: file-backed pages the core omits come from the named files", "[memory]") {
    Scenario s;
    Target t = open_core(s.core);
    Memory& m = *t.memory;

    // .rodata of the executable (second page of its first mapping; the core has only the first).
    CHECK(read_u32(m, B + exe_py_version) == py_version_value);
    const std::byte* str = m.view(B + exe_string, std::strlen(rodata_text) + 1);
    REQUIRE(str != nullptr);
    CHECK(std::string(reinterpret_cast<const char*>(str)) == rodata_text);

    // A read straddling the dumped page and the file-backed page.
    Bytes buf(16);
    REQUIRE(m.read(B + 0xff8, buf) == 16);
    CHECK(std::memcmp(buf.data(), s.exe_bytes.data() + 0xff8, 16) == 0);

    // A whole mapping the core left out (gcore style), from a non-ELF file.
    REQUIRE(m.read(L + 0x20, buf) == 16);
    CHECK(std::memcmp(buf.data(), s.data_bytes.data() + 0x20, 16) == 0);

    // A missing file: unreadable, and a note names it.
    CHECK(m.read(M, buf) == 0);
    bool noted = false;
    for (const auto& n : t.notes)
        noted = noted || n.find("/nonexistent/libgone.so.1") != std::string::npos;
    CHECK(noted);

    // Regions: every mapping, with its file.
    auto regions = m.regions();
    REQUIRE(!regions.empty());
    CHECK(std::is_sorted(regions.begin(), regions.end(),
                         [](const Region& a, const Region& b) { return a.start < b.start; }));
    bool saw_data = false, saw_exe = false;
    for (const Region& r : regions) {
        saw_data = saw_data || (r.start == L && r.path == s.data);
        saw_exe = saw_exe || (r.start == B + 0x2000 && r.path == s.exe && r.file_offset == 0x2000 &&
                              r.writable);
    }
    CHECK(saw_data);
    CHECK(saw_exe);
}

TEST_CASE("core: notes, executable and symbols with a load bias", "[memory]") {
    Scenario s;
    Target t = open_core(s.core);
    CHECK(t.executable == s.exe);
    CHECK(t.thread_ids == std::vector<int>{100, 101});
    // Thread 100 was in user code, 101 waited in futex() on 0x7f0000001234.
    REQUIRE(t.thread_syscalls.size() == 2);
    CHECK_FALSE(t.thread_syscalls.at(100).in_syscall);
    CHECK(t.thread_syscalls.at(101).name == "futex");
    CHECK(t.thread_syscalls.at(101).wait == SyscallWait::Lock);
    CHECK(t.thread_syscalls.at(101).first_argument == 0x7f0000001234);
    CHECK(t.description.find("pid 100") != std::string::npos);
    CHECK(t.description.find("2 threads") != std::string::npos);
    CHECK(t.description.find("SIGSEGV") != std::string::npos);
    CHECK(t.missing_bytes == 0);

    Symbols& sym = *t.symbols;
    CHECK(sym.lookup("Py_Version") == B + exe_py_version);
    CHECK(sym.lookup("_PyRuntime") == B + exe_runtime);
    CHECK(sym.lookup("local_only") == B + 0x2900); // .symtab local
    CHECK_FALSE(sym.lookup("tls_thing").has_value());
    CHECK_FALSE(sym.lookup("no_such_symbol").has_value());
    auto sec = sym.section(".PyRuntime");
    REQUIRE(sec.has_value());
    CHECK(sec->start == B + exe_runtime);
    CHECK(sec->end == B + exe_runtime + 0x100);
    CHECK_FALSE(sym.section(".nope").has_value());

    auto mods = sym.modules();
    REQUIRE(mods.size() == 1);
    CHECK(mods[0].is_executable);
    CHECK(mods[0].bias == B);
    CHECK(mods[0].start == B);
    CHECK(mods[0].end == B + 0x4000); // includes the .bss tail of the RW segment
    CHECK(mods[0].build_id == "abcd01020304");

    // Symbols and memory agree.
    CHECK(read_u32(*t.memory, *sym.lookup("Py_Version")) == py_version_value);
}

TEST_CASE("core: the executable named on the command line is checked", "[memory]") {
    Scenario s;
    // The same file under another name: accepted.
    std::string copy = s.dir.file("python_copy");
    std::filesystem::copy_file(s.exe, copy);
    Target t = open_core(s.core, copy);
    CHECK(t.executable == copy);
    CHECK(t.symbols->lookup("Py_Version") == B + exe_py_version);
    CHECK(read_u32(*t.memory, B + exe_py_version) == py_version_value);

    // Another build-id: refused.
    ExeSpec other;
    other.build_id = Bytes{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    std::string wrong = s.dir.file("other_python");
    write_file(wrong, make_exe(other));
    std::string msg = error_of([&] { open_core(s.core, wrong); });
    CHECK(msg.find("executable " + wrong + " does not match core " + s.core) == 0);
    CHECK(msg.find("build-id") != std::string::npos);

    // Not ELF, missing.
    CHECK(error_of([&] { open_core(s.core, s.data); }).find("is not an ELF executable") !=
          std::string::npos);
    CHECK(error_of([&] { open_core(s.core, s.dir.file("nope")); }).find("No such file") !=
          std::string::npos);
}

TEST_CASE("core: executables without a build-id are compared page by page", "[memory]") {
    ExeSpec spec;
    spec.build_id.reset();
    Scenario s(spec);
    Target t = open_core(s.core);
    CHECK(t.symbols->lookup("Py_Version") == B + exe_py_version);
    for (const auto& n : t.notes) CHECK(n.find("could not check") == std::string::npos);

    // Same layout, other bytes in the dumped first page: refused.
    Bytes other = s.exe_bytes;
    other[0x300] = std::byte{0x77};
    std::string wrong = s.dir.file("changed");
    write_file(wrong, other);
    CHECK(error_of([&] { open_core(s.core, wrong); }).find("does not match core") !=
          std::string::npos);

    // When the core holds none of its pages the file cannot be checked: a note says so.
    Scenario bare(spec, true, false);
    Target t2 = open_core(bare.core);
    bool noted = false;
    for (const auto& n : t2.notes) noted = noted || n.find("could not check") != std::string::npos;
    CHECK(noted);
    CHECK(read_u32(*t2.memory, B + exe_py_version) == py_version_value);
}

TEST_CASE("core: a core without NT_FILE: the executable AT_EXECFN names, or --exe", "[memory]") {
    Scenario s({}, false);
    Target t = open_core(s.core); // AT_EXECFN names s.exe; placed with AT_PHDR
    CHECK(t.executable == s.exe);
    CHECK(t.symbols->lookup("Py_Version") == B + exe_py_version);
    CHECK(read_u32(*t.memory, B + exe_py_version) == py_version_value); // from the file

    const std::string copy = s.dir.file("python_copy");
    std::filesystem::copy_file(s.exe, copy);
    Target t2 = open_core(s.core, copy);
    CHECK(t2.symbols->lookup("Py_Version") == B + exe_py_version);
    CHECK(t2.executable == copy);

    // Gone from where AT_EXECFN says: a note, and nothing read in its place.
    std::filesystem::remove(s.exe);
    Target t3 = open_core(s.core);
    CHECK(t3.symbols->modules().empty());
    CHECK(t3.missing_modules == std::vector<std::string>{s.exe});
    Bytes four(4);
    CHECK(t3.memory->read(B + exe_py_version, four) == 0);
}

TEST_CASE("core: errors name the file and what to do", "[memory]") {
    Scenario s;
    CHECK(error_of([&] { open_core(s.dir.file("missing.core")); }) ==
          "cannot open core file " + s.dir.file("missing.core") + ": No such file or directory");
    CHECK(error_of([&] { open_core(s.data); }).find(s.data + " is not an ELF core file") == 0);
    CHECK(error_of([&] {
              open_core(s.exe);
          }).find(s.exe + " is not an ELF core file (it is a shared object") == 0);
    CHECK(error_of([&] { open_core(s.dir.path); }).find("not a regular file") != std::string::npos);

    // Other word sizes, byte orders and machines: one line that names what the core is.
    const std::string only = "; heapy reads the cores of 64-bit little-endian AArch64 and x86-64 "
                             "processes only";
    Bytes arm32 = make_core({}, {});
    arm32[EI_CLASS] = std::byte{ELFCLASS32};
    put(arm32, offsetof(Elf64_Ehdr, e_machine), static_cast<uint16_t>(EM_ARM));
    write_file(s.dir.file("c32"), arm32);
    CHECK(error_of([&] { open_core(s.dir.file("c32")); }) ==
          s.dir.file("c32") + " is an ELF file for 32-bit little-endian ARM (ELF machine 40)" +
              only);
    Bytes ppc = make_core({}, {});
    ppc[EI_DATA] = std::byte{ELFDATA2MSB};
    put(ppc, offsetof(Elf64_Ehdr, e_machine), uint16_t{EM_PPC64 << 8}); // big-endian 21
    write_file(s.dir.file("cppc"), ppc);
    CHECK(error_of([&] { open_core(s.dir.file("cppc")); }) ==
          s.dir.file("cppc") + " is an ELF file for 64-bit big-endian PowerPC64 (ELF machine 21)" +
              only);
    Bytes riscv = make_core({}, {}, ET_CORE, EM_RISCV);
    write_file(s.dir.file("criscv"), riscv);
    CHECK(error_of([&] { open_core(s.dir.file("criscv")); }) ==
          s.dir.file("criscv") +
              " is an ELF file for 64-bit little-endian RISC-V (ELF machine 243)" + only);
    Bytes odd = make_core({}, {}, ET_CORE, 0x7777);
    write_file(s.dir.file("codd"), odd);
    CHECK(error_of([&] { open_core(s.dir.file("codd")); }) ==
          s.dir.file("codd") + " is an ELF file for 64-bit little-endian ELF machine 30583" + only);
    CHECK(describe_elf_machine(Bytes(10)) == std::nullopt);

    write_file(s.dir.file("empty"), {});
    CHECK(error_of([&] { open_core(s.dir.file("empty")); }).find("is not an ELF core file") !=
          std::string::npos);
}

TEST_CASE("core: truncated cores", "[memory]") {
    Scenario s;
    Bytes full;
    {
        std::ifstream in(s.core, std::ios::binary);
        std::vector<char> chars((std::istreambuf_iterator<char>(in)), {});
        full.resize(chars.size());
        std::memcpy(full.data(), chars.data(), chars.size());
    }
    // Cut in the middle of the second heap segment.
    std::string cut = s.dir.file("core.cut");
    size_t keep = full.size() - 0x1000;
    write_file(cut, Bytes(full.begin(), full.begin() + static_cast<long>(keep)));
    std::string msg = error_of([&] { open_core(cut); });
    CHECK(msg.find("core file " + cut + " is truncated (") == 0);
    CHECK(msg.find("pass --allow-truncated to analyse what is there") != std::string::npos);

    CoreOptions opts;
    opts.allow_truncated = true;
    Target t = open_core(cut, opts);
    CHECK(t.missing_bytes == 0x1000);
    bool noted = false;
    for (const auto& n : t.notes) noted = noted || n.find("truncated") != std::string::npos;
    CHECK(noted);
    Bytes buf(16);
    CHECK(t.memory->read(H + 0x100, buf) == 16); // before the cut
    CHECK(t.memory->read(H + 0x4000, buf) == 0); // after the cut
    CHECK(t.memory->read(H + 0x3ff8, buf) == 8); // across it
    CHECK(t.symbols->lookup("Py_Version") == B + exe_py_version);

    // Headers themselves cut: an error even when allowed.
    std::string tiny = s.dir.file("core.tiny");
    write_file(tiny, Bytes(full.begin(), full.begin() + 100));
    CHECK(error_of([&] { open_core(tiny, opts); }).find("truncated") != std::string::npos);
}

TEST_CASE("core: corrupt and truncated input never crashes", "[memory]") {
    Scenario s;
    Bytes full;
    {
        std::ifstream in(s.core, std::ios::binary);
        std::vector<char> chars((std::istreambuf_iterator<char>(in)), {});
        full.resize(chars.size());
        std::memcpy(full.data(), chars.data(), chars.size());
    }
    // Headers + notes are where the parsing is; mutate there mostly.
    const size_t hot = std::min<size_t>(full.size(), 0xc00);
    std::mt19937_64 rng(12345);
    std::string path = s.dir.file("core.fuzz");
    CoreOptions opts;
    opts.allow_truncated = true;
    int opened = 0;
    for (int iter = 0; iter < 300; ++iter) {
        Bytes b = full;
        int flips = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < flips; ++i) {
            size_t pos = rng() % hot;
            switch (rng() % 3) {
            case 0:
                b[pos] = std::byte{static_cast<uint8_t>(rng())};
                break;
            case 1:
                b[pos] = std::byte{0xff};
                break;
            default:
                if (pos + 8 <= b.size()) put(b, pos, static_cast<uint64_t>(rng()));
            }
        }
        if (iter % 5 == 0) b.resize(rng() % b.size());
        write_file(path, b);
        try {
            Target t = open_core(path, opts);
            ++opened;
            Bytes buf(64);
            for (uint64_t a :
                 {B, B + exe_py_version, H, H + 0x2ff0, L, M, uint64_t(0), UINT64_MAX - 8})
                (void)t.memory->read(a, buf), (void)t.memory->view(a, 16);
            (void)t.symbols->lookup("Py_Version");
            (void)t.symbols->section(".PyRuntime");
            (void)t.memory->regions();
        } catch (const heapy::Error&) {
        }
    }
    CHECK(opened > 0);
}

TEST_CASE("core notes: NT_FILE parsing is bounds-checked", "[memory]") {
    std::vector<FileMapping> out;
    uint64_t page = 0;
    Bytes good = nt_file_desc({{0x1000, 0x2000, 1, "/a"}, {0x3000, 0x5000, 0, "/b"}});
    REQUIRE(parse_nt_file(good, out, &page));
    REQUIRE(out.size() == 2);
    CHECK(out[0].file_offset == 0x1000);
    CHECK(out[1].path == "/b");
    CHECK(page == 4096);

    // Count far beyond the descriptor, names missing, end < start.
    Bytes huge = good;
    put(huge, 0, uint64_t(1) << 60);
    out.clear();
    CHECK_FALSE(parse_nt_file(huge, out, &page));
    CHECK(out.empty());
    Bytes cut(good.begin(), good.end() - 3);
    out.clear();
    CHECK_FALSE(parse_nt_file(cut, out, &page));
    CHECK(out.size() == 1);
    Bytes inverted = nt_file_desc({{0x2000, 0x1000, 0, "/x"}});
    out.clear();
    CHECK_FALSE(parse_nt_file(inverted, out, &page));
    CHECK(out.empty());
    CHECK_FALSE(parse_nt_file({}, out, &page));
}

TEST_CASE("segment map: overlaps, merging, wrap-around", "[memory]") {
    Bytes a = fill(0x100, 1), b = fill(0x100, 2);
    // b overlaps the end of a: a keeps the shared bytes.
    SegmentMap m({{0x1080, 0x100, b.data()}, {0x1000, 0x100, a.data()}});
    REQUIRE(m.pieces().size() == 2);
    CHECK(m.pieces()[1].start == 0x1100);
    CHECK(m.pieces()[1].data == b.data() + 0x80);
    Bytes buf(0x180);
    CHECK(m.read(0x1000, buf) == 0x180);
    CHECK(buf[0x7f] == a[0x7f]);
    CHECK(buf[0x100] == b[0x80]);
    CHECK(m.view(0x10f0, 0x20) == nullptr); // crosses pieces that are not contiguous in memory

    // Contiguous in address and data: merged into one piece.
    SegmentMap merged({{0x1000, 0x80, a.data()}, {0x1080, 0x80, a.data() + 0x80}});
    CHECK(merged.pieces().size() == 1);
    CHECK(merged.view(0x1070, 0x20) == a.data() + 0x70);

    // A piece running off the end of the address space is clipped, reads do not wrap.
    SegmentMap top({{UINT64_MAX - 0x10, 0x100, a.data()}});
    CHECK(top.read(UINT64_MAX - 0x10, buf) == 0x10);
    CHECK(top.find(5) == nullptr);
    SegmentMap empty(std::vector<SegmentMap::Piece>{});
    CHECK(empty.read(0, buf) == 0);
    CHECK(empty.view(0, 1) == nullptr);
}

TEST_CASE("load bias from mappings, including p_vaddr != p_offset", "[memory]") {
    // A libpython-like shared object: RW segment with p_vaddr = p_offset + 0x1000.
    Bytes lib = make_exe({});
    ElfProblem problem;
    auto img = ElfImage::parse(lib, &problem);
    REQUIRE(img);
    const uint64_t base = 0x7f0000000000;
    CHECK(compute_load_bias(
              *img, {{base, base + 0x2000, 0}, {base + 0x2000, base + 0x3000, 0x2000}}) == base);
    // Only a later mapping is known: still right.
    CHECK(compute_load_bias(*img, {{base + 0x2000, base + 0x3000, 0x2000}}) == base);

    // Hand-made header: LOAD0 off 0 vaddr 0; LOAD1 off 0x414ed0 vaddr 0x415ed0 (py-spy #733).
    Bytes h = lib;
    Elf64_Phdr p{};
    std::memcpy(&p, h.data() + 64 + 2 * sizeof(Elf64_Phdr), sizeof p);
    p.p_offset = 0x414ed0;
    p.p_vaddr = 0x415ed0;
    put(h, 64 + 2 * sizeof(Elf64_Phdr), p);
    auto img2 = ElfImage::parse(h, &problem);
    REQUIRE(img2);
    CHECK(compute_load_bias(*img2, {{base + 0x415000, base + 0x417000, 0x414000}}) == base);
    CHECK(compute_load_bias(*img2, {{base, base + 0x1000, 0},
                                    {base + 0x415000, base + 0x417000, 0x414000}}) == base);

    // Non-PIE at its link address: bias 0.
    ExeSpec fixed;
    fixed.pie = false;
    Bytes exe = make_exe(fixed);
    auto img3 = ElfImage::parse(exe, &problem);
    REQUIRE(img3);
    CHECK(compute_load_bias(*img3, {{0x400000, 0x402000, 0}}) == 0);
}

TEST_CASE("core: a compressed core reads as the plain one", "[memory][compression]") {
    Scenario s;
    std::ifstream in(s.core, std::ios::binary);
    const std::string plain((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string packed(ZSTD_compressBound(plain.size()), '\0');
    const size_t n = ZSTD_compress(packed.data(), packed.size(), plain.data(), plain.size(), 3);
    REQUIRE(!ZSTD_isError(n));
    packed.resize(n);
    const std::string zst = s.dir.file("core.python3.1000.abc.100.1700000000000000.zst");
    std::ofstream(zst, std::ios::binary).write(packed.data(), std::streamsize(packed.size()));

    Target from_plain = open_core(s.core);
    Target from_zst = open_core(zst);
    CHECK(from_zst.executable == from_plain.executable);
    CHECK(from_zst.thread_ids == from_plain.thread_ids);
    CHECK(from_zst.description.find(zst) != std::string::npos);
    Bytes a(0x3000), b(0x3000);
    CHECK(from_zst.memory->read(H, b) == from_plain.memory->read(H, a));
    CHECK(a == b);
    CHECK(read_u32(*from_zst.memory, B + exe_py_version) == py_version_value);

    // Cut short, it is refused with one line that says so.
    packed.resize(packed.size() / 2);
    std::ofstream(zst, std::ios::binary | std::ios::trunc)
        .write(packed.data(), std::streamsize(packed.size()));
    CHECK_THROWS_WITH(open_core(zst), Catch::Contains("ends in the middle of its zstd data"));
}

TEST_CASE("core: files gone or rebuilt are found by the core's build-id", "[memory]") {
    Scenario s;
    const std::string cache = s.dir.file("debuginfod");
    const std::string kept = cache + "/abcd01020304/executable";
    std::filesystem::create_directories(cache + "/abcd01020304");
    const char* old_cache = std::getenv("DEBUGINFOD_CACHE_PATH");
    const std::string saved = old_cache ? old_cache : "";
    ::setenv("DEBUGINFOD_CACHE_PATH", cache.c_str(), 1);

    // Gone from where the core says: debuginfod's cached copy.
    std::filesystem::rename(s.exe, kept);
    Target gone = open_core(s.core);
    CHECK(gone.executable == kept);
    CHECK(gone.symbols->lookup("_PyRuntime") == B + exe_runtime);
    CHECK(read_u32(*gone.memory, B + exe_py_version) == py_version_value);

    // Rebuilt in place (another build-id): the kept copy, not the new file.
    ExeSpec other;
    other.build_id = Bytes{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    write_file(s.exe, make_exe(other));
    Target rebuilt = open_core(s.core);
    CHECK(rebuilt.executable == kept);
    CHECK(rebuilt.symbols->lookup("Py_Version") == B + exe_py_version);

    // Where a debugger found it (lldb's modules, by build-id): that file first.
    const std::string found = s.dir.file("found_by_debugger");
    std::filesystem::copy_file(kept, found);
    CoreOptions options;
    options.files_by_build_id = {{"abcd01020304", found}};
    CHECK(open_core(s.core, options).executable == found);

    // A kept file of another build is not taken for it.
    write_file(kept, make_exe(other));
    CHECK_THROWS_WITH(open_core(s.core), Catch::Contains("does not match it"));
    options.files_by_build_id = {{"abcd01020304", kept}};
    CHECK_THROWS_WITH(open_core(s.core, options), Catch::Contains("does not match it"));

    if (old_cache)
        ::setenv("DEBUGINFOD_CACHE_PATH", saved.c_str(), 1);
    else
        ::unsetenv("DEBUGINFOD_CACHE_PATH");
}

namespace {

// A core as qemu-aarch64 writes it for an AArch64 process: no NT_FILE, no page of an ELF file's
// code (nor of its ELF header), the files in a sysroot. The executable (not PIE, at X) has a
// dynamic section whose DT_DEBUG leads to the dynamic linker's list: the executable, libfake
// (at LIB), and libgone, which is nowhere.
constexpr uint64_t X = 0x400000;
constexpr uint64_t LIB = 0x5500860000;
constexpr uint64_t GONE = 0x5500900000;
const std::string fake_lib = "/lib/aarch64-linux-gnu/libfake.so.1";
const std::string gone_lib = "/lib/aarch64-linux-gnu/libgone.so.1";

struct QemuStyleCore {
    TempDir dir;
    std::string root, exe, lib, core;
    uint64_t at_entry = X + 0x1000;
    uint64_t lib_dynamic = LIB + exe_dynamic; // where the list says libfake's dynamic section is
    bool looping_list = false;

    void write() {
        root = dir.file("root");
        std::filesystem::create_directories(root + "/usr/bin");
        std::filesystem::create_directories(root + "/lib/aarch64-linux-gnu");
        exe = root + "/usr/bin/python3.11";
        lib = root + fake_lib;
        ExeSpec exe_spec{.pie = false, .machine = EM_AARCH64, .dynamic = true};
        const Bytes exe_bytes = make_exe(exe_spec);
        write_file(exe, exe_bytes);
        ExeSpec lib_spec{.build_id = Bytes{std::byte{0x11}, std::byte{0x22}},
                         .rodata_fill = 0x61,
                         .machine = EM_AARCH64,
                         .dynamic = true};
        const Bytes lib_bytes = make_exe(lib_spec);
        write_file(lib, lib_bytes);

        Bytes notes;
        append_bytes(notes, note("CORE", NT_PRSTATUS, prstatus(100, 6)));
        append_bytes(notes, note("CORE", NT_PRPSINFO, prpsinfo(100, "python3.11")));
        Bytes auxv;
        for (auto [t, v] : std::vector<std::pair<uint64_t, uint64_t>>{{AT_PHDR, X + 64},
                                                                      {AT_PHNUM, 5},
                                                                      {AT_PAGESZ, 4096},
                                                                      {AT_ENTRY, at_entry},
                                                                      {AT_EXECFN, H + 0x10},
                                                                      {AT_NULL, 0}}) {
            append(auxv, t);
            append(auxv, v);
        }
        append_bytes(notes, note("CORE", NT_AUXV, auxv));
        append_bytes(notes, note("CORE", NT_PRSTATUS, prstatus(101, 0)));

        Bytes exe_data(exe_bytes.begin() + 0x2000, exe_bytes.begin() + 0x3000);
        put(exe_data, exe_dynamic - 0x2000, Elf64_Dyn{DT_DEBUG, {H + 0x100}});
        Bytes lib_data(lib_bytes.begin() + 0x2000, lib_bytes.begin() + 0x3000);
        Bytes heap(0x1000, std::byte{0});
        put_str(heap, 0x10, "/usr/bin/python3.11");
        put(heap, 0x100, uint64_t{1}); // r_version
        put(heap, 0x108, H + 0x200);   // r_map
        auto link_map = [&](uint64_t at, uint64_t addr, uint64_t name, uint64_t ld, uint64_t next) {
            for (uint64_t word : {addr, name, ld, next, uint64_t{0}}) {
                put(heap, at, word);
                at += 8;
            }
        };
        link_map(0x200, 0, H + 0x400, X + exe_dynamic, H + 0x240);
        link_map(0x240, LIB, H + 0x440, lib_dynamic, H + 0x280);
        link_map(0x280, GONE, H + 0x480, GONE + exe_dynamic, looping_list ? H + 0x200 : 0);
        put_str(heap, 0x400, "");
        put_str(heap, 0x440, fake_lib);
        put_str(heap, 0x480, gone_lib);

        write_file(core = dir.file("qemu_python3.11_20260101-000000_100.core"),
                   make_core(notes,
                             {{X, 0x2000, PF_R | PF_X, {}},
                              {X + 0x2000, 0x1000, PF_R | PF_W, exe_data},
                              {LIB, 0x2000, PF_R | PF_X, {}},
                              {LIB + 0x2000, 0x1000, PF_R | PF_W, lib_data},
                              {GONE, 0x2000, PF_R | PF_X, {}},
                              {H, 0x1000, PF_R | PF_W, heap}},
                             ET_CORE, EM_AARCH64));
    }

    Target open(std::optional<std::string> executable = std::nullopt) const {
        return open_core(core, CoreOptions{.executable = executable, .sysroot = root});
    }
};

bool has_note(const Target& t, const std::string& text) {
    for (const std::string& n : t.notes)
        if (n.find(text) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("core: an AArch64 core without NT_FILE, its files in a sysroot", "[memory]") {
    QemuStyleCore q;
    q.write();
    Target t = q.open();
    CHECK(t.executable == q.exe);
    CHECK(t.thread_ids == std::vector<int>{100, 101});
    // The machine is named when it is not the one heapy runs on.
    const std::string machine = host_machine().elf_machine == EM_AARCH64 ? "" : "AArch64, ";
    CHECK(t.description.find("(" + machine + "pid 100, 2 threads, signal SIGABRT)") !=
          std::string::npos);
    // The executable's code and constants, and libfake's, come from the files in the sysroot.
    CHECK(read_u32(*t.memory, X + exe_py_version) == py_version_value);
    const std::byte* text = t.memory->view(LIB + exe_string, std::strlen(rodata_text) + 1);
    REQUIRE(text != nullptr);
    CHECK(std::string(reinterpret_cast<const char*>(text)) == rodata_text);
    Bytes byte(1);
    REQUIRE(t.memory->read(LIB + 0x1000, byte) == 1);
    CHECK(byte[0] == std::byte{0x61});
    CHECK(t.symbols->lookup("_PyRuntime") == X + exe_runtime);

    const auto modules = t.symbols->modules();
    REQUIRE(modules.size() == 2);
    CHECK(modules[0].is_executable);
    CHECK(modules[0].bias == 0);
    CHECK(modules[1].path == fake_lib);
    CHECK(modules[1].opened == q.lib);
    CHECK(modules[1].bias == LIB);
    CHECK(modules[1].build_id == "1122");
    CHECK(t.missing_modules == std::vector<std::string>{gone_lib});
    CHECK(
        has_note(t, "shared object " + gone_lib + " that the dynamic linker lists cannot be used"));
    CHECK(has_note(t, "has no NT_FILE note: the executable was placed by its auxiliary vector and "
                      "1 shared object(s) by the dynamic linker's list"));

    // --exe gives the same executable under another name.
    const std::string copy = q.dir.file("python3.11-arm64");
    std::filesystem::copy_file(q.exe, copy);
    Target t2 = q.open(copy);
    CHECK(t2.executable == copy);
    CHECK(read_u32(*t2.memory, X + exe_py_version) == py_version_value);

    // lldb names the files it found under its own sysroot by their local paths only.
    Target t3 =
        open_core(q.core, CoreOptions{.executable = q.exe, .files_by_build_id = {{"0102", q.lib}}});
    REQUIRE(t3.symbols->modules().size() == 2);
    CHECK(t3.symbols->modules()[1].opened == q.lib);
}

TEST_CASE("core: an AArch64 core refuses files of another machine or build", "[memory]") {
    QemuStyleCore q;
    q.write();
    // An x86-64 executable given for it.
    ExeSpec x86{.pie = false, .dynamic = true};
    const std::string x86_exe = q.dir.file("python3.11-x86-64");
    write_file(x86_exe, make_exe(x86));
    CHECK(error_of([&] { q.open(x86_exe); }) == "cannot use executable " + x86_exe +
                                                    " is x86-64 code, not AArch64; give --exe the "
                                                    "executable the core was made from");

    // Without the sysroot the executable it names is not on this machine.
    Target bare = open_core(q.core);
    CHECK(bare.missing_modules == std::vector<std::string>{"/usr/bin/python3.11"});
    CHECK(has_note(bare, "executable /usr/bin/python3.11 named in the core cannot be read"));

    // Another build: the process had its entry point elsewhere.
    QemuStyleCore moved;
    moved.at_entry = X + 0x1234;
    moved.write();
    CHECK(error_of([&] { moved.open(); }) ==
          "executable " + moved.exe + " named in core " + moved.core +
              " does not match it (its entry point would be at 0x401000, the process had it at "
              "0x401234), probably rebuilt or upgraded since; pass the original with --exe");

    // A shared object whose dynamic section is not where the process had it: not used.
    QemuStyleCore other_lib;
    other_lib.lib_dynamic = LIB + 0x2b00;
    other_lib.write();
    Target t = other_lib.open();
    CHECK(t.symbols->modules().size() == 1);
    CHECK(has_note(t, "has its dynamic section at 0x5500862a00 where the process had it at "
                      "0x5500862b00"));
    Bytes byte(1);
    CHECK(t.memory->read(LIB + 0x1000, byte) == 0);
}

TEST_CASE("core: an AArch64 core whose NT_FILE names this machine's files", "[memory]") {
    // An ARM64 server's core read where /usr/bin/python3.11 is an x86-64 program.
    Scenario s({}, true, true, EM_AARCH64);
    Target t = open_core(s.core);
    CHECK(t.symbols->modules().empty());
    CHECK(t.missing_modules == std::vector<std::string>{s.exe, "/nonexistent/libgone.so.1"});
    CHECK(has_note(t, "executable " + s.exe + " named in the core cannot be read (" + s.exe +
                          " is x86-64 code, not AArch64); pass it with --exe"));
    Bytes four(4);
    CHECK(t.memory->read(B + exe_py_version, four) == 0);
}

TEST_CASE("core: a looping dynamic linker's list ends", "[memory]") {
    QemuStyleCore q;
    q.looping_list = true;
    q.write();
    Target t = q.open();
    CHECK(t.symbols->modules().size() == 2);
    CHECK(has_note(t, "the dynamic linker's list loops"));
}
