#pragma once

#include <chrono>
#include <vector>

namespace heapy::memory {

// Stops every thread of a live process for as long as it exists, so that its memory can be read
// consistently; resumes them when destroyed (also when an exception passes through). Each thread
// is attached with PTRACE_SEIZE and stopped with PTRACE_INTERRUPT; /proc/PID/task is listed
// again until no new thread shows up. No signal is sent to the process, nothing in it is
// changed, and a thread that was already stopped (e.g. by SIGSTOP) stays stopped afterwards.
// If this process dies meanwhile, the kernel detaches and the target runs on.
//
// Not for processes a debugger already controls (gdb, lldb): use the debugger's own stop.
class ProcessStopper {
  public:
    // Throws heapy::Error (one line) when the process does not exist, is already traced, cannot
    // be traced (permissions), or a thread does not stop within `timeout`.
    explicit ProcessStopper(int pid,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    ~ProcessStopper();
    ProcessStopper(const ProcessStopper&) = delete;
    ProcessStopper& operator=(const ProcessStopper&) = delete;

    int pid() const { return pid_; }
    // The ids of the threads that are stopped.
    std::vector<int> threads() const;
    // Resumes the process now (the destructor then does nothing). Never throws.
    void release() noexcept;

  private:
    struct Thread {
        int tid = 0;
        bool stopped = false;
        bool gone = false;
        int pending_signal = 0; // a signal caught at our stop, re-delivered on detach
    };
    bool wait_stopped(Thread& t, std::chrono::steady_clock::time_point deadline);

    int pid_;
    std::vector<Thread> threads_;
};

} // namespace heapy::memory
