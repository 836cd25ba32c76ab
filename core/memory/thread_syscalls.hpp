#pragma once

// What each thread was doing when the process stopped, as the kernel saw it: in user code, or
// waiting in a system call (which one, and on what). From a core's NT_PRSTATUS registers, or a
// stopped live thread's /proc/PID/task/TID/syscall.

#include "core/memory/elf_machine.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace heapy::memory {

// What a thread blocked in a system call waits for, as the call says.
enum class SyscallWait {
    Lock,   // futex, flock, semop: a lock, condition or semaphore
    Sleep,  // nanosleep, clock_nanosleep
    Io,     // read, recv, poll, select, epoll, accept, ...
    Child,  // wait4, waitid
    Signal, // pause, sigsuspend, sigtimedwait
    Timed,  // restart_syscall: a timed wait (sleep, futex, poll) a stop interrupted, resumed
    Other,
};

struct ThreadSyscall {
    bool in_syscall = false; // false: the thread was in user code
    std::string name;        // "futex"; "syscall 1234" for one the table lacks
    SyscallWait wait = SyscallWait::Other;
    uint64_t first_argument = 0; // futex: the address waited on
};

// The system call `number` of `machine`: its name and what it waits for.
ThreadSyscall describe_syscall(const Machine& machine, int64_t number, uint64_t first_argument);

// From one NT_PRSTATUS note's descriptor; nullopt when the machine's core keeps no system-call
// number or the note is too short.
std::optional<ThreadSyscall> syscall_from_prstatus(const Machine& machine,
                                                   std::span<const std::byte> prstatus);

// From the text of /proc/PID/task/TID/syscall ("202 0x7f.. ... sp pc", "-1 sp pc", "running");
// nullopt for a running thread or text that does not parse.
std::optional<ThreadSyscall> syscall_from_proc_text(const Machine& machine, std::string_view text);

// "lock", "sleep", "io", "child", "signal", "timed", "other": the word JSON output uses.
const char* syscall_wait_word(SyscallWait wait);

} // namespace heapy::memory
