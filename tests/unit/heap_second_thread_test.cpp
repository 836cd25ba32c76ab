#include "core/heap/second_thread.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>

using heapy::heap::SecondThread;

TEST_CASE("second thread: finish waits for the work", "[heap][threads]") {
    int done = 0;
    SecondThread thread([&](const std::atomic<bool>&) { done = 42; });
    REQUIRE(thread.started());
    thread.finish();
    CHECK(done == 42);
    thread.finish(); // again: nothing left to wait for or rethrow
}

TEST_CASE("second thread: finish rethrows what the work threw", "[heap][threads]") {
    SecondThread thread([](const std::atomic<bool>&) { throw std::runtime_error("broken core"); });
    REQUIRE(thread.started());
    CHECK_THROWS_WITH(thread.finish(), "broken core");
    CHECK_NOTHROW(thread.finish());
}

TEST_CASE("second thread: destroyed unfinished, it tells the work to stop and waits",
          "[heap][threads]") {
    std::atomic<bool> running{false}, stopped{false};
    {
        SecondThread thread([&](const std::atomic<bool>& stop) {
            running = true;
            while (!stop.load(std::memory_order_relaxed)) std::this_thread::yield();
            stopped = true;
        });
        REQUIRE(thread.started());
        while (!running) std::this_thread::yield();
    }
    CHECK(stopped);
}
