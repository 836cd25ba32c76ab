#include "core/memory/mapped_file.hpp"

#include "core/errors.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace heapy::memory {

namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::shared_ptr<const MappedFile> failed(std::string* why, const char* reason) {
    if (why) *why = reason;
    return nullptr;
}

} // namespace

std::shared_ptr<const MappedFile> MappedFile::try_open(const std::string& path, std::string* why,
                                                       bool regular_only) {
    auto fail = [why](const char* reason) { return failed(why, reason); };
    // Refuse anything but a regular file before opening it: opening a device can have effects
    // (a watchdog, a tape), and a core names whatever paths its process had mapped.
    struct stat before {};
    if (regular_only) {
        if (::stat(path.c_str(), &before) != 0) return fail(std::strerror(errno));
        if (!S_ISREG(before.st_mode)) return fail("not a regular file");
    }
    Fd fd;
    fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular_only ? O_NONBLOCK : 0));
    if (fd.fd < 0) return fail(std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) return fail(std::strerror(errno));
    if (regular_only && !S_ISREG(st.st_mode)) return fail("not a regular file");
    return map_descriptor(fd.fd, path, st.st_mtim, why);
}

std::shared_ptr<const MappedFile> MappedFile::map_descriptor(int fd, std::string path,
                                                             timespec mtime, std::string* why) {
    auto fail = [why](const char* reason) { return failed(why, reason); };
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(std::strerror(errno));
    if (st.st_size < 0) return fail("bad file size");

    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = std::move(path);
    file->mtime_ = mtime;
    file->size_ = static_cast<uint64_t>(st.st_size);
    if (file->size_ == 0) return file;
    if (file->size_ > SIZE_MAX) return fail("file too large to map");
    void* p = ::mmap(nullptr, static_cast<size_t>(file->size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return fail(std::strerror(errno));
    file->data_ = static_cast<const std::byte*>(p);
    return file;
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path, bool regular_only) {
    std::string why;
    auto file = try_open(path, &why, regular_only);
    if (!file) throw Error("cannot read " + path + ": " + why);
    return file;
}

std::shared_ptr<const MappedFile> MappedFile::from_bytes(std::string path,
                                                         std::span<const std::byte> bytes,
                                                         std::optional<timespec> mtime) {
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = std::move(path);
    if (mtime) {
        file->mtime_ = *mtime;
    } else {
        ::clock_gettime(CLOCK_REALTIME, &file->mtime_);
    }
    file->owned_.assign(bytes.begin(), bytes.end());
    file->size_ = file->owned_.size();
    file->data_ = file->owned_.empty() ? nullptr : file->owned_.data();
    return file;
}

MappedFile::~MappedFile() {
    if (data_ && owned_.empty())
        ::munmap(const_cast<std::byte*>(data_), static_cast<size_t>(size_));
}

void MappedFile::advise_random() const {
    if (data_ && owned_.empty())
        ::madvise(const_cast<std::byte*>(data_), static_cast<size_t>(size_), MADV_RANDOM);
}

} // namespace heapy::memory
