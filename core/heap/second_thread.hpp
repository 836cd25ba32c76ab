#pragma once

#include "core/memory/memory.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdlib>
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

} // namespace heapy::heap
