#include "tests/fuzz/core_input.hpp"

#include "core/commands/session.hpp"
#include "core/errors.hpp"
#include "core/memory/compression.hpp"
#include "core/memory/mapped_file.hpp"
#include "core/memory/target.hpp"

#include <fmt/format.h>

#include <array>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace heapy::fuzz {

namespace {

// Reads a little of every region, and the symbols and sections the runtime is found by.
std::string touch(memory::Target& target) {
    std::string out;
    std::array<std::byte, 256> buffer{};
    uint64_t readable = 0;
    const auto regions = target.memory->regions();
    for (const memory::Region& r : regions) {
        if (r.end <= r.start) continue;
        const uint64_t length = r.end - r.start;
        readable += target.memory->read(
            r.start, std::span(buffer).first(std::min<uint64_t>(length, buffer.size())));
        const uint64_t tail = std::min<uint64_t>(length, buffer.size());
        readable += target.memory->read(r.end - tail, std::span(buffer).first(tail));
        if (const std::byte* p = target.memory->view(r.start, std::min<uint64_t>(length, 4096)))
            readable += p[0] == std::byte{0};
    }
    out += fmt::format("{} regions, {} notes, {} threads\n", regions.size(), target.notes.size(),
                       target.thread_ids.size());
    for (const char* name : {"_PyRuntime", "Py_Version", "_Py_NoneStruct", "PyType_Type"})
        if (auto address = target.symbols->lookup(name))
            out += fmt::format("{} at {:#x}\n", name, *address);
    if (auto section = target.symbols->section(".PyRuntime"))
        out += fmt::format(".PyRuntime at {:#x}\n", section->start);
    out += fmt::format("{} modules\n", target.symbols->modules().size());
    (void)readable;
    return out;
}

// The input as a core file: decompressed first when it starts as a compressed file does (at
// most 16 MiB of it, in memory), as open_core does for a compressed file.
std::shared_ptr<const memory::MappedFile> core_file(std::span<const uint8_t> bytes,
                                                    std::string& out) {
    auto file = memory::MappedFile::from_bytes("fuzzed-core", std::as_bytes(bytes));
    const memory::Compression format = memory::compression_of(file->bytes());
    if (format == memory::Compression::none) return file;
    const int fd = ::memfd_create("fuzzed-core", MFD_CLOEXEC);
    if (fd < 0) return nullptr;
    std::shared_ptr<const memory::MappedFile> plain;
    try {
        memory::decompress(format, file->bytes(), fd, file->path(), {}, uint64_t(16) << 20);
        std::string why;
        plain = memory::MappedFile::map_descriptor(fd, file->path(), file->mtime(), &why);
    } catch (const Error& e) {
        out += fmt::format("error: {}\n", e.what());
    }
    ::close(fd);
    return plain;
}

} // namespace

std::string exercise_core(std::span<const uint8_t> bytes) {
    std::string out;
    auto file = core_file(bytes, out);
    if (!file) return out;
    for (bool allow_truncated : {false, true}) {
        memory::CoreOptions options;
        options.allow_truncated = allow_truncated;
        try {
            memory::Target target = memory::open_core(file, options);
            out += touch(target);
            commands::Session session(std::move(target));
            const std::vector<std::string> info{"info"};
            commands::CommandResult r = session.run(info);
            out += fmt::format("info: {} {}\n", r.status, r.status == 0 ? "" : r.error);
        } catch (const Error& e) {
            out += fmt::format("error: {}\n", e.what());
        }
    }
    return out;
}

} // namespace heapy::fuzz
