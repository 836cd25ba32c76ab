// Runs a piece of a test in a forked child, so that a decoder that hangs, crashes, trips a
// sanitizer or allocates without bound fails that test instead of taking the suite down.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace heapy::test {

struct Outcome {
    enum class Status { Finished, Threw, Crashed, TimedOut };
    Status status = Status::Crashed;
    std::string output; // what the body returned, or what() of what it threw
    int code = 0;       // signal (crashed by a signal) or exit status (sanitizer reports exit 1)
    std::chrono::milliseconds elapsed{0};

    bool finished() const { return status == Status::Finished; }
    // "finished: <output>", "threw: <what>", "crashed: signal 11", "crashed: exit 1", "timed out"
    std::string describe() const;
};

// Runs `body` in a child process limited to `timeout` and to `headroom` bytes of address space
// beyond what it starts with; its return value comes back as Outcome::output.
Outcome isolated(const std::function<std::string()>& body,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5),
                 uint64_t headroom = uint64_t{1} << 30);

} // namespace heapy::test
