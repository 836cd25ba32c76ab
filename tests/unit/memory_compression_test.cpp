// Compressed core files: every format decoded whole (several frames, several chunks), and
// truncated, corrupt, oversized or unwritable output refused with one line.
#include "core/errors.hpp"
#include "core/memory/compression.hpp"
#include "core/memory/mapped_file.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <lz4frame.h>
#include <lzma.h>
#include <random>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>
#include <zstd.h>

using namespace heapy::memory;

namespace {

using Bytes = std::vector<std::byte>;

// Compressible text with random stretches: big enough to need several output chunks.
Bytes sample(size_t size, uint32_t seed) {
    Bytes out(size);
    std::mt19937 random(seed);
    for (size_t i = 0; i < size; ++i)
        out[i] = std::byte((i / 4096) % 3 == 0 ? uint8_t(random()) : uint8_t('a' + i % 23));
    return out;
}

Bytes zstd_frame(const Bytes& data) {
    Bytes out(ZSTD_compressBound(data.size()));
    const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 1);
    REQUIRE(!ZSTD_isError(n));
    out.resize(n);
    return out;
}

Bytes xz_stream(const Bytes& data) {
    Bytes out(lzma_stream_buffer_bound(data.size()));
    size_t n = 0;
    REQUIRE(lzma_easy_buffer_encode(
                0, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(data.data()),
                data.size(), reinterpret_cast<uint8_t*>(out.data()), &n, out.size()) == LZMA_OK);
    out.resize(n);
    return out;
}

Bytes lz4_frame(const Bytes& data) {
    Bytes out(LZ4F_compressFrameBound(data.size(), nullptr));
    const size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), nullptr);
    REQUIRE(!LZ4F_isError(n));
    out.resize(n);
    return out;
}

Bytes gzip_member(const Bytes& data) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    Bytes out(deflateBound(&z, uLong(data.size())) + 32);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(data.data()));
    z.avail_in = uInt(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

Bytes compressed(Compression format, const Bytes& data) {
    switch (format) {
    case Compression::zstd:
        return zstd_frame(data);
    case Compression::xz:
        return xz_stream(data);
    case Compression::lz4:
        return lz4_frame(data);
    default:
        return gzip_member(data);
    }
}

Bytes joined(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// An anonymous in-memory file to decompress into, and what it holds.
struct MemoryFile {
    int fd = ::memfd_create("heapy-test", MFD_CLOEXEC);
    ~MemoryFile() { ::close(fd); }
    Bytes contents() const {
        Bytes out(size_t(::lseek(fd, 0, SEEK_END)));
        REQUIRE(::pread(fd, out.data(), out.size(), 0) == ssize_t(out.size()));
        return out;
    }
};

std::string error_of(Compression format, const Bytes& input, int fd, uint64_t limit = UINT64_MAX) {
    try {
        decompress(format, input, fd, "core.x", {}, limit);
    } catch (const heapy::Error& e) {
        return e.what();
    }
    return "";
}

const Compression kFormats[] = {Compression::zstd, Compression::xz, Compression::lz4,
                                Compression::gzip};

} // namespace

TEST_CASE("compression: formats are known by their magic bytes", "[memory][compression]") {
    const Bytes data = sample(1000, 1);
    for (Compression format : kFormats) CHECK(compression_of(compressed(format, data)) == format);
    const Bytes elf{std::byte{0x7f}, std::byte{'E'}, std::byte{'L'}, std::byte{'F'}};
    CHECK(compression_of(elf) == Compression::none);
    CHECK(compression_of(Bytes{}) == Compression::none);
    CHECK(compression_of(Bytes{std::byte{0x28}, std::byte{0xb5}}) == Compression::none);
    const Bytes bz{std::byte{'B'}, std::byte{'Z'}, std::byte{'h'}, std::byte{'9'}};
    CHECK(compression_of(bz) == Compression::bzip2);
}

TEST_CASE("compression: every format decodes whole, frame after frame", "[memory][compression]") {
    const Bytes first = sample(9 << 20, 2), second = sample(300000, 3);
    for (Compression format : kFormats) {
        INFO(compression_name(format));
        MemoryFile out;
        uint64_t reports = 0, last_written = 0;
        const auto input = joined(compressed(format, first), compressed(format, second));
        const uint64_t written = decompress(format, input, out.fd, "core.x",
                                            [&](uint64_t read, uint64_t total, uint64_t done) {
                                                CHECK(read <= total);
                                                CHECK(total == input.size());
                                                CHECK(done >= last_written);
                                                last_written = done;
                                                ++reports;
                                            });
        CHECK(written == first.size() + second.size());
        CHECK(out.contents() == joined(first, second));
        CHECK(reports >= 1);
        CHECK(last_written == written);
    }
}

TEST_CASE("compression: truncated, corrupt and unknown input is one line, never a crash",
          "[memory][compression]") {
    const Bytes data = sample(200000, 4);
    for (Compression format : kFormats) {
        INFO(compression_name(format));
        const Bytes whole = compressed(format, data);
        MemoryFile out;
        const Bytes cut(whole.begin(), whole.end() - 7);
        const std::string truncated = error_of(format, cut, out.fd);
        CHECK(truncated.find("core.x") != std::string::npos);
        CHECK(truncated.find('\n') == std::string::npos);
        CHECK(!truncated.empty());

        std::mt19937 random(5);
        for (int round = 0; round < 40; ++round) {
            Bytes bad = whole;
            for (int flips = 0; flips < 8; ++flips)
                bad[4 + random() % (bad.size() - 4)] ^= std::byte(1 + random() % 255);
            MemoryFile scratch;
            error_of(format, bad, scratch.fd); // may decode (a flip in a stored block): no crash
        }
    }
    MemoryFile out;
    const Bytes cut = zstd_frame(data);
    CHECK_THAT(error_of(Compression::zstd, Bytes(cut.begin(), cut.end() - 7), out.fd),
               Catch::Contains("ends in the middle of its zstd data"));
    CHECK_THAT(error_of(Compression::bzip2, Bytes(10), out.fd),
               Catch::Contains("compressed with bzip2, which heapy does not read"));
    CHECK_THAT(error_of(Compression::zstd, zstd_frame(data), out.fd, 1000),
               Catch::Contains("holds more than 1000 bytes"));
}

TEST_CASE("compression: a full disk says where and what to do", "[memory][compression]") {
    const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (full < 0) {
        WARN("no /dev/full: skipped");
        return;
    }
    const std::string message = error_of(Compression::zstd, zstd_frame(sample(100000, 6)), full);
    ::close(full);
    CHECK_THAT(message, Catch::Contains("not enough space in"));
    CHECK_THAT(message, Catch::Contains("to decompress core.x"));
    CHECK_THAT(message, Catch::Contains("set TMPDIR"));
}

TEST_CASE("compression: a compressed file is mapped decompressed and leaves nothing behind",
          "[memory][compression]") {
    char dir_template[] = "/tmp/heapy_compression_test_XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    const std::string path = dir + "/core.123.zst";
    const Bytes data = sample(3 << 20, 7);
    {
        const Bytes packed = zstd_frame(data);
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(packed.data()), std::streamsize(packed.size()));
    }
    const char* old_tmpdir = std::getenv("TMPDIR");
    const std::string saved = old_tmpdir ? old_tmpdir : "";
    ::setenv("TMPDIR", dir.c_str(), 1);
    {
        auto file = MappedFile::open(path);
        auto plain = decompressed(*file, Compression::zstd);
        CHECK(plain->path() == path);
        CHECK(plain->mtime().tv_sec == file->mtime().tv_sec);
        REQUIRE(plain->size() == data.size());
        CHECK(std::memcmp(plain->data(), data.data(), data.size()) == 0);
        // The decompressed bytes are in an unnamed file: the directory holds only the input.
        CHECK(std::distance(std::filesystem::directory_iterator(dir),
                            std::filesystem::directory_iterator()) == 1);
    }
    if (old_tmpdir)
        ::setenv("TMPDIR", saved.c_str(), 1);
    else
        ::unsetenv("TMPDIR");
    std::filesystem::remove_all(dir);
}
