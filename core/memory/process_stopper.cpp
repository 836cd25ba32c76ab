#include "core/memory/process_stopper.hpp"

#include "core/errors.hpp"
#include "core/memory/proc_maps.hpp"
#include "core/memory/process_memory.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace heapy::memory {

namespace {

// TracerPid from /proc/PID/status (0 when not traced or unknown).
int tracer_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("TracerPid:", 0) == 0) return std::atoi(line.c_str() + 10);
    return 0;
}

std::string command_of(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

} // namespace

ProcessStopper::ProcessStopper(int pid, std::chrono::milliseconds timeout) : pid_(pid) {
    const std::string p = std::to_string(pid);
    if (pid <= 0) throw Error("invalid process id " + p);
    if (pid == ::getpid()) throw Error("heapy cannot stop its own process " + p);
    struct stat st {};
    if (::stat(("/proc/" + p).c_str(), &st) != 0)
        throw Error(process_access_error(pid, errno, "stop"));
    if (int tracer = tracer_of(pid); tracer == ::getpid()) {
        throw Error("process " + p + " is already traced by this process (stopped twice?)");
    } else if (tracer != 0) {
        std::string name = command_of(tracer);
        throw Error("process " + p + " is already traced by process " + std::to_string(tracer) +
                    (name.empty() ? "" : " (" + name + ")") +
                    "; detach that debugger first, or run heapy inside it");
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    try {
        for (;;) {
            std::vector<int> tids = list_threads(pid);
            if (tids.empty() && threads_.empty())
                throw Error(process_access_error(pid, ESRCH, "stop"));
            bool found_new = false;
            for (int tid : tids) {
                if (std::any_of(threads_.begin(), threads_.end(),
                                [tid](const Thread& t) { return t.tid == tid; }))
                    continue;
                found_new = true;
                if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
                    int err = errno;
                    if (err == ESRCH) continue; // the thread exited meanwhile
                    if (err == EPERM) {
                        int tracer = tracer_of(pid);
                        if (tracer != 0 && tracer != ::getpid())
                            throw Error("process " + p + " is already traced by process " +
                                        std::to_string(tracer) +
                                        "; detach that debugger first, or run heapy inside it");
                    }
                    throw Error(process_access_error(pid, err, "attach to"));
                }
                threads_.push_back({tid, false, false, 0});
                if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0 && errno == ESRCH) {
                    threads_.back().gone = true;
                    continue;
                }
                if (!wait_stopped(threads_.back(), deadline))
                    throw Error("thread " + std::to_string(tid) + " of process " + p +
                                " did not stop within " + std::to_string(timeout.count()) +
                                " ms (uninterruptible sleep?); try again later");
            }
            if (!found_new) break;
        }
    } catch (...) {
        release();
        throw;
    }
}

bool ProcessStopper::wait_stopped(Thread& t, std::chrono::steady_clock::time_point deadline) {
    auto pause = std::chrono::microseconds(50);
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(t.tid, &status, __WALL | WNOHANG);
        if (r == t.tid) {
            if (WIFEXITED(status) || WIFSIGNALED(status)) {
                t.gone = true;
                return true;
            }
            if (WIFSTOPPED(status)) {
                t.stopped = true;
                // status>>16 == PTRACE_EVENT_STOP: our interrupt or a group-stop. Otherwise a
                // signal arrived first: keep it and hand it back when detaching.
                if ((status >> 16) != PTRACE_EVENT_STOP) t.pending_signal = WSTOPSIG(status);
                return true;
            }
            continue;
        }
        if (r < 0) {
            if (errno == EINTR) continue;
            t.gone = true; // ECHILD: no longer ours to wait for
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
    }
}

void ProcessStopper::release() noexcept {
    for (auto it = threads_.rbegin(); it != threads_.rend(); ++it) {
        Thread& t = *it;
        if (t.gone) continue;
        if (!t.stopped) {
            // Interrupted but not yet stopped: give it a moment, then detach. If it never
            // stops, the kernel detaches it when this process exits.
            try {
                wait_stopped(t, std::chrono::steady_clock::now() + std::chrono::seconds(1));
            } catch (...) {
            }
        }
        if (t.stopped && !t.gone)
            ::ptrace(PTRACE_DETACH, t.tid, nullptr,
                     reinterpret_cast<void*>(static_cast<intptr_t>(t.pending_signal)));
    }
    threads_.clear();
}

std::vector<int> ProcessStopper::threads() const {
    std::vector<int> out;
    for (const Thread& t : threads_)
        if (t.stopped && !t.gone) out.push_back(t.tid);
    return out;
}

ProcessStopper::~ProcessStopper() {
    release();
}

} // namespace heapy::memory
