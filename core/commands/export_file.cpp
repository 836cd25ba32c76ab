#include "core/commands/export_file.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace heapy::commands {

namespace {

// Writes all of `text` to `fd`; returns 0 or the errno of the failure.
int write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        done += size_t(n);
    }
    return 0;
}

} // namespace

ExportFile::ExportFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) throw Error(fmt::format("cannot create {}: {}", path_, std::strerror(errno)));
    struct stat info {};
    regular_ = ::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode);
    try {
        writer_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        ::close(fd_);
        if (regular_) std::remove(path_.c_str());
        throw Error(fmt::format("cannot write {}: no thread to write it ({})", path_, e.what()));
    }
}

ExportFile::~ExportFile() {
    if (finished_) return;
    {
        std::lock_guard lock(mutex_);
        pending_.reset(); // not worth writing any more
    }
    stop_writer();
    ::close(fd_);
    if (regular_) std::remove(path_.c_str());
}

void ExportFile::write(std::string& text) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !pending_ || error_; });
    if (error_) fail(error_);
    pending_ = std::move(text);
    text = std::move(spare_);
    text.clear();
    changed_.notify_all();
}

void ExportFile::finish() {
    stop_writer();
    if (error_) fail(error_);
    const int closed = ::close(fd_);
    const int error = errno;
    finished_ = true;
    if (closed != 0) {
        if (regular_) std::remove(path_.c_str());
        fail(error);
    }
}

void ExportFile::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return pending_ || closing_; });
        if (!pending_) return;
        std::string chunk = std::move(*pending_);
        pending_.reset();
        const bool failed = error_ != 0; // then the rest is not written
        lock.unlock();
        const int error = failed ? 0 : write_all(fd_, chunk);
        lock.lock();
        if (error && !error_) error_ = error;
        spare_ = std::move(chunk);
        changed_.notify_all();
    }
}

void ExportFile::stop_writer() {
    if (!writer_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
        changed_.notify_all();
    }
    writer_.join();
}

void ExportFile::fail(int error) const {
    throw Error(fmt::format("cannot write {}: {}", path_, std::strerror(error)));
}

} // namespace heapy::commands
