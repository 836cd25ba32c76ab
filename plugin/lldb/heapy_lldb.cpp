// The lldb front end: `plugin load libheapy_lldb.so` adds a multiword command `heapy` whose
// subcommands run the shared command language (core/commands) on the selected process
// (lldb_target.hpp says how it is opened).
//
// On lldb 19 and later the subcommands are lldb "parsed" script commands (heapy_lldb.py, beside
// this library), because only those tell lldb their options and the values an option takes, so
// that Tab completes them; each runs its command through heapy_lldb_run. Elsewhere, or when that
// layer cannot be loaded, they are this library's own commands, which complete only their names.
#include "core/commands/session.hpp"
#include "core/errors.hpp"
#include "plugin/common/frontend_util.hpp"
#include "plugin/lldb/lldb_api.hpp"
#include "plugin/lldb/lldb_target.hpp"
#include "plugin/lldb/parsed_commands.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <new>
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
        heapy::lldb_frontend::is_stopped(process.GetState()))
        return *g_cache;

    g_cache.reset();
    auto cache = new_session(heapy::lldb_frontend::open_target(debugger, result, allow_truncated));
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
    return heapy::lldb_frontend::is_attached(process);
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

bool execute(lldb::SBDebugger& debugger, const std::vector<std::string>& args, bool allow_truncated,
             lldb::SBCommandReturnObject& result) {
    if (args[0] == "help") { // needs no target
        std::string text = lldb_help(args.size() > 1 ? args[1] : "", debugger.GetTerminalWidth());
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

// Runs `args` (a command name and its arguments) and reports every failure in `result`.
bool run_heapy(lldb::SBDebugger& debugger, std::vector<std::string> args,
               lldb::SBCommandReturnObject& result) {
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

// `heapy NAME ARGS...` as this library's own command.
class HeapyCommand : public lldb::SBCommandPluginInterface {
  public:
    explicit HeapyCommand(std::string name) : name_(std::move(name)) {}

    bool DoExecute(lldb::SBDebugger debugger, char** command,
                   lldb::SBCommandReturnObject& result) override {
        std::vector<std::string> args{name_};
        for (char** p = command; p && *p; ++p) args.emplace_back(*p);
        return run_heapy(debugger, std::move(args), result);
    }

  private:
    std::string name_;
};

} // namespace

// What heapy_lldb.py calls through ctypes (its commands' definitions, and running one): there is
// no lldb command in between, which lldb would list in `help`.
extern "C" __attribute__((visibility("default"))) const char* heapy_lldb_definitions() {
    static const std::string json = heapy::lldb_frontend::parsed_command_definitions();
    return json.c_str();
}

// `debugger` and `result` are the lldb::SBDebugger and lldb::SBCommandReturnObject that lldb's
// Python wraps (their SWIG `this`); `argv` the command name and its arguments.
extern "C" __attribute__((visibility("default"))) bool
heapy_lldb_run(void* debugger, void* result, int argc, const char* const* argv) {
    auto& out = *static_cast<lldb::SBCommandReturnObject*>(result);
    if (argc < 1) {
        fail(out, "internal error: no command to run");
        return false;
    }
    return run_heapy(*static_cast<lldb::SBDebugger*>(debugger),
                     std::vector<std::string>(argv, argv + argc), out);
}

namespace {

// Registers `PARENT NAME` for one command name (or alias) of `info`; does nothing when PARENT
// has a subcommand of that name already (heapy_lldb.py's).
void add_command(lldb::SBCommand& parent, const std::string& name,
                 const heapy::commands::CommandInfo& info) {
    std::string brief =
        info.summary.empty() ? "A tool for heapy's own tests: " + info.usage : info.summary;
    if (name != info.name) brief = "Alias for 'heapy " + info.name + "': " + brief;
    // lldb prints the brief and the syntax itself: the long help is the rest of the session's
    // help for the command (its options and an example).
    std::string long_help = heapy::lldb_frontend::help_after_usage(lldb_help(info.name));
    // The command object is owned by lldb from here on (SOS and llnode do the same).
    lldb::SBCommand sub = parent.AddCommand(name.c_str(), new HeapyCommand(name), brief.c_str(),
                                            info.usage.c_str(), heapy::lldb_frontend::kNoRepeat);
    if (sub.IsValid() && !long_help.empty()) sub.SetHelpLong(long_help.c_str());
}

// Whether the environment variable `name` is set to something other than "" or "0".
bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::string_view(v) != "0";
}

// The major version of the lldb running us: "lldb version 19.1.7" → 19; 0 when unknown.
int lldb_major_version() {
    std::string_view version = lldb::SBDebugger::GetVersionString();
    size_t at = version.find("version ");
    if (at == std::string_view::npos) return 0;
    return std::atoi(std::string(version.substr(at + 8, 4)).c_str());
}

// Loads heapy_lldb.py from beside this library, which registers `heapy`'s subcommands as lldb's
// parsed commands. False when lldb cannot (before 19) or the layer failed: then this library's own
// commands stand in (HEAPY_LLDB_NO_SCRIPT=1 asks for them, for tests and as a way out).
bool add_parsed_commands(lldb::SBCommandInterpreter& interpreter) {
    if (lldb_major_version() < 19) return false;
    if (env_flag("HEAPY_LLDB_NO_SCRIPT")) return false;
    Dl_info self{};
    if (::dladdr(reinterpret_cast<void*>(&lldb_major_version), &self) == 0 || !self.dli_fname)
        return false;
    std::filesystem::path script =
        std::filesystem::path(self.dli_fname).parent_path() / "heapy_lldb.py";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(script, ec)) return false;
    lldb::SBCommandReturnObject result;
    interpreter.HandleCommand(("command script import \"" + script.string() + "\"").c_str(), result,
                              false);
    return result.Succeeded();
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
    // The tools for heapy's own tests (_objects, _wait) only when the tests ask for them: lldb
    // lists every command a plugin adds in its help, "_..." ones too.
    lldb::SBCommand tools;
    if (env_flag("HEAPY_LLDB_TOOLS"))
        tools = interpreter.AddMultiwordCommand("_heapy", "The tools of heapy's own tests.");

    add_parsed_commands(interpreter);
    for (const heapy::commands::CommandInfo& info : Session::commands()) {
        lldb::SBCommand& parent = info.hidden ? tools : heapy;
        if (!parent.IsValid()) continue;
        add_command(parent, info.name, info);
        for (const std::string& alias : info.aliases) add_command(parent, alias, info);
    }
    // `heapy help [COMMAND]`, as in gdb and the standalone command (lldb's own is `help heapy`).
    heapy.AddCommand("help", new HeapyCommand("help"),
                     "Show help for every heapy command or for one (as 'help heapy COMMAND').",
                     "heapy help [COMMAND]", heapy::lldb_frontend::kNoRepeat);
    return true;
}
