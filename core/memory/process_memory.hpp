#pragma once

#include "core/memory/block_cache.hpp"
#include "core/memory/memory.hpp"

#include <memory>
#include <string>

namespace heapy::memory {

// Uncached reads of a live process through pread() on /proc/PID/mem. Each call is a syscall:
// use it behind a BlockCache (open_process does).
class ProcMemMemory final : public Memory {
  public:
    // Opens /proc/PID/mem. Throws heapy::Error for a missing process or missing permission.
    explicit ProcMemMemory(int pid);
    ~ProcMemMemory() override;
    ProcMemMemory(const ProcMemMemory&) = delete;
    ProcMemMemory& operator=(const ProcMemMemory&) = delete;

    size_t read(uint64_t address, std::span<std::byte> out) override;
    int pid() const { return pid_; }

  private:
    int pid_;
    int fd_ = -1;
};

// The message for a failure to access process `pid` with errno `err` while doing `what`.
std::string process_access_error(int pid, int err, const std::string& what);

// Live-process reads: /proc/PID/mem behind 1 MiB blocks, restricted to the readable mappings
// of /proc/PID/maps (pseudo mappings such as [vvar] are left out).
std::unique_ptr<BlockCache> make_process_memory(int pid, size_t block_size = 1024 * 1024);

} // namespace heapy::memory
