// What the kernel says each thread was doing (/proc/PID/task/TID/syscall, a core's registers),
// and how `heapy stacks` words a thread's activity from it.
#include "core/cpython/python_stacks.hpp"
#include "core/memory/thread_syscalls.hpp"

#include <catch2/catch.hpp>
#include <elf.h>

using namespace heapy::memory;
using heapy::cpython::ThreadActivity;
using heapy::cpython::ThreadStack;

namespace {

const Machine& x86_64() {
    return *supported_machine(EM_X86_64);
}
const Machine& aarch64() {
    return *supported_machine(EM_AARCH64);
}

ThreadStack stack(ThreadActivity activity, std::optional<ThreadSyscall> syscall,
                  bool gil_enabled = true) {
    ThreadStack s;
    s.activity = activity;
    s.gil.known = true;
    s.gil.enabled = gil_enabled;
    s.syscall = std::move(syscall);
    return s;
}

} // namespace

TEST_CASE("syscalls: /proc/PID/task/TID/syscall text", "[memory]") {
    auto futex = syscall_from_proc_text(
        x86_64(),
        "202 0x7f5c2c0021f0 0x189 0x0 0x0 0xffffffff 0x0 0x7ffd5e1c8d40 0x7f5c29a7e3b6\n");
    REQUIRE(futex);
    CHECK(futex->in_syscall);
    CHECK(futex->name == "futex");
    CHECK(futex->wait == SyscallWait::Lock);
    CHECK(futex->first_argument == 0x7f5c2c0021f0);

    auto user = syscall_from_proc_text(x86_64(), "-1 0x7ffd5e1c8d40 0x55d0c1e2a3b4\n");
    REQUIRE(user);
    CHECK_FALSE(user->in_syscall);

    CHECK_FALSE(syscall_from_proc_text(x86_64(), "running\n"));
    CHECK_FALSE(syscall_from_proc_text(x86_64(), ""));
    CHECK_FALSE(syscall_from_proc_text(x86_64(), "202"));
    CHECK_FALSE(syscall_from_proc_text(x86_64(), "202 0xzz 0x0"));
}

TEST_CASE("syscalls: names and waits per machine", "[memory]") {
    CHECK(describe_syscall(x86_64(), 230, 0).name == "clock_nanosleep");
    CHECK(describe_syscall(x86_64(), 230, 0).wait == SyscallWait::Sleep);
    CHECK(describe_syscall(aarch64(), 98, 0).name == "futex");
    CHECK(describe_syscall(aarch64(), 63, 0).wait == SyscallWait::Io);
    CHECK(describe_syscall(x86_64(), 61, 0).wait == SyscallWait::Child);
    CHECK(describe_syscall(x86_64(), 34, 0).wait == SyscallWait::Signal);
    CHECK(describe_syscall(x86_64(), 219, 0).wait == SyscallWait::Timed);
    // select() on no file is how time.sleep waits before 3.11; on files it waits on I/O.
    CHECK(describe_syscall(x86_64(), 270, 0).wait == SyscallWait::Sleep);
    CHECK(describe_syscall(x86_64(), 270, 5).wait == SyscallWait::Io);
    // A number the table lacks is named by its number; x86-64's poll (7) is not AArch64's.
    CHECK(describe_syscall(x86_64(), 9999, 0).name == "syscall 9999");
    CHECK(describe_syscall(x86_64(), 9999, 0).wait == SyscallWait::Other);
    CHECK(describe_syscall(aarch64(), 7, 0).name == "syscall 7");
    CHECK(std::string(syscall_wait_word(SyscallWait::Io)) == "io");
}

TEST_CASE("syscalls: a core's registers", "[memory]") {
    std::vector<std::byte> prstatus(336, std::byte{0});
    auto put = [&](size_t at, uint64_t value) { std::memcpy(&prstatus[at], &value, 8); };
    put(232, 35); // orig_rax: nanosleep
    put(224, 0x1000);
    auto sleeping = syscall_from_prstatus(x86_64(), prstatus);
    REQUIRE(sleeping);
    CHECK(sleeping->name == "nanosleep");
    CHECK(sleeping->first_argument == 0x1000);
    put(232, uint64_t(-1));
    REQUIRE(syscall_from_prstatus(x86_64(), prstatus));
    CHECK_FALSE(syscall_from_prstatus(x86_64(), prstatus)->in_syscall);
    // AArch64's core keeps no system-call number; a short note says nothing.
    CHECK_FALSE(syscall_from_prstatus(aarch64(), prstatus));
    CHECK_FALSE(syscall_from_prstatus(x86_64(), std::span(prstatus).first(200)));
}

TEST_CASE("stacks: a thread's activity in words", "[stacks]") {
    using heapy::cpython::activity_text;
    const auto futex = describe_syscall(x86_64(), 202, 0x1000);
    const auto pause = describe_syscall(x86_64(), 34, 0);
    CHECK(activity_text(stack(ThreadActivity::Detached, futex)) ==
          "waiting on a lock (futex; GIL released)");
    CHECK(activity_text(stack(ThreadActivity::Detached, futex, false)) ==
          "waiting on a lock (futex; detached)");
    CHECK(activity_text(stack(ThreadActivity::Attached, pause)) ==
          "waiting for a signal (pause) and holds the GIL");
    CHECK(activity_text(stack(ThreadActivity::Attached, ThreadSyscall{})) ==
          "running (holds the GIL)");
    CHECK(activity_text(stack(ThreadActivity::Detached, ThreadSyscall{})) ==
          "in C code (GIL released)");
    CHECK(activity_text(stack(ThreadActivity::Unknown, describe_syscall(x86_64(), 0, 3))) ==
          "waiting on I/O (read)");
    ThreadStack gil_wait = stack(ThreadActivity::Detached, futex);
    gil_wait.waits_for_gil = true;
    CHECK(activity_text(gil_wait) == "waiting for the GIL");
    // Without the kernel's word, the interpreter's own.
    CHECK(activity_text(stack(ThreadActivity::Detached, std::nullopt)) ==
          "waiting (GIL released: a lock, sleep, I/O or C code)");
    CHECK(activity_text(stack(ThreadActivity::Suspended, futex)) == "suspended (stop-the-world)");
}
