#include "core/memory/thread_syscalls.hpp"

#include "core/memory/elf_image.hpp"

#include <charconv>
#include <elf.h>
#include <fmt/format.h>

namespace heapy::memory {

namespace {

// The blocking system calls a thread of a Python process is found in, numbered as x86-64 and as
// AArch64 (the kernel's generic table) number them; -1 where the machine lacks the call.
struct SyscallEntry {
    const char* name;
    int x86_64;
    int aarch64;
    SyscallWait wait;
};

using enum SyscallWait;
constexpr SyscallEntry kSyscalls[] = {
    {"futex", 202, 98, Lock},
    {"futex_waitv", 449, 449, Lock},
    {"flock", 73, 32, Lock},
    {"semop", 65, 193, Lock},
    {"semtimedop", 220, 192, Lock},
    {"nanosleep", 35, 101, Sleep},
    {"clock_nanosleep", 230, 115, Sleep},
    {"read", 0, 63, Io},
    {"write", 1, 64, Io},
    {"readv", 19, 65, Io},
    {"writev", 20, 66, Io},
    {"pread64", 17, 67, Io},
    {"pwrite64", 18, 68, Io},
    {"poll", 7, -1, Io},
    {"select", 23, -1, Io},
    {"ppoll", 271, 73, Io},
    {"pselect6", 270, 72, Io},
    {"epoll_wait", 232, -1, Io},
    {"epoll_pwait", 281, 22, Io},
    {"epoll_pwait2", 441, 441, Io},
    {"accept", 43, 202, Io},
    {"accept4", 288, 242, Io},
    {"connect", 42, 203, Io},
    {"recvfrom", 45, 207, Io},
    {"recvmsg", 47, 212, Io},
    {"recvmmsg", 299, 243, Io},
    {"sendto", 44, 206, Io},
    {"sendmsg", 46, 211, Io},
    {"sendfile", 40, 71, Io},
    {"splice", 275, 76, Io},
    {"io_getevents", 208, 4, Io},
    {"io_pgetevents", 333, 292, Io},
    {"io_uring_enter", 426, 426, Io},
    {"msgrcv", 70, 188, Io},
    {"mq_timedreceive", 243, 183, Io},
    {"wait4", 61, 260, Child},
    {"waitid", 247, 95, Child},
    {"pause", 34, -1, Signal},
    {"rt_sigsuspend", 130, 133, Signal},
    {"rt_sigtimedwait", 128, 137, Signal},
    {"restart_syscall", 219, 128, Timed},
    {"fsync", 74, 82, Other},
    {"fdatasync", 75, 83, Other},
    {"sync", 162, 81, Other},
    {"openat", 257, 56, Other},
    {"ioctl", 16, 29, Other},
    {"fcntl", 72, 25, Other},
    {"sched_yield", 24, 124, Other},
    {"getrandom", 318, 278, Other},
};

std::optional<uint64_t> parse_number(std::string_view word) {
    uint64_t value = 0;
    int base = 10;
    if (word.starts_with("0x")) {
        word.remove_prefix(2);
        base = 16;
    }
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value, base);
    if (ec != std::errc() || end != word.data() + word.size() || word.empty()) return std::nullopt;
    return value;
}

} // namespace

ThreadSyscall describe_syscall(const Machine& machine, int64_t number, uint64_t first_argument) {
    ThreadSyscall out;
    out.in_syscall = true;
    out.first_argument = first_argument;
    out.name = fmt::format("syscall {}", number);
    for (const SyscallEntry& e : kSyscalls) {
        const int own = machine.elf_machine == EM_X86_64 ? e.x86_64 : e.aarch64;
        if (own >= 0 && own == number) {
            out.name = e.name;
            out.wait = e.wait;
            // select() on no file: how time.sleep waits before CPython 3.11.
            const bool no_files =
                (out.name == "select" || out.name == "pselect6") && first_argument == 0;
            if (no_files) out.wait = Sleep;
            break;
        }
    }
    return out;
}

std::optional<ThreadSyscall> syscall_from_prstatus(const Machine& machine,
                                                   std::span<const std::byte> prstatus) {
    const SyscallRegisters& at = machine.syscall;
    if (at.number < 0 || at.first_argument < 0) return std::nullopt;
    if (prstatus.size() < uint64_t(std::max(at.number, at.first_argument)) + 8) return std::nullopt;
    const auto number = load_le<int64_t>(prstatus, uint64_t(at.number));
    if (number < 0) return ThreadSyscall{};
    return describe_syscall(machine, number,
                            load_le<uint64_t>(prstatus, uint64_t(at.first_argument)));
}

std::optional<ThreadSyscall> syscall_from_proc_text(const Machine& machine, std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    const size_t space = text.find(' ');
    const std::string_view first = text.substr(0, space);
    if (first == "-1") return ThreadSyscall{};
    const auto number = parse_number(first);
    if (!number || space == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(space + 1);
    const auto argument = parse_number(rest.substr(0, rest.find(' ')));
    if (!argument) return std::nullopt;
    return describe_syscall(machine, int64_t(*number), *argument);
}

const char* syscall_wait_word(SyscallWait wait) {
    switch (wait) {
    case Lock:
        return "lock";
    case Sleep:
        return "sleep";
    case Io:
        return "io";
    case Child:
        return "child";
    case Signal:
        return "signal";
    case Timed:
        return "timed";
    case Other:
        break;
    }
    return "other";
}

} // namespace heapy::memory
