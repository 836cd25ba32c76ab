// Hostile input, as the fuzzers (tests/fuzz) feed it: hand-made broken cores for the core reader,
// and corrupted CPython images for the whole analysis. Every input must be refused with
// heapy::Error or analysed; nothing may crash, hang or allocate without bound. Inputs the
// fuzzers found are kept here as byte arrays. The fuzzers' drivers (tests/fuzz/core_input.cpp,
// heap_image.cpp) are compiled into the unit tests (tests/CMakeLists.txt).
#include "tests/fuzz/core_input.hpp"
#include "tests/fuzz/heap_image.hpp"
#include "tests/unit/support/isolate.hpp"

#include "core/errors.hpp"
#include "core/memory/mapped_file.hpp"
#include "core/memory/target.hpp"

#include <catch2/catch.hpp>

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A little-endian ELF64 x86-64 core built field by field.
struct CoreBuilder {
    struct Segment {
        Elf64_Phdr header{};
        std::vector<std::byte> bytes;
        bool place = true; // set p_offset to where the bytes land
    };
    Elf64_Ehdr ehdr{};
    std::vector<Segment> segments;

    CoreBuilder() {
        std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
        ehdr.e_ident[EI_CLASS] = ELFCLASS64;
        ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
        ehdr.e_ident[EI_VERSION] = EV_CURRENT;
        ehdr.e_type = ET_CORE;
        ehdr.e_machine = EM_X86_64;
        ehdr.e_version = EV_CURRENT;
        ehdr.e_phoff = sizeof(Elf64_Ehdr);
        ehdr.e_ehsize = sizeof(Elf64_Ehdr);
        ehdr.e_phentsize = sizeof(Elf64_Phdr);
    }

    static void put(std::vector<std::byte>& out, const void* data, size_t n) {
        const size_t at = out.size();
        out.resize(at + n);
        std::memcpy(out.data() + at, data, n);
    }
    template <class T> static void put(std::vector<std::byte>& out, T value) {
        put(out, &value, sizeof value);
    }

    // One note: name, type, descriptor (padded to 4 bytes).
    static std::vector<std::byte> note(const std::string& name, uint32_t type,
                                       const std::vector<std::byte>& desc,
                                       std::optional<uint32_t> namesz = {},
                                       std::optional<uint32_t> descsz = {}) {
        std::vector<std::byte> out;
        put<uint32_t>(out, namesz.value_or(uint32_t(name.size() + 1)));
        put<uint32_t>(out, descsz.value_or(uint32_t(desc.size())));
        put<uint32_t>(out, type);
        put(out, name.c_str(), name.size() + 1);
        while (out.size() % 4) out.push_back(std::byte{0});
        out.insert(out.end(), desc.begin(), desc.end());
        while (out.size() % 4) out.push_back(std::byte{0});
        return out;
    }

    // An NT_FILE descriptor: {start, end, page offset, path}.
    struct File {
        uint64_t start, end, pgoff;
        std::string path;
    };
    static std::vector<std::byte> nt_file(const std::vector<File>& files, uint64_t page_size = 4096,
                                          std::optional<uint64_t> count = {}) {
        std::vector<std::byte> out;
        put<uint64_t>(out, count.value_or(files.size()));
        put<uint64_t>(out, page_size);
        for (const File& f : files) {
            put<uint64_t>(out, f.start);
            put<uint64_t>(out, f.end);
            put<uint64_t>(out, f.pgoff);
        }
        for (const File& f : files) put(out, f.path.c_str(), f.path.size() + 1);
        return out;
    }

    void add_note(std::vector<std::byte> bytes) {
        Segment s;
        s.header.p_type = PT_NOTE;
        s.header.p_filesz = bytes.size();
        s.header.p_align = 4;
        s.bytes = std::move(bytes);
        segments.push_back(std::move(s));
    }
    Segment& add_load(uint64_t vaddr, std::vector<std::byte> bytes, uint64_t memsz = 0) {
        Segment s;
        s.header.p_type = PT_LOAD;
        s.header.p_flags = PF_R | PF_W;
        s.header.p_vaddr = vaddr;
        s.header.p_filesz = bytes.size();
        s.header.p_memsz = memsz ? memsz : bytes.size();
        s.header.p_align = 4096;
        s.bytes = std::move(bytes);
        segments.push_back(std::move(s));
        return segments.back();
    }

    std::vector<std::byte> build() {
        ehdr.e_phnum = uint16_t(segments.size());
        std::vector<std::byte> out;
        uint64_t at = sizeof(Elf64_Ehdr) + segments.size() * sizeof(Elf64_Phdr);
        for (Segment& s : segments) {
            if (s.place) s.header.p_offset = at;
            at += s.bytes.size();
        }
        put(out, ehdr);
        for (const Segment& s : segments) put(out, s.header);
        for (const Segment& s : segments) out.insert(out.end(), s.bytes.begin(), s.bytes.end());
        return out;
    }
};

std::vector<std::byte> filled(size_t n, uint8_t value = 0x41) {
    return std::vector<std::byte>(n, std::byte{value});
}

std::string exercise(const std::vector<std::byte>& bytes) {
    return heapy::fuzz::exercise_core(
        {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

// A core whose only note is NT_FILE naming `path`, with the mapping dumped as zeros.
std::vector<std::byte> core_naming(const std::string& path) {
    CoreBuilder b;
    b.add_note(
        CoreBuilder::note("CORE", NT_FILE, CoreBuilder::nt_file({{0x400000, 0x401000, 0, path}})));
    return b.build();
}

} // namespace

TEST_CASE("the core reader refuses or reads hand-made broken cores", "[fuzz][memory]") {
    SECTION("not a core at all") {
        CHECK_THAT(exercise({}), Catch::Contains("error: fuzzed-core is not an ELF core file"));
        CHECK_THAT(exercise(filled(100)), Catch::Contains("is not an ELF core file"));
        CoreBuilder b;
        auto bytes = b.build();
        bytes.resize(20); // magic and class, then the end of the file
        CHECK_THAT(exercise(bytes), Catch::Contains("ELF headers are incomplete"));
    }
    SECTION("program headers past the end of the file, or absurd in number") {
        CoreBuilder b;
        b.ehdr.e_phoff = 1 << 30;
        b.add_load(0x1000, filled(16));
        CHECK_THAT(exercise(b.build()), Catch::Contains("program headers"));
        CoreBuilder x;
        x.ehdr.e_phnum = PN_XNUM; // the real count in section header 0, which is absent
        auto bytes = x.build();
        Elf64_Ehdr eh;
        std::memcpy(&eh, bytes.data(), sizeof eh);
        eh.e_phnum = PN_XNUM;
        std::memcpy(bytes.data(), &eh, sizeof eh);
        CHECK_THAT(exercise(bytes), Catch::Contains("error:"));
    }
    SECTION("segments whose offsets and sizes overflow, overlap or wrap the address space") {
        CoreBuilder b;
        auto& wrap = b.add_load(0xfffffffffffff000ull, filled(8192));
        (void)wrap;
        auto& huge = b.add_load(0x10000, filled(64), ~uint64_t{0});
        huge.header.p_filesz = ~uint64_t{0} - 10; // offset + filesz overflows
        b.add_load(0x10020, filled(64, 0x42));    // overlaps the one before
        auto out = exercise(b.build());
        CHECK_THAT(out, Catch::Contains("truncated"));
        CHECK_THAT(out, !Catch::Contains("internal error"));
    }
    SECTION("malformed notes") {
        CoreBuilder b;
        b.add_note(
            CoreBuilder::note("CORE", NT_FILE, filled(40), {}, 0xffffffffu)); // descsz past the end
        b.add_note(
            CoreBuilder::note("CORE", NT_FILE, CoreBuilder::nt_file({}, 4096, uint64_t{1} << 60)));
        b.add_note(CoreBuilder::note("CORE", NT_PRSTATUS, filled(8))); // short
        b.add_note(CoreBuilder::note("CORE", NT_PRPSINFO, filled(8))); // short
        b.add_note(CoreBuilder::note("CORE", NT_AUXV, filled(7)));     // odd size
        b.add_note(CoreBuilder::note(std::string(300, 'N'), NT_FILE, filled(24),
                                     0xfffffff0u)); // namesz huge
        auto out = exercise(b.build());
        CHECK_THAT(out, !Catch::Contains("internal error"));
    }
    SECTION("NT_FILE entries: zero and odd page sizes, reversed ranges, paths without an end") {
        for (uint64_t page : {uint64_t{0}, uint64_t{3}, uint64_t{1} << 40, ~uint64_t{0}}) {
            CoreBuilder b;
            b.add_note(CoreBuilder::note(
                "CORE", NT_FILE,
                CoreBuilder::nt_file({{0x1000, 0x2000, ~uint64_t{0}, "/x"}}, page)));
            CHECK_THAT(exercise(b.build()), !Catch::Contains("internal error"));
        }
        CoreBuilder b;
        auto desc = CoreBuilder::nt_file(
            {{0x3000, 0x1000, 0, "/usr/bin/python3.11"}, {0, ~uint64_t{0}, 1, "/etc/passwd"}});
        desc.pop_back(); // the last path loses its NUL
        b.add_note(CoreBuilder::note("CORE", NT_FILE, desc));
        CHECK_THAT(exercise(b.build()), !Catch::Contains("internal error"));
    }
}

TEST_CASE("a core naming devices, pseudo files and odd paths opens none of them",
          "[fuzz][memory]") {
    // A FIFO with no writer would block an open() without O_NONBLOCK forever; a device could do
    // anything on open. The reader stats first and opens regular files only, and never the
    // kernel's pseudo files (/proc/kcore is a regular file of 128 TiB).
    char dir_template[] = "/tmp/heapy-fuzz-test-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    const std::string dir = dir_template;
    const std::string fifo = dir + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    for (const std::string& path :
         {fifo, dir, std::string("/dev/zero"), std::string("/dev/null"), std::string("/proc/kcore"),
          std::string("/proc/self/mem"), std::string("/sys/kernel/notes"),
          std::string("relative/path"), std::string(4096, '/')}) {
        INFO(path.substr(0, 64));
        CHECK_THAT(exercise(core_naming(path)), !Catch::Contains("internal error"));
    }
    ::unlink(fifo.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("an in-memory core is read like the same bytes in a file", "[fuzz][memory]") {
    CoreBuilder b;
    b.add_note(CoreBuilder::note("CORE", NT_FILE, CoreBuilder::nt_file({})));
    b.add_load(0x10000, filled(4096, 0x5a));
    const auto bytes = b.build();
    auto file = heapy::memory::MappedFile::from_bytes("in-memory", bytes);
    REQUIRE(file->size() == bytes.size());
    heapy::memory::Target target = heapy::memory::open_core(file, {});
    std::byte byte{};
    REQUIRE(target.memory->read(0x10000 + 100, {&byte, 1}) == 1);
    CHECK(byte == std::byte{0x5a});
    CHECK(target.memory->read(0x10000 + 4096, {&byte, 1}) == 0);
    CHECK_THAT(target.description, Catch::Contains("in-memory"));
}

// --- the heap image ----------------------------------------------------------------------------

namespace {

using Patches = std::vector<heapy::fuzz::HeapImage::Patch>;

// One patch record of the heap fuzzer's input format (tests/fuzz/heap_image.hpp).
std::vector<uint8_t> record(uint8_t op, uint32_t where, uint64_t value) {
    std::vector<uint8_t> out{op};
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(where >> (8 * i)));
    for (int i = 0; i < 8; ++i) out.push_back(uint8_t(value >> (8 * i)));
    return out;
}

} // namespace

TEST_CASE("the fuzzed heap image is analysed cleanly when nothing is patched", "[fuzz][walk]") {
    auto& image = heapy::fuzz::shared_heap_image();
    const std::string transcript = image.run(Patches{});
    INFO(transcript);
    CHECK_THAT(transcript, Catch::Contains("heap: 0 Partition of a set of"));
    CHECK_THAT(transcript, Catch::Contains("heapu: 0 Partition of a set of"));
    CHECK_THAT(transcript, Catch::Contains("by via: 0 Partition"));
    CHECK_THAT(transcript, !Catch::Contains("internal error"));
    CHECK_THAT(transcript, !Catch::Contains("could not be read"));
    // The same input twice gives the same answer: patches are undone after each run.
    CHECK(image.run(Patches{}) == transcript);
    const auto patched = image.run(record(0x83, (5 << 8) | 72, 3));
    CHECK(image.run(Patches{}) == transcript);
    (void)patched;
}

TEST_CASE("inputs the fuzzer found", "[fuzz][walk]") {
    auto& image = heapy::fuzz::shared_heap_image();
    std::vector<uint8_t> input;
    for (int i = 0; i < 8; ++i) {
        auto r = record(uint8_t(0x80 | i), uint32_t((i * 7) << 8) | 80,
                        0x4141414141414141ull * uint64_t(i + 1));
        input.insert(input.end(), r.begin(), r.end());
    }
    auto outcome = heapy::test::isolated([&] { return image.run(input); }, 20s);
    CHECK(outcome.finished());
}

// An int whose digit count was patched to tens of thousands: its decimal repr (`by id`) took
// quadratic time, over 27 s. Found by scripts/fuzz heap in CI.
TEST_CASE("an int claiming tens of thousands of digits is not converted to decimal",
          "[fuzz][walk]") {
    const std::vector<uint8_t> input = {
        0x84, 0x48, 0x61, 0x84, 0xd8, 0x00, 0x4c, 0xee, 0xee, 0x5e, 0x0a, 0x9f, 0x14, 0xa1, 0xa1,
        0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
        0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
        0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
        0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
        0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
        0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0x0a,
        0x00, 0x30, 0x60, 0x00, 0x60, 0x00, 0x00, 0x26, 0x5e, 0x0a, 0x9f, 0x14, 0x0a, 0x00, 0x30,
        0x60, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0xbf};
    auto& image = heapy::fuzz::shared_heap_image();
    // Milliseconds when right; 9 s in a Release build (27 s under ASan) when quadratic.
    auto outcome = heapy::test::isolated([&] { return image.run(input); }, 3s);
    CHECK(outcome.finished());
}
