#include "core/memory/compression.hpp"

#include "core/errors.hpp"
#include "core/memory/byte_size.hpp"
#include "core/memory/mapped_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <initializer_list>
#include <lz4frame.h>
#include <lzma.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>
#include <zstd.h>

namespace heapy::memory {

namespace {

// What one step of a decoder reads and writes, as zstd's and lz4's streaming APIs see it.
struct Buffers {
    const uint8_t* in;
    size_t in_size;
    size_t in_pos = 0;
    uint8_t* out;
    size_t out_size;
    size_t out_pos = 0;
};

// One format's streaming decoder. step() decodes what it can of the rest of the input into the
// rest of the output; true when a frame (stream, member) has just ended with nothing pending.
// It throws std::runtime_error with the library's words when the data is corrupt.
class Decoder {
  public:
    virtual ~Decoder() = default;
    virtual bool step(Buffers& b) = 0;
};

class ZstdDecoder final : public Decoder {
  public:
    ZstdDecoder() : context_(ZSTD_createDCtx()) {
        if (!context_) throw std::runtime_error("out of memory");
    }
    ~ZstdDecoder() override { ZSTD_freeDCtx(context_); }
    bool step(Buffers& b) override {
        ZSTD_inBuffer in{b.in, b.in_size, b.in_pos};
        ZSTD_outBuffer out{b.out, b.out_size, b.out_pos};
        const size_t hint = ZSTD_decompressStream(context_, &out, &in);
        if (ZSTD_isError(hint)) throw std::runtime_error(ZSTD_getErrorName(hint));
        b.in_pos = in.pos;
        b.out_pos = out.pos;
        return hint == 0;
    }

  private:
    ZSTD_DCtx* context_;
};

class XzDecoder final : public Decoder {
  public:
    XzDecoder() {
        if (lzma_stream_decoder(&stream_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            throw std::runtime_error("out of memory");
    }
    ~XzDecoder() override { lzma_end(&stream_); }
    bool step(Buffers& b) override {
        stream_.next_in = b.in + b.in_pos;
        stream_.avail_in = b.in_size - b.in_pos;
        stream_.next_out = b.out + b.out_pos;
        stream_.avail_out = b.out_size - b.out_pos;
        // The whole input is there: the decoder may know that no more comes.
        const lzma_ret ret = lzma_code(&stream_, LZMA_FINISH);
        b.in_pos = b.in_size - stream_.avail_in;
        b.out_pos = b.out_size - stream_.avail_out;
        switch (ret) {
        case LZMA_STREAM_END:
            return true;
        case LZMA_OK:
        case LZMA_BUF_ERROR: // no progress: the input ends inside a stream
            return false;
        case LZMA_MEM_ERROR:
        case LZMA_MEMLIMIT_ERROR:
            throw std::runtime_error("out of memory");
        case LZMA_FORMAT_ERROR:
            throw std::runtime_error("not in the .xz format");
        case LZMA_OPTIONS_ERROR:
            throw std::runtime_error("unsupported compression options");
        default:
            throw std::runtime_error("corrupt data");
        }
    }

  private:
    lzma_stream stream_ = LZMA_STREAM_INIT;
};

class Lz4Decoder final : public Decoder {
  public:
    Lz4Decoder() {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&context_, LZ4F_VERSION)))
            throw std::runtime_error("out of memory");
    }
    ~Lz4Decoder() override { LZ4F_freeDecompressionContext(context_); }
    bool step(Buffers& b) override {
        size_t out = b.out_size - b.out_pos;
        size_t in = b.in_size - b.in_pos;
        const size_t hint =
            LZ4F_decompress(context_, b.out + b.out_pos, &out, b.in + b.in_pos, &in, nullptr);
        if (LZ4F_isError(hint)) throw std::runtime_error(LZ4F_getErrorName(hint));
        b.in_pos += in;
        b.out_pos += out;
        return hint == 0;
    }

  private:
    LZ4F_dctx* context_ = nullptr;
};

class GzipDecoder final : public Decoder {
  public:
    GzipDecoder() {
        if (inflateInit2(&stream_, 15 + 16) != Z_OK) throw std::runtime_error("out of memory");
    }
    ~GzipDecoder() override { inflateEnd(&stream_); }
    bool step(Buffers& b) override {
        // zlib counts in uInt: a step reads and writes at most 1 GiB.
        const size_t in = std::min<size_t>(b.in_size - b.in_pos, 1u << 30);
        const size_t out = std::min<size_t>(b.out_size - b.out_pos, 1u << 30);
        stream_.next_in = const_cast<Bytef*>(b.in + b.in_pos);
        stream_.avail_in = static_cast<uInt>(in);
        stream_.next_out = b.out + b.out_pos;
        stream_.avail_out = static_cast<uInt>(out);
        const int ret = inflate(&stream_, Z_NO_FLUSH);
        b.in_pos += in - stream_.avail_in;
        b.out_pos += out - stream_.avail_out;
        switch (ret) {
        case Z_STREAM_END: // the next member, if any, starts afresh
            inflateReset(&stream_);
            return true;
        case Z_OK:
        case Z_BUF_ERROR:
            return false;
        case Z_MEM_ERROR:
            throw std::runtime_error("out of memory");
        default:
            throw std::runtime_error(stream_.msg ? stream_.msg : "corrupt data");
        }
    }

  private:
    z_stream stream_{};
};

std::unique_ptr<Decoder> decoder_for(Compression format) {
    switch (format) {
    case Compression::zstd:
        return std::make_unique<ZstdDecoder>();
    case Compression::xz:
        return std::make_unique<XzDecoder>();
    case Compression::lz4:
        return std::make_unique<Lz4Decoder>();
    case Compression::gzip:
        return std::make_unique<GzipDecoder>();
    case Compression::none:
    case Compression::bzip2:
        break;
    }
    return nullptr;
}

std::string temporary_directory() {
    const char* dir = std::getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

std::string no_space_text(const std::string& name, uint64_t needed, uint64_t available) {
    return fmt::format("not enough space in {} to decompress {}: it needs {} and only {} are "
                       "free; set TMPDIR to a directory with more room",
                       temporary_directory(), name, format_byte_size(needed),
                       format_byte_size(available));
}

uint64_t free_space(int fd) {
    struct statvfs fs {};
    if (::fstatvfs(fd, &fs) != 0) return UINT64_MAX;
    return uint64_t(fs.f_bavail) * fs.f_frsize;
}

void write_all(int fd, const uint8_t* data, size_t size, const std::string& name,
               uint64_t written) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == ENOSPC || errno == EDQUOT))
            throw Error(fmt::format("not enough space in {} to decompress {}: the disk filled "
                                    "after {}; set TMPDIR to a directory with more room",
                                    temporary_directory(), name, format_byte_size(written)));
        if (n <= 0)
            throw Error(fmt::format("cannot decompress {}: writing the temporary file in {} "
                                    "failed: {}",
                                    name, temporary_directory(),
                                    n < 0 ? std::strerror(errno) : "nothing written"));
        data += n;
        size -= size_t(n);
        written += uint64_t(n);
    }
}

// The size of the decompressed data when the format's header says it (zstd's frame content
// size, for a file of one frame), else 0.
uint64_t announced_size(Compression format, std::span<const std::byte> input) {
    if (format != Compression::zstd) return 0;
    const unsigned long long size = ZSTD_getFrameContentSize(input.data(), input.size());
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) return 0;
    const size_t frame = ZSTD_findFrameCompressedSize(input.data(), input.size());
    return !ZSTD_isError(frame) && frame == input.size() ? size : 0;
}

} // namespace

Compression compression_of(std::span<const std::byte> head) {
    auto starts = [&](std::initializer_list<uint8_t> magic) {
        if (head.size() < magic.size()) return false;
        size_t i = 0;
        for (uint8_t byte : magic)
            if (std::to_integer<uint8_t>(head[i++]) != byte) return false;
        return true;
    };
    if (starts({0x28, 0xb5, 0x2f, 0xfd})) return Compression::zstd;
    if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) return Compression::xz;
    if (starts({0x04, 0x22, 0x4d, 0x18})) return Compression::lz4;
    if (starts({0x1f, 0x8b})) return Compression::gzip;
    if (starts({'B', 'Z', 'h'})) return Compression::bzip2;
    return Compression::none;
}

const char* compression_name(Compression format) {
    switch (format) {
    case Compression::zstd:
        return "zstd";
    case Compression::xz:
        return "xz";
    case Compression::lz4:
        return "lz4";
    case Compression::gzip:
        return "gzip";
    case Compression::bzip2:
        return "bzip2";
    case Compression::none:
        break;
    }
    return "no compression";
}

uint64_t decompress(Compression format, std::span<const std::byte> input, int out_fd,
                    const std::string& name, const DecompressProgress& progress, uint64_t limit) {
    const char* format_name = compression_name(format);
    auto decoder = decoder_for(format);
    if (!decoder)
        throw Error(fmt::format("{} is compressed with {}, which heapy does not read; decompress "
                                "it first (zstd, xz, lz4 and gzip are read as they are)",
                                name, format_name));
    constexpr size_t kChunk = size_t(4) << 20;
    constexpr uint64_t kReportEvery = uint64_t(64) << 20;
    std::vector<uint8_t> chunk(kChunk);
    Buffers b{reinterpret_cast<const uint8_t*>(input.data()),
              input.size(),
              0,
              chunk.data(),
              chunk.size(),
              0};
    uint64_t written = 0;
    uint64_t next_report = kReportEvery;
    bool frame_ended = false;
    for (;;) {
        const size_t read_before = b.in_pos;
        b.out_pos = 0;
        try {
            frame_ended = decoder->step(b);
        } catch (const std::runtime_error& e) {
            throw Error(fmt::format("cannot decompress {} ({}): {}", name, format_name, e.what()));
        }
        if (b.out_pos > limit - written)
            throw Error(fmt::format("cannot decompress {}: it holds more than {}", name,
                                    format_byte_size(limit)));
        write_all(out_fd, chunk.data(), b.out_pos, name, written);
        written += b.out_pos;
        if (progress && written >= next_report) {
            progress(b.in_pos, b.in_size, written);
            next_report = written + kReportEvery;
        }
        if (b.in_pos == b.in_size && b.out_pos < chunk.size()) break; // nothing left, nothing held
        if (b.in_pos == read_before && b.out_pos == 0)
            throw Error(fmt::format("cannot decompress {} ({}): the decoder is stuck at byte {}",
                                    name, format_name, b.in_pos));
    }
    if (!frame_ended)
        throw Error(fmt::format("{} ends in the middle of its {} data (the compressed file is "
                                "truncated; {} of the core could be decompressed)",
                                name, format_name, format_byte_size(written)));
    if (progress) progress(b.in_pos, b.in_size, written);
    return written;
}

std::shared_ptr<const MappedFile> decompressed(const MappedFile& file, Compression format,
                                               const DecompressProgress& progress) {
    const std::string dir = temporary_directory();
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        // A file system without unnamed files: a named one, unlinked at once.
        std::string pattern = dir + "/heapy-core-XXXXXX";
        fd = ::mkostemp(pattern.data(), O_CLOEXEC);
        if (fd >= 0) ::unlink(pattern.c_str());
    }
    if (fd < 0)
        throw Error(fmt::format("cannot decompress {}: no temporary file in {}: {} (set TMPDIR "
                                "to a writable directory)",
                                file.path(), dir, std::strerror(errno)));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (const uint64_t needed = announced_size(format, file.bytes())) {
        const uint64_t available = free_space(fd);
        if (needed > available) throw Error(no_space_text(file.path(), needed, available));
    }
    decompress(format, file.bytes(), fd, file.path(), progress);
    std::string why;
    auto mapped = MappedFile::map_descriptor(fd, file.path(), file.mtime(), &why);
    if (!mapped) throw Error(fmt::format("cannot map the decompressed {}: {}", file.path(), why));
    return mapped;
}

} // namespace heapy::memory
