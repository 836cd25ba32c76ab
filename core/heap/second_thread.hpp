#pragma once

#include "core/memory/memory.hpp"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace heapy::heap {

// Whether work may be split with a second thread: HEAPY_WALK_THREADS is not 1.
inline bool second_thread_allowed() {
    const char* threads = std::getenv("HEAPY_WALK_THREADS");
    return !threads || std::string_view(threads) != "1";
}

// Whether work that reads `memory` may be split with a second thread: besides, the memory allows
// concurrent reads (a core file).
inline bool second_thread_allowed(memory::Memory& memory) {
    return memory.concurrent_reads() && second_thread_allowed();
}

// Starts `work` in a thread that receives no signals: the debugger's Ctrl-C stays with its own
// threads, which poll for it. The thread is not joinable when none could be started (the caller
// then does the work in its own thread).
template <class Work> std::thread start_quiet_thread(Work&& work) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread thread;
    try {
        thread = std::thread(std::forward<Work>(work));
    } catch (const std::system_error&) {
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return thread;
}

// Work done in a second thread (started quiet, as above) while this one does its share: it polls
// `stop`, set when this thread gives up (an exception, Ctrl-C) and the object is destroyed, which
// waits for the thread. finish() waits for the work to end and rethrows what it threw.
class SecondThread {
  public:
    explicit SecondThread(std::function<void(const std::atomic<bool>& stop)> work)
        : work_(std::move(work)) {
        thread_ = start_quiet_thread([this] {
            try {
                work_(stop_);
            } catch (...) {
                error_ = std::current_exception();
            }
        });
        started_ = thread_.joinable();
    }
    ~SecondThread() {
        stop_.store(true, std::memory_order_relaxed);
        if (thread_.joinable()) thread_.join();
    }
    SecondThread(const SecondThread&) = delete;
    SecondThread& operator=(const SecondThread&) = delete;

    // False when no thread could be started: the work is then not done.
    bool started() const { return started_; }
    void finish() {
        if (thread_.joinable()) thread_.join();
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

  private:
    std::function<void(const std::atomic<bool>& stop)> work_;
    std::atomic<bool> stop_{false};
    std::exception_ptr error_;
    std::thread thread_;
    bool started_ = false;
};

} // namespace heapy::heap
