// setref's reference point: kept per live process beyond one session (gdb and lldb make a new
// session each time the process ran), kept in the session for a core.
#include "core/commands/reference_point.hpp"
#include "core/commands/session_state.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace heapy::commands;

namespace {

heapy::memory::Target live_target(int pid) {
    heapy::memory::Target target;
    target.pid = pid;
    target.description = "process";
    return target;
}

} // namespace

TEST_CASE("a live process's reference point outlives the session that set it") {
    const int pid = int(::getpid());
    {
        SessionState first(live_target(pid), {});
        REQUIRE_FALSE(first.reference());
        CHECK(first.set_reference({30, 10, 20, 10}) == 3);
        REQUIRE(first.reference());
        CHECK(*first.reference() == std::vector<uint64_t>{10, 20, 30});
    }
    SessionState second(live_target(pid), {});
    REQUIRE(second.reference());
    CHECK(contains(*second.reference(), 20));
    CHECK_FALSE(contains(*second.reference(), 25));
    // Another process has its own (none).
    SessionState other(live_target(pid + 100000), {});
    CHECK_FALSE(other.reference());
    second.clear_reference();
    CHECK_FALSE(SessionState(live_target(pid), {}).reference());
}

TEST_CASE("a core's reference point stays in its session") {
    heapy::memory::Target core;
    core.description = "core file";
    SessionState first(std::move(core), {});
    CHECK(first.set_reference({5, 1}) == 2);
    CHECK(*first.reference() == std::vector<uint64_t>{1, 5});
    heapy::memory::Target again;
    again.description = "core file";
    CHECK_FALSE(SessionState(std::move(again), {}).reference());
    first.clear_reference();
    CHECK_FALSE(first.reference());
}

TEST_CASE("a live process is known by its pid and start time") {
    auto key = ReferencePoints::key_of(live_target(int(::getpid())));
    REQUIRE(key);
    CHECK(key->find("started ") != std::string::npos);
    CHECK(key->find("started :") == std::string::npos); // this process's start time is readable
    heapy::memory::Target core_of_it = live_target(int(::getpid()));
    core_of_it.description = "core of process (memory read through lldb)";
    CHECK(ReferencePoints::key_of(core_of_it) != key);
    CHECK_FALSE(ReferencePoints::key_of(heapy::memory::Target{}));
}
