// open_process: a live process as a Target (memory through /proc/PID/mem, symbols from the
// files it maps, opened through /proc so that containers and replaced files work).
#include "core/errors.hpp"
#include "core/memory/elf_machine.hpp"
#include "core/memory/elf_module.hpp"
#include "core/memory/elf_symbols.hpp"
#include "core/memory/proc_maps.hpp"
#include "core/memory/process_memory.hpp"
#include "core/memory/target.hpp"

#include <climits>
#include <fmt/format.h>
#include <fstream>
#include <unistd.h>

namespace heapy::memory {

namespace {

std::string read_link(const std::string& path) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return {};
    return std::string(buf, static_cast<size_t>(n));
}

// Where a stopped thread is, from /proc/PID/task/TID/syscall (readable by its tracer).
std::optional<ThreadSyscall> read_thread_syscall(int pid, int tid) {
    std::ifstream in(fmt::format("/proc/{}/task/{}/syscall", pid, tid));
    std::string text;
    if (!in || !std::getline(in, text)) return std::nullopt;
    return syscall_from_proc_text(host_machine(), text);
}

} // namespace

Target open_process(int pid) {
    Target target;
    auto memory = make_process_memory(pid);
    const std::vector<Region> regions = memory->regions();
    const std::string proc = "/proc/" + std::to_string(pid);

    std::string exe = read_link(proc + "/exe");
    static const std::string deleted_suffix = " (deleted)";
    if (exe.ends_with(deleted_suffix)) exe.resize(exe.size() - deleted_suffix.size());

    std::vector<std::pair<std::string, ModuleMapping>> maps;
    for (const Region& r : regions)
        if (!r.path.empty() && r.path[0] == '/')
            maps.push_back({r.path, {r.start, r.end, r.file_offset}});
    std::vector<ElfModule> modules;
    for (const ModuleCandidate& cand : group_by_file(maps)) {
        const bool is_exe = !exe.empty() && cand.path == exe;
        std::vector<std::string> files;
        if (is_exe) files.push_back(proc + "/exe");
        const ModuleMapping& first = cand.mappings.front();
        files.push_back(fmt::format("{}/map_files/{:x}-{:x}", proc, first.start, first.end));
        files.push_back(proc + "/root" + cand.path);
        files.push_back(cand.path);
        std::string why;
        bool not_elf = false;
        auto mod = load_elf_module(cand, files, host_machine().elf_machine, &why, &not_elf);
        if (!mod) {
            if (!not_elf && (is_exe || cand.path.find(".so") != std::string::npos))
                target.notes.push_back((is_exe ? "executable " : "shared object ") + cand.path +
                                       " of process " + std::to_string(pid) + " cannot be read (" +
                                       why + "); its symbols are unknown");
            continue;
        }
        mod->is_executable = is_exe;
        modules.push_back(std::move(*mod));
    }

    target.memory = std::move(memory);
    target.symbols = std::make_unique<ElfSymbols>(std::move(modules));
    target.pid = pid;
    target.executable = exe;
    target.thread_ids = list_threads(pid);
    target.machine = &host_machine();
    for (int tid : target.thread_ids)
        if (auto syscall = read_thread_syscall(pid, tid)) target.thread_syscalls[tid] = *syscall;
    target.description = "process " + std::to_string(pid) + (exe.empty() ? "" : " (" + exe + ")");
    return target;
}

} // namespace heapy::memory
