// The memory layer against real CPython 3.11 processes: a core taken with gdb's gcore, and the
// live process through /proc/PID/mem while ProcessStopper holds it.
#include "core/errors.hpp"
#include "core/memory/elf_module.hpp"
#include "core/memory/process_stopper.hpp"
#include "core/memory/target.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace heapy::memory;

namespace {

const char* const debian_python = "/usr/bin/python3.11";
const char* const pyenv_python = "/root/.pyenv/versions/3.11.7/bin/python3.11";

bool executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

std::string find_in_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    size_t pos = 0;
    while (pos <= p.size()) {
        size_t end = p.find(':', pos);
        if (end == std::string::npos) end = p.size();
        std::string candidate = p.substr(pos, end - pos) + "/" + name;
        if (executable(candidate)) return candidate;
        pos = end + 1;
    }
    return {};
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/heapy_memory_real_XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// A python process sleeping in time.sleep(), killed when this goes out of scope.
struct PythonChild {
    pid_t pid = -1;

    explicit PythonChild(const std::string& python) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        const char* code = "import sys, time; sys.stdout.write('ready\\n'); sys.stdout.flush(); "
                           "time.sleep(60)";
        const char* argv[] = {python.c_str(), "-c", code, nullptr};
        int rc =
            posix_spawn(&pid, python.c_str(), &actions, nullptr, const_cast<char**>(argv), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) pid = -1;
        REQUIRE(rc == 0);
        // Wait (at most 10 s) until the interpreter is up and sleeping.
        pollfd p{fds[0], POLLIN, 0};
        char buf[16] = {};
        bool ready = ::poll(&p, 1, 10000) == 1 && ::read(fds[0], buf, sizeof buf - 1) > 0;
        ::close(fds[0]);
        REQUIRE(ready);
        REQUIRE(std::string(buf).rfind("ready", 0) == 0);
    }
    ~PythonChild() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    // The state letter of /proc/PID/stat (R, S, t, T, ...).
    char state() const {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string s;
        std::getline(in, s);
        auto close = s.rfind(')');
        return close != std::string::npos && close + 2 < s.size() ? s[close + 2] : '?';
    }
};

// Runs gcore on `pid`; returns the core's path (empty on failure).
std::string take_core(const std::string& gcore, int pid, const std::string& dir) {
    std::string prefix = dir + "/core";
    std::string pid_s = std::to_string(pid);
    const char* argv[] = {gcore.c_str(), "-o", prefix.c_str(), pid_s.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t child = -1;
    int rc =
        posix_spawn(&child, gcore.c_str(), &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return {};
    int status = 0;
    ::waitpid(child, &status, 0);
    std::string core = prefix + "." + pid_s;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(core)) return {};
    return core;
}

// What every target of a CPython 3.11 process must give.
void check_python_target(Target& t, bool shared_libpython) {
    INFO(t.description);
    auto runtime = t.symbols->lookup("_PyRuntime");
    auto version = t.symbols->lookup("Py_Version");
    auto dict_type = t.symbols->lookup("PyDict_Type");
    REQUIRE(runtime.has_value());
    REQUIRE(version.has_value());
    REQUIRE(dict_type.has_value());

    // Py_Version lives in .rodata, which gcore leaves out of the core: read from the file.
    uint32_t v = 0;
    REQUIRE(t.memory->read(*version, std::as_writable_bytes(std::span<uint32_t>(&v, 1))) == 4);
    CHECK((v >> 16) == 0x030b);
    CHECK((v & 0xff) == 0xf0);
    CHECK(t.memory->view(*version, 4) != nullptr);

    // _PyRuntime and PyDict_Type are in writable data, dumped in the core.
    std::vector<std::byte> buf(256);
    CHECK(t.memory->read(*runtime, buf) == buf.size());
    CHECK(t.memory->read(*dict_type, buf) == buf.size());

    auto section = t.symbols->section(".PyRuntime");
    REQUIRE(section.has_value());
    CHECK(*runtime >= section->start);
    CHECK(*runtime < section->end);

    auto modules = t.symbols->modules();
    auto exe = std::find_if(modules.begin(), modules.end(),
                            [](const LoadedModule& m) { return m.is_executable; });
    REQUIRE(exe != modules.end());
    CHECK(!exe->build_id.empty());
    auto regions = t.memory->regions();
    CHECK(regions.size() > 5);
    if (shared_libpython) {
        auto lib = std::find_if(modules.begin(), modules.end(),
                                [](const LoadedModule& m) { return is_libpython(m.path); });
        REQUIRE(lib != modules.end());
        CHECK(lib->bias != 0);
        CHECK(lib->bias % 4096 == 0);
        CHECK(*runtime >= lib->start);
        CHECK(*runtime < lib->end);
        CHECK(*version >= lib->start);
        CHECK(*version < lib->end);
        CHECK(exe->bias != 0); // pyenv's python is PIE too
    } else {
        CHECK(exe->bias == 0); // Debian's python3.11 is not PIE
        CHECK(*runtime < exe->end);
    }
}

void check_real_python(const std::string& python, bool shared_libpython) {
    std::string gcore = find_in_path("gcore");
    PythonChild child(python);

    if (gcore.empty()) {
        WARN("gcore (from gdb) is not installed: core-file part skipped");
    } else {
        TempDir dir;
        std::string core = take_core(gcore, child.pid, dir.path);
        REQUIRE(!core.empty());
        {
            Target t = open_core(core);
            INFO(core);
            CHECK(t.executable == python);
            CHECK(t.description.find("pid " + std::to_string(child.pid)) != std::string::npos);
            CHECK(t.missing_bytes == 0);
            for (const auto& n : t.notes) WARN("note: " << n);
            check_python_target(t, shared_libpython);
        }
        {
            Target t = open_core(core, python); // the right executable, named explicitly
            check_python_target(t, shared_libpython);
        }
        if (!shared_libpython) {
            // gcore writes its notes at the end: a truncated core loses them. With the
            // executable named, a non-PIE python is still placed and its .rodata read.
            std::string cut = dir.path + "/core.cut";
            std::filesystem::copy_file(core, cut);
            std::filesystem::resize_file(cut, 1 << 20);
            CHECK_THROWS_WITH(open_core(cut), Catch::Contains("is truncated ("));
            CoreOptions options{.executable = python, .allow_truncated = true};
            Target t = open_core(cut, options);
            CHECK(t.missing_bytes > 0);
            auto version = t.symbols->lookup("Py_Version");
            REQUIRE(version.has_value());
            uint32_t v = 0;
            REQUIRE(t.memory->read(*version, std::as_writable_bytes(std::span<uint32_t>(&v, 1))) ==
                    4);
            CHECK((v >> 16) == 0x030b);
        }
        // Another executable: refused with a clear line.
        std::string other = python == debian_python ? "/bin/ls" : debian_python;
        try {
            open_core(core, other);
            FAIL("a mismatched executable was accepted");
        } catch (const heapy::Error& e) {
            CHECK(std::string(e.what()).find("does not match core") != std::string::npos);
        }
    }

    {
        ProcessStopper stopper(child.pid);
        auto threads = stopper.threads();
        CHECK(std::find(threads.begin(), threads.end(), child.pid) != threads.end());
        CHECK(child.state() == 't'); // stopped by us
        Target t = open_process(child.pid);
        CHECK(t.pid == child.pid);
        CHECK(t.executable == python);
        for (const auto& n : t.notes) WARN("note: " << n);
        check_python_target(t, shared_libpython);
        // Stopping twice is refused (a process has one tracer).
        CHECK_THROWS_AS(ProcessStopper(child.pid), heapy::Error);
    }
    // Released: sleeping again, not stopped, not killed.
    char state = child.state();
    CHECK((state == 'S' || state == 'R'));
}

} // namespace

TEST_CASE("real python: Debian's static /usr/bin/python3.11, core and live", "[memory]") {
    if (!executable(debian_python)) {
        WARN(debian_python << " is not installed: skipped");
        return;
    }
    check_real_python(debian_python, false);
}

TEST_CASE("real python: pyenv's --enable-shared 3.11.7 (libpython, PIE), core and live",
          "[memory]") {
    if (!executable(pyenv_python)) {
        WARN(pyenv_python << " is not installed: skipped");
        return;
    }
    check_real_python(pyenv_python, true);
}

TEST_CASE("live process: errors are one clear line", "[memory]") {
    // A pid that does not exist (pid_max is at most 2^22).
    CHECK_THROWS_WITH(open_process(99999999), Catch::Contains("no process with pid 99999999"));
    CHECK_THROWS_WITH(ProcessStopper(99999999), Catch::Contains("no process with pid 99999999"));
    CHECK_THROWS_WITH(ProcessStopper(::getpid()), Catch::Contains("its own process"));
    CHECK_THROWS_WITH(open_process(0), Catch::Contains("invalid process id"));
}

TEST_CASE("live process: ProcessStopper stops every thread and lets go", "[memory]") {
    if (!executable(debian_python)) return;
    // A process with several threads, all sleeping.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const char* code = "import sys, threading, time\n"
                       "for _ in range(4): threading.Thread(target=time.sleep, args=(60,), "
                       "daemon=True).start()\n"
                       "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)";
    const char* argv[] = {debian_python, "-c", code, nullptr};
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, debian_python, &actions, nullptr, const_cast<char**>(argv),
                        environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    struct Reap {
        pid_t pid;
        ~Reap() {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reap{pid};
    pollfd p{fds[0], POLLIN, 0};
    char buf[16] = {};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    REQUIRE(::read(fds[0], buf, sizeof buf - 1) > 0);
    ::close(fds[0]);

    {
        ProcessStopper stopper(pid);
        CHECK(stopper.threads().size() == 5);
        Target t = open_process(pid);
        CHECK(t.thread_ids.size() == 5);
        // Throwing while stopped must still release the process.
        try {
            ProcessStopper inner(pid); // already traced by us: refused
        } catch (const heapy::Error&) {
        }
    }
    // Every thread runs again.
    for (const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        std::ifstream in(entry.path() / "stat");
        std::string s;
        std::getline(in, s);
        auto close = s.rfind(')');
        REQUIRE(close != std::string::npos);
        char state = s[close + 2];
        CHECK((state == 'S' || state == 'R'));
    }
}

// Not run by default: `heapy_unit_tests "[.memory-bench]" -s` prints read and view costs on a
// gcore core and on the live process of a python holding a million strings.
TEST_CASE("memory benchmark: reads per second on a real heap", "[.memory-bench]") {
    std::string gcore = find_in_path("gcore");
    if (!executable(debian_python) || gcore.empty()) return;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    const char* code = "import sys, time; x = [str(i) * 3 for i in range(1000000)]; "
                       "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)";
    const char* argv[] = {debian_python, "-c", code, nullptr};
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, debian_python, &actions, nullptr, const_cast<char**>(argv),
                        environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    struct Reap {
        pid_t pid;
        ~Reap() {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reap{pid};
    pollfd p{fds[0], POLLIN, 0};
    char buf[16] = {};
    REQUIRE(::poll(&p, 1, 30000) == 1);
    REQUIRE(::read(fds[0], buf, sizeof buf - 1) > 0);
    ::close(fds[0]);

    auto bench = [](const char* what, Target& t) {
        // One million readable 8-byte-aligned addresses in the writable mappings.
        std::vector<std::pair<uint64_t, uint64_t>> spans;
        for (const Region& r : t.memory->regions())
            if (r.readable && r.writable && r.end - r.start >= 4096)
                spans.emplace_back(r.start, r.end);
        REQUIRE(!spans.empty());
        std::vector<uint64_t> addresses;
        uint64_t x = 88172645463325252ull;
        std::byte probe[64];
        for (int tries = 0; addresses.size() < 1000000 && tries < 4000000; ++tries) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const auto& s = spans[x % spans.size()];
            uint64_t a = (s.first + (x >> 8) % (s.second - s.first - 64)) & ~uint64_t(7);
            if (t.memory->read(a, probe) == sizeof probe) addresses.push_back(a);
        }
        std::sort(addresses.begin(), addresses.end()); // a heap walk has locality
        auto t0 = std::chrono::steady_clock::now();
        uint64_t total = 0;
        for (int rep = 0; rep < 5; ++rep)
            for (uint64_t a : addresses) total += t.memory->read(a, {probe, 16 + (a >> 3) % 48});
        auto t1 = std::chrono::steady_clock::now();
        uint64_t views = 0;
        for (int rep = 0; rep < 5; ++rep)
            for (uint64_t a : addresses) views += t.memory->view(a, 32) != nullptr;
        auto t2 = std::chrono::steady_clock::now();
        double n = 5.0 * static_cast<double>(addresses.size());
        double read_ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
        double view_ns = std::chrono::duration<double, std::nano>(t2 - t1).count() / n;
        WARN(what << ": read(16..64) " << read_ns << " ns, view(32) " << view_ns << " ns (" << total
                  << " bytes, " << views << " views)");
    };
    {
        TempDir dir;
        std::string core = take_core(gcore, pid, dir.path);
        REQUIRE(!core.empty());
        auto t0 = std::chrono::steady_clock::now();
        Target t = open_core(core);
        auto t1 = std::chrono::steady_clock::now();
        double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        WARN("open_core " << ms << " ms, " << std::filesystem::file_size(core) / (1 << 20)
                          << " MiB");
        bench("core", t);
    }
    {
        ProcessStopper stopper(pid);
        auto t0 = std::chrono::steady_clock::now();
        Target t = open_process(pid);
        auto t1 = std::chrono::steady_clock::now();
        double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        WARN("open_process " << ms << " ms");
        bench("live", t);
    }
}
