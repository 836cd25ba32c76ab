#include "core/memory/process_memory.hpp"

#include "core/errors.hpp"
#include "core/memory/proc_maps.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace heapy::memory {

std::string process_access_error(int pid, int err, const std::string& what) {
    std::string p = std::to_string(pid);
    if (err == ENOENT || err == ESRCH) return "no process with pid " + p + " (it may have exited)";
    std::string msg = "cannot " + what + " process " + p + ": " + std::strerror(err);
    if (err == EACCES || err == EPERM)
        msg += "; this needs ptrace permission: run as root or with CAP_SYS_PTRACE, or as the same "
               "user with kernel.yama.ptrace_scope set to 0";
    return msg;
}

ProcMemMemory::ProcMemMemory(int pid) : pid_(pid) {
    if (pid <= 0) throw Error("invalid process id " + std::to_string(pid));
    std::string dir = "/proc/" + std::to_string(pid);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) throw Error(process_access_error(pid, errno, "read"));
    fd_ = ::open((dir + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error(process_access_error(pid, errno, "read the memory of"));
}

ProcMemMemory::~ProcMemMemory() {
    if (fd_ >= 0) ::close(fd_);
}

size_t ProcMemMemory::read(uint64_t address, std::span<std::byte> out) {
    size_t done = 0;
    while (done < out.size()) {
        uint64_t a = address + done;
        // pread takes a signed offset: the top half of the address space is kernel space.
        if (a > static_cast<uint64_t>(INT64_MAX) || a < address) break;
        ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(a));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; // EIO / EFAULT: unmapped or unreadable from here on
        done += static_cast<size_t>(n);
    }
    return done;
}

std::unique_ptr<BlockCache> make_process_memory(int pid, size_t block_size) {
    auto source = std::make_unique<ProcMemMemory>(pid);
    std::vector<Region> regions = read_proc_maps(pid);
    for (Region& r : regions)
        if (is_unreadable_pseudo_mapping(r.path)) r.readable = false;
    BlockCacheOptions options;
    options.block_size = block_size;
    return std::make_unique<BlockCache>(std::move(source), options, std::move(regions));
}

} // namespace heapy::memory
