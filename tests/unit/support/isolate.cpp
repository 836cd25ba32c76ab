#include "tests/unit/support/isolate.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace heapy::test {

std::string Outcome::describe() const {
    switch (status) {
    case Status::Finished:
        return "finished: " + output;
    case Status::Threw:
        return "threw: " + output;
    case Status::Crashed:
        return code > 0 ? fmt::format("crashed: signal {}", code)
                        : fmt::format("crashed: exit {}", -code);
    case Status::TimedOut:
        return fmt::format("timed out after {} ms", elapsed.count());
    }
    return "?";
}

namespace {

void write_all(int fd, const std::string& text) {
    for (size_t done = 0; done < text.size();) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += size_t(n);
    }
}

void limit_address_space(uint64_t headroom) {
    unsigned long pages = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%lu", &pages) != 1) pages = 0;
        std::fclose(statm);
    }
    if (pages == 0) return;
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE)) + headroom;
    setrlimit(RLIMIT_AS, &limit);
}

[[noreturn]] void run_child(int fd, const std::function<std::string()>& body, uint64_t headroom) {
    // The test framework's crash handlers belong to the parent.
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) std::signal(sig, SIG_DFL);
    limit_address_space(headroom);
    char tag = 'F';
    std::string output;
    try {
        output = body();
    } catch (const std::exception& e) {
        tag = 'T';
        output = e.what();
    } catch (...) {
        tag = 'T';
        output = "an exception that is not a std::exception";
    }
    write_all(fd, std::string(1, tag) + output);
    ::close(fd);
    ::_exit(0);
}

} // namespace

Outcome isolated(const std::function<std::string()>& body, std::chrono::milliseconds timeout,
                 uint64_t headroom) {
    using clock = std::chrono::steady_clock;
    Outcome outcome;
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    const auto start = clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(fds[0]);
        run_child(fds[1], body, headroom);
    }
    ::close(fds[1]);
    std::string received;
    bool timed_out = false;
    for (;;) {
        const auto left =
            timeout - std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, int(left.count())) == 0) continue;
        char buffer[4096];
        ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n <= 0) break;
        received.append(buffer, size_t(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    if (timed_out) {
        outcome.status = Outcome::Status::TimedOut;
    } else if (WIFSIGNALED(status)) {
        outcome.code = WTERMSIG(status);
    } else if (WEXITSTATUS(status) != 0 || received.empty()) {
        outcome.code = -WEXITSTATUS(status);
    } else {
        outcome.status = received[0] == 'F' ? Outcome::Status::Finished : Outcome::Status::Threw;
        outcome.output = received.substr(1);
    }
    return outcome;
}

} // namespace heapy::test
