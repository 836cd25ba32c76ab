#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace heapy::memory {

// A whole file mapped read-only into this process (MAP_PRIVATE, PROT_READ), unmapped when the
// last owner goes away. Empty files have an empty span.
class MappedFile {
  public:
    // Opens and maps `path`. Throws heapy::Error naming the file and the errno text. When
    // `regular_only` is set, anything but a regular file (device, fifo, directory) is refused.
    static std::shared_ptr<const MappedFile> open(const std::string& path,
                                                  bool regular_only = true);
    // Like open() but returns nullptr and sets `why` (a short reason) instead of throwing.
    static std::shared_ptr<const MappedFile> try_open(const std::string& path, std::string* why,
                                                      bool regular_only = true);

    // Maps the whole of the open file `fd` (which the caller still closes), standing for a file
    // called `path` last modified at `mtime`: a decompressed core in an unnamed temporary file.
    // Returns nullptr and sets `why` when it cannot be mapped.
    static std::shared_ptr<const MappedFile> map_descriptor(int fd, std::string path,
                                                            timespec mtime, std::string* why);

    // A copy of `bytes` held in this process, standing for a file called `path` that was last
    // modified at `mtime` (the current time when not given): a core that is not in a file (a
    // fuzzer's input, a test's hand-made core).
    static std::shared_ptr<const MappedFile> from_bytes(std::string path,
                                                        std::span<const std::byte> bytes,
                                                        std::optional<timespec> mtime = {});

    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const std::byte> bytes() const { return {data_, size_}; }
    const std::byte* data() const { return data_; }
    uint64_t size() const { return size_; }
    const std::string& path() const { return path_; }
    // Last modification time of the file when it was opened.
    const timespec& mtime() const { return mtime_; }

    // Hints the kernel that access will be random (no read-ahead); for big files like cores.
    void advise_random() const;

  private:
    MappedFile() = default;
    std::string path_;
    const std::byte* data_ = nullptr;
    uint64_t size_ = 0;
    timespec mtime_{};
    std::vector<std::byte> owned_; // the bytes of from_bytes(); empty for a mapping
};

} // namespace heapy::memory
