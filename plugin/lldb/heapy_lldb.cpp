// The lldb front end: `plugin load libheapy_lldb.so` adds a multiword command `heapy` whose
// subcommands run the shared command language (core/commands) on the selected process.
//
// Target discovery, in order: a core file (its path: SBProcess::GetCoreFile when lldb has it,
// otherwise the ELF core lldb has mapped) → open_core; a live process on this machine →
// open_process (lldb-server keeps it stopped); anything else, or when those fail → memory read
// through SBProcess::ReadMemory and symbols from lldb's module symbol tables. Nothing is ever
// evaluated in, called in or written to the target.
#include "core/commands/session.hpp"
#include "core/errors.hpp"
#include "core/memory/callback_memory.hpp"
#include "core/memory/target.hpp"
#include "plugin/common/core_file.hpp"
#include "plugin/common/frontend_util.hpp"

// The SB API declares its classes without a visibility attribute; they live in liblldb.
#pragma GCC visibility push(default)
#include <lldb/API/LLDB.h>
#pragma GCC visibility pop

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace lldb {
__attribute__((visibility("default"))) bool PluginInitialize(lldb::SBDebugger debugger);
}

namespace {

using heapy::commands::CommandResult;
using heapy::commands::Session;

constexpr auto kLldb = heapy::frontend::Debugger::lldb;

// "heapy: <message>", on one line, telling what to do in lldb rather than which CLI option to add.
std::string lldb_error_line(std::string_view message) {
    return heapy::frontend::error_line(heapy::frontend::debugger_advice(message, kLldb));
}

// The session's help as lldb shows it: the examples' prompt is lldb's.
std::string lldb_help(std::string_view topic, size_t width = 80) {
    return Session::help(topic, heapy::commands::Prompt::lldb, width);
}

// What the running command gives the session's callbacks; set for the duration of one command.
struct RunContext {
    lldb::SBCommandInterpreter interpreter;
    heapy::frontend::ProgressPrinter* progress = nullptr;
    FILE* out = nullptr; // lldb's output, where a long listing goes as it is made
};

// The session for one process at one stop: lldb's stop id changes whenever the process ran.
struct CachedSession {
    lldb::SBTarget target;
    uint32_t process_uid = 0;
    uint32_t stop_id = 0;
    std::unique_ptr<Session> session;
    std::shared_ptr<RunContext> context;
};

std::mutex g_mutex; // one heapy command at a time
// Never destroyed: at exit lldb may already have torn down the targets the cached session
// refers to, so its destructor must not run then.
std::unique_ptr<CachedSession>& g_cache = *new std::unique_ptr<CachedSession>();

// Whether `process` is one heapy can read: not detached from, not exited.
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

// ---- target discovery ---------------------------------------------------------------------

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

// Opens the selected process of `debugger`. Throws heapy::Error with a one-line message.
// `allow_truncated`: analyse what a truncated core file holds instead of refusing it.
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

heapy::memory::Target open_target(lldb::SBDebugger& debugger, lldb::SBCommandReturnObject& result,
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
            result.AppendWarning(
                (lldb_error_line(e.what()) + "; reading memory through lldb instead").c_str());
        }
    }
    return open_through_lldb(process);
}

// A session on `t`, its callbacks reading the command's RunContext.
std::unique_ptr<CachedSession> new_session(heapy::memory::Target t) {
    auto cache = std::make_unique<CachedSession>();
    cache->context = std::make_shared<RunContext>();
    heapy::commands::FrontEnd fe;
    fe.prompt = heapy::commands::Prompt::lldb;
    std::weak_ptr<RunContext> weak = cache->context;
    fe.interrupted = [weak] {
#if HEAPY_LLDB_HAS_WAS_INTERRUPTED
        if (auto c = weak.lock(); c && c->interpreter.IsValid())
            return c->interpreter.WasInterrupted();
#endif
        return false;
    };
    fe.progress = [weak](std::string_view what, uint64_t done, uint64_t total) {
        if (auto c = weak.lock(); c && c->progress) c->progress->update(what, done, total);
    };
    fe.write = [weak](std::string_view text) {
        auto c = weak.lock();
        if (!c || !c->out) return false;
        if (c->progress) c->progress->finish(); // the status line would stand in the listing
        return std::fwrite(text.data(), 1, text.size(), c->out) == text.size() &&
               std::fflush(c->out) == 0;
    };
    cache->session = std::make_unique<Session>(std::move(t), std::move(fe));
    return cache;
}

CachedSession& session_for(lldb::SBDebugger& debugger, lldb::SBCommandReturnObject& result,
                           bool allow_truncated) {
    lldb::SBTarget target = debugger.GetSelectedTarget();
    lldb::SBProcess process = target.IsValid() ? target.GetProcess() : lldb::SBProcess();
    if (g_cache && process.IsValid() && g_cache->target == target &&
        g_cache->process_uid == process.GetUniqueID() && g_cache->stop_id == process.GetStopID() &&
        is_stopped(process.GetState()))
        return *g_cache;

    g_cache.reset();
    auto cache = new_session(open_target(debugger, result, allow_truncated));
    cache->target = target;
    cache->process_uid = process.GetUniqueID();
    cache->stop_id = process.GetStopID();
    g_cache = std::move(cache);
    return *g_cache;
}

// The session of the commands that need no target, when lldb has no process.
CachedSession& session_without_target() {
    static CachedSession& session = *new_session(Session::no_target()).release();
    return session;
}

bool has_process(lldb::SBDebugger& debugger) {
    lldb::SBTarget target = debugger.GetSelectedTarget();
    lldb::SBProcess process = target.IsValid() ? target.GetProcess() : lldb::SBProcess();
    return is_attached(process);
}

bool needs_target(std::string_view command) {
    for (const auto& info : Session::commands())
        if (info.name == command || std::ranges::count(info.aliases, command))
            return info.needs_target;
    return true;
}

// ---- commands -------------------------------------------------------------------------------

void fail(lldb::SBCommandReturnObject& result, std::string_view message) {
    result.SetError(lldb_error_line(message).c_str());
    result.SetStatus(lldb::eReturnStatusFailed);
}

class HeapyCommand : public lldb::SBCommandPluginInterface {
  public:
    explicit HeapyCommand(std::string name) : name_(std::move(name)) {}

    bool DoExecute(lldb::SBDebugger debugger, char** command,
                   lldb::SBCommandReturnObject& result) override {
        std::vector<std::string> args{name_};
        for (char** p = command; p && *p; ++p) args.emplace_back(*p);
        // lldb's to handle, as the standalone command's option: it applies when the target is
        // opened, and the command language does not know it.
        bool allow_truncated = heapy::frontend::take_flag(args, "--allow-truncated");
        try {
            return execute(debugger, args, allow_truncated, result);
        } catch (const heapy::Error& e) {
            fail(result, e.what());
        } catch (const std::bad_alloc&) {
            fail(result, "out of memory");
        } catch (const std::exception& e) {
            fail(result, std::string("internal error: ") + e.what());
        } catch (...) {
            fail(result, "internal error");
        }
        return false;
    }

  private:
    bool execute(lldb::SBDebugger& debugger, const std::vector<std::string>& args,
                 bool allow_truncated, lldb::SBCommandReturnObject& result) {
        if (args[0] == "help") { // needs no target
            std::string text =
                lldb_help(args.size() > 1 ? args[1] : "", debugger.GetTerminalWidth());
            result.Printf("%s", text.c_str());
            result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
            return true;
        }
        std::lock_guard lock(g_mutex);
        CachedSession& cached = !needs_target(args[0]) && !has_process(debugger)
                                    ? session_without_target()
                                    : session_for(debugger, result, allow_truncated);

        FILE* err = debugger.GetErrorFileHandle();
        heapy::frontend::ProgressPrinter progress(
            [err](std::string_view s) {
                std::fwrite(s.data(), 1, s.size(), err);
                std::fflush(err);
            },
            err != nullptr && ::isatty(::fileno(err)) != 0);
        cached.context->interpreter = debugger.GetCommandInterpreter();
        cached.context->progress = &progress;
        cached.context->out = debugger.GetOutputFileHandle();
        struct Detach {
            RunContext& context;
            ~Detach() {
                context.progress = nullptr;
                context.out = nullptr;
            }
        } detach{*cached.context};
        CommandResult r = cached.session->run(args); // reports its own failures in `r`
        progress.finish();

        if (!r.output.empty()) {
            if (r.output.back() != '\n') r.output += '\n'; // keep the prompt on its own line
            result.Printf("%s", heapy::frontend::debugger_advice_in_notes(r.output, kLldb).c_str());
        }
        if (r.status != 0) {
            fail(result, r.error.empty() ? "the command failed" : r.error);
            return false;
        }
        result.SetStatus(lldb::eReturnStatusSuccessFinishResult);
        return true;
    }

    std::string name_;
};

// What Enter after a heapy command runs: nothing, as in gdb. lldb's "no repeat" (an empty repeat
// command) prints "error: No auto repeat."; repeating the command would append to a dump file
// again or reset the reference point. lldb leaves commands named "_..." out of its help.
constexpr const char* kNoRepeat = "_heapy-no-repeat";

class DoNothing : public lldb::SBCommandPluginInterface {
  public:
    bool DoExecute(lldb::SBDebugger, char**, lldb::SBCommandReturnObject& result) override {
        result.SetStatus(lldb::eReturnStatusSuccessFinishNoResult);
        return true;
    }
};

// Registers `heapy NAME` for one command name (or alias) of `info`.
void add_command(lldb::SBCommand& heapy, const std::string& name,
                 const heapy::commands::CommandInfo& info) {
    std::string brief =
        info.summary.empty() ? "A tool for heapy's own tests: " + info.usage : info.summary;
    if (name != info.name) brief = "Alias for 'heapy " + info.name + "': " + brief;
    // lldb prints the brief and the syntax itself: the long help is the rest of the session's
    // help for the command (its options and an example).
    std::string help = lldb_help(info.name);
    std::string long_help;
    if (size_t at = help.find("\nUsage: "); at != std::string::npos) {
        size_t body = help.find_first_not_of('\n', help.find('\n', at + 1));
        if (body != std::string::npos) long_help = help.substr(body);
    }
    // The command object is owned by lldb from here on (SOS and llnode do the same).
    lldb::SBCommand sub = heapy.AddCommand(name.c_str(), new HeapyCommand(name), brief.c_str(),
                                           info.usage.c_str(), kNoRepeat);
    if (sub.IsValid() && !long_help.empty()) sub.SetHelpLong(long_help.c_str());
}

} // namespace

bool lldb::PluginInitialize(lldb::SBDebugger debugger) {
    lldb::SBCommandInterpreter interpreter = debugger.GetCommandInterpreter();
    lldb::SBCommand heapy = interpreter.AddMultiwordCommand(
        "heapy", "Analyse the Python heap of the process or core file, read-only (heapy).");
    if (!heapy.IsValid()) return false;
    std::string overview =
        "Usage: heapy COMMAND [ARGS...] [--allow-truncated]\n"
        "Works on a core file (lldb -c CORE EXE) or a process lldb has stopped\n"
        "(lldb -p PID). Nothing runs in the process and nothing is written to it.\n"
        "The commands share one session, so 'heapy row 0' after 'heapy heap' takes a\n"
        "row of that table, until the process runs again.\n"
        "The executable is the one lldb loaded: 'target create EXE --core CORE'.\n"
        "--allow-truncated (on any heapy command) analyses what a truncated core file\n"
        "holds instead of refusing it: 'heapy heap --allow-truncated'.\n"
        "Run 'help heapy COMMAND' for a command's options and an example.\n"
        "Every command also takes --no-progress (no status line while it works) and\n"
        "--progress (a status line even with --json). Ctrl-C stops a command.\n"
        "Example:\n  (lldb) heapy heap\n";
    heapy.SetHelpLong(overview.c_str());
    // Every command and alias is registered, hidden ones too (_objects: a tool for heapy's own
    // tests): lldb has no catch-all for a multiword command's unknown subcommands.
    for (const heapy::commands::CommandInfo& info : Session::commands()) {
        add_command(heapy, info.name, info);
        for (const std::string& alias : info.aliases) add_command(heapy, alias, info);
    }
    // `heapy help [COMMAND]`, as in gdb and the standalone command (lldb's own is `help heapy`).
    heapy.AddCommand("help", new HeapyCommand("help"),
                     "Show help for every heapy command or for one (as 'help heapy COMMAND').",
                     "heapy help [COMMAND]", kNoRepeat);
    interpreter.AddCommand(kNoRepeat, new DoNothing(),
                           "Does nothing (Enter after a heapy command).", kNoRepeat, kNoRepeat);
    return true;
}
