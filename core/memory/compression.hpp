#pragma once

// Compressed core files: systemd-coredump stores cores as zstd, and people pass cores around as
// .xz, .lz4 and .gz. They are recognized by their magic bytes, never by their name, and
// decompressed once into an unnamed temporary file (O_TMPFILE) that the kernel frees with its
// last mapping, so nothing is left behind however heapy ends.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace heapy::memory {

class MappedFile;

enum class Compression { none, zstd, xz, lz4, gzip, bzip2 };

// The format whose magic bytes start `head` (none when no known one does).
Compression compression_of(std::span<const std::byte> head);
const char* compression_name(Compression format);

// Told now and then while decompressing: compressed bytes read of `input_total`, bytes written.
using DecompressProgress =
    std::function<void(uint64_t input_read, uint64_t input_total, uint64_t written)>;

// Decompresses `input` (every frame or member of `format`, one after another) into the file
// `out_fd`, and returns the number of bytes written. Throws heapy::Error, one line naming `name`,
// on corrupt or truncated data, on a failed write (no space left: where, and TMPDIR) and when
// the output would pass `limit` bytes.
uint64_t decompress(Compression format, std::span<const std::byte> input, int out_fd,
                    const std::string& name, const DecompressProgress& progress = {},
                    uint64_t limit = UINT64_MAX);

// `file` decompressed into an unnamed temporary file in $TMPDIR (else /tmp) and mapped; the
// result's path() and mtime() are `file`'s. Throws heapy::Error as decompress() does, and when
// the directory cannot hold a file or (when the frame says how big the core is) is too small.
std::shared_ptr<const MappedFile> decompressed(const MappedFile& file, Compression format,
                                               const DecompressProgress& progress = {});

} // namespace heapy::memory
