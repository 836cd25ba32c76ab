#include "plugin/lldb/lldb_target.hpp"

#include "core/errors.hpp"
#include "core/memory/callback_memory.hpp"
#include "plugin/common/core_file.hpp"
#include "plugin/common/frontend_util.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace heapy::lldb_frontend {

bool is_attached(lldb::SBProcess& process) {
    if (!process.IsValid()) return false;
    switch (process.GetState()) {
    case lldb::eStateInvalid:
    case lldb::eStateUnloaded:
    case lldb::eStateConnected:
    case lldb::eStateDetached:
    case lldb::eStateExited:
        return false;
    default:
        return true;
    }
}

bool is_stopped(lldb::StateType state) {
    return state == lldb::eStateStopped || state == lldb::eStateCrashed ||
           state == lldb::eStateSuspended;
}

namespace {

std::optional<std::string> core_file_of(lldb::SBProcess& process) {
#if HEAPY_LLDB_HAS_GET_CORE_FILE
    if (lldb::SBFileSpec spec = process.GetCoreFile(); spec.IsValid()) {
        char path[4096];
        if (spec.GetPath(path, sizeof path) > 0) return std::string(path);
    }
#endif
    return heapy::frontend::find_mapped_core(static_cast<int64_t>(process.GetProcessID()));
}

std::optional<std::string> path_of(lldb::SBFileSpec spec) {
    if (!spec.IsValid()) return std::nullopt;
    char path[4096];
    if (spec.GetPath(path, sizeof path) == 0) return std::nullopt;
    return std::string(path);
}

std::optional<uint64_t> lookup_symbol(lldb::SBTarget target, std::string_view name) {
    std::string n(name);
    lldb::SBSymbolContextList found = target.FindSymbols(n.c_str(), lldb::eSymbolTypeAny);
    // Modules come in load order, the executable first: take the first one that is loaded.
    for (uint32_t i = 0; i < found.GetSize(); ++i) {
        lldb::SBSymbol symbol = found.GetContextAtIndex(i).GetSymbol();
        if (!symbol.IsValid()) continue;
        lldb::addr_t a = symbol.GetStartAddress().GetLoadAddress(target);
        if (a != LLDB_INVALID_ADDRESS) return a;
    }
    lldb::SBValue var = target.FindFirstGlobalVariable(n.c_str());
    if (var.IsValid()) {
        lldb::addr_t a = var.GetLoadAddress();
        if (a != LLDB_INVALID_ADDRESS) return a;
    }
    return std::nullopt;
}

std::optional<heapy::memory::SectionRange> lookup_section(lldb::SBTarget target,
                                                          std::string_view name) {
    std::string n(name);
    for (uint32_t i = 0; i < target.GetNumModules(); ++i) {
        lldb::SBSection section = target.GetModuleAtIndex(i).FindSection(n.c_str());
        if (!section.IsValid()) continue;
        lldb::addr_t a = section.GetLoadAddress(target);
        if (a == LLDB_INVALID_ADDRESS) continue;
        return heapy::memory::SectionRange{a, a + section.GetByteSize()};
    }
    return std::nullopt;
}

std::vector<heapy::memory::LoadedModule> modules_of(lldb::SBTarget target) {
    std::vector<heapy::memory::LoadedModule> modules;
    for (uint32_t i = 0; i < target.GetNumModules(); ++i) {
        lldb::SBModule module = target.GetModuleAtIndex(i);
        heapy::memory::LoadedModule m;
        m.path = path_of(module.GetPlatformFileSpec()).value_or("");
        m.opened = path_of(module.GetFileSpec()).value_or("");
        if (m.path.empty()) m.path = m.opened;
        lldb::SBAddress header = module.GetObjectFileHeaderAddress();
        lldb::addr_t header_load = header.GetLoadAddress(target);
        if (header_load == LLDB_INVALID_ADDRESS) continue;
        m.bias = header_load - header.GetFileAddress();
        m.start = UINT64_MAX;
        for (size_t s = 0; s < module.GetNumSections(); ++s) {
            lldb::SBSection section = module.GetSectionAtIndex(s);
            lldb::addr_t a = section.GetLoadAddress(target);
            if (a == LLDB_INVALID_ADDRESS || section.GetByteSize() == 0) continue;
            m.start = std::min<uint64_t>(m.start, a);
            m.end = std::max<uint64_t>(m.end, a + section.GetByteSize());
        }
        if (m.start == UINT64_MAX) m.start = m.end = header_load;
        m.is_executable = i == 0;
        modules.push_back(std::move(m));
    }
    return modules;
}

heapy::memory::Target open_through_lldb(lldb::SBProcess process) {
    lldb::SBTarget target = process.GetTarget();
    std::vector<heapy::memory::Region> regions;
    // A core's regions leave out what it did not dump (read-only file-backed memory, which the
    // reader below takes from the files): only a live process's regions are the whole picture.
    const char* plugin = process.GetPluginName();
    bool is_core = plugin && std::string_view(plugin) == "elf-core";
    lldb::SBMemoryRegionInfoList list;
    if (!is_core) list = process.GetMemoryRegions();
    for (uint32_t i = 0; i < list.GetSize(); ++i) {
        lldb::SBMemoryRegionInfo info;
        if (!list.GetMemoryRegionAtIndex(i, info) || !info.IsMapped()) continue;
        heapy::memory::Region r;
        r.start = info.GetRegionBase();
        r.end = info.GetRegionEnd();
        r.readable = info.IsReadable();
        r.writable = info.IsWritable();
        r.executable = info.IsExecutable();
        if (const char* name = info.GetName()) r.path = name;
        regions.push_back(std::move(r));
    }
    auto reader = [process, target](uint64_t address, std::span<std::byte> out) mutable -> size_t {
        size_t n = 0;
        while (n < out.size()) {
            lldb::SBError error;
            size_t got = process.ReadMemory(address + n, out.data() + n, out.size() - n, error);
            if (got > 0 && got <= out.size() - n) {
                n += got;
                continue;
            }
            // A core omits read-only file-backed memory (.rodata, e.g. Py_Version): take it from
            // the file of the module section it lies in, one section at a time.
            lldb::SBAddress at(address + n, target);
            lldb::SBSection section = at.GetSection();
            if (!section.IsValid()) break;
            uint64_t end = section.GetLoadAddress(target) + section.GetByteSize();
            if (end <= address + n) break;
            size_t chunk =
                static_cast<size_t>(std::min<uint64_t>(out.size() - n, end - (address + n)));
            lldb::SBError file_error;
            got = target.ReadMemory(at, out.data() + n, chunk, file_error);
            if (got == 0 || got > chunk) break;
            n += got;
        }
        return n;
    };
    heapy::memory::CallbackTargetOptions options;
    options.description = (is_core ? "core of process " : "process ") +
                          std::to_string(process.GetProcessID()) + " (memory read through lldb)";
    options.pid = static_cast<int>(process.GetProcessID());
    options.executable = path_of(target.GetExecutable()).value_or("");
    options.regions = std::move(regions);
    options.modules = modules_of(target);
    options.section = [target](std::string_view name) { return lookup_section(target, name); };
    for (uint32_t i = 0; i < process.GetNumThreads(); ++i)
        options.thread_ids.push_back(static_cast<int>(process.GetThreadAtIndex(i).GetThreadID()));
    // Each ReadMemory is a round trip to lldb (and lldb-server): ask for big blocks. Unmapped
    // parts cost little: a live process's regions are known, and a failed block is split.
    options.cache.block_size = 1024 * 1024;
    return heapy::memory::make_callback_target(
        std::move(reader), [target](std::string_view name) { return lookup_symbol(target, name); },
        std::move(options));
}

// The files lldb found for the modules of a core (through `platform select --sysroot`, search
// paths, symbol locations), by build-id as heapy spells it (lowercase hex, no dashes).
std::map<std::string, std::string> module_files(lldb::SBTarget& target) {
    std::map<std::string, std::string> files;
    for (uint32_t i = 0; i < target.GetNumModules(); ++i) {
        lldb::SBModule module = target.GetModuleAtIndex(i);
        const char* uuid = module.GetUUIDString();
        auto local = path_of(module.GetFileSpec());
        if (!uuid || !local) continue;
        std::string build_id;
        for (const char* c = uuid; *c; ++c)
            if (*c != '-') build_id += char(std::tolower(static_cast<unsigned char>(*c)));
        files.emplace(std::move(build_id), *local);
    }
    return files;
}

} // namespace

memory::Target open_target(lldb::SBDebugger& debugger, lldb::SBCommandReturnObject& result,
                           bool allow_truncated) {
    lldb::SBTarget target = debugger.GetSelectedTarget();
    lldb::SBProcess process = target.IsValid() ? target.GetProcess() : lldb::SBProcess();
    if (!is_attached(process))
        throw heapy::Error("no target: load a core file (`target create EXE --core CORE`) or "
                           "attach to a Python process (`process attach --pid PID`)");
    if (!is_stopped(process.GetState()))
        throw heapy::Error("the process is running; stop it first (`process interrupt`)");

    if (const char* v = std::getenv("HEAPY_READ_THROUGH_DEBUGGER"); v && *v)
        return open_through_lldb(process); // for tests of that path
    const char* plugin = process.GetPluginName();
    std::string kind = plugin ? plugin : "";
    std::optional<std::string> exe = path_of(target.GetExecutable());
    if (kind == "elf-core") {
        if (auto core = core_file_of(process))
            return heapy::memory::open_core(
                *core, heapy::memory::CoreOptions{.executable = exe,
                                                  .files_by_build_id = module_files(target),
                                                  .allow_truncated = allow_truncated});
        return open_through_lldb(process);
    }
    lldb::SBPlatform platform = target.GetPlatform();
    const char* platform_name = platform.IsValid() ? platform.GetName() : nullptr;
    bool local = platform_name && std::string_view(platform_name) == "host";
    if (local && kind == "gdb-remote") {
        try {
            return heapy::memory::open_process(static_cast<int>(process.GetProcessID()));
        } catch (const heapy::Error& e) {
            std::string message = frontend::debugger_advice(e.what(), frontend::Debugger::lldb);
            result.AppendWarning(
                (frontend::error_line(message) + "; reading memory through lldb instead").c_str());
        }
    }
    return open_through_lldb(process);
}

} // namespace heapy::lldb_frontend
