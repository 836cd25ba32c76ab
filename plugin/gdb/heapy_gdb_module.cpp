// _heapy_gdb: the compiled half of the gdb front end, a CPython extension module imported by
// gdb's embedded Python (see heapy-gdb.py.in for the commands). It opens the target the Python
// side found (a core file, a live process, or memory read through gdb itself), keeps one
// commands::Session per target, and runs commands on it.
//
// The GIL is held throughout: gdb runs Python on its main thread only, and keeping it lets the
// interrupt check call PyErr_CheckSignals() and the fallback reader call Inferior.read_memory.
#include "core/commands/completion.hpp"
#include "core/commands/session.hpp"
#include "core/errors.hpp"
#include "core/memory/callback_memory.hpp"
#include "core/memory/target.hpp"
#include "plugin/common/frontend_util.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace py = pybind11;

namespace {

using heapy::commands::CommandResult;
using heapy::commands::Session;

constexpr auto kGdb = heapy::frontend::Debugger::gdb;

// "heapy: <message>", on one line, telling what to do in gdb rather than which CLI option to add.
std::string gdb_error_line(std::string_view message) {
    return heapy::frontend::error_line(heapy::frontend::debugger_advice(message, kGdb));
}

// One target opened for gdb, and the session analysing it.
class GdbSession {
  public:
    explicit GdbSession(heapy::memory::Target target) : description_(target.description) {
        heapy::commands::FrontEnd fe;
        fe.interrupted = [this] { return check_interrupt(); };
        fe.progress = [this](std::string_view what, uint64_t done, uint64_t total) {
            if (progress_) progress_->update(what, done, total);
        };
        fe.write = [this](std::string_view text) { return write(text); };
        fe.paged = [this] { return paged_; };
        session_ = std::make_unique<Session>(std::move(target), std::move(fe));
    }

    // Runs one command. `progress` is a callable taking one str (written to gdb's stderr), or
    // None for no progress line. `write` takes a long listing's text as it is made and returns
    // False once the user quit gdb's pager; `paged`: gdb's pager shows what it writes. Returns
    // (status, output, error): `output` is what was not written; never throws for a failed
    // command.
    std::tuple<int, std::string, std::string>
    run(const std::vector<std::string>& args, py::object progress, py::object write, bool paged) {
        interrupted_ = false;
        writer_ = std::move(write);
        paged_ = paged;
        std::optional<heapy::frontend::ProgressPrinter> printer;
        if (!progress.is_none())
            printer.emplace(
                [this, progress](std::string_view s) {
                    try {
                        progress(py::str(s.data(), s.size()));
                    } catch (py::error_already_set& e) {
                        // Ctrl-C while writing stops the command; any other failure of the
                        // progress sink must not (the exception is dropped with `e`).
                        if (e.matches(PyExc_KeyboardInterrupt)) interrupted_ = true;
                    }
                },
                true);
        progress_ = printer ? &*printer : nullptr;
        CommandResult r;
        try {
            r = session_->run(args); // reports its own failures in `r`
        } catch (const std::exception& e) {
            r = {1, "", e.what()}; // whatever escapes, gdb must get a message, not a traceback
        }
        if (printer) printer->finish();
        progress_ = nullptr;
        writer_ = py::none();
        if (r.status != 0 && interrupted_ && r.error.empty()) r.error = "interrupted";
        std::string error = r.status != 0 ? gdb_error_line(r.error) : std::string();
        return {r.status, heapy::frontend::debugger_advice_in_notes(r.output, kGdb),
                std::move(error)};
    }

    const std::string& description() const { return description_; }

  private:
    bool write(std::string_view text) {
        if (writer_.is_none()) return false;
        if (progress_) progress_->finish(); // the status line would stand in the listing
        try {
            return writer_(py::str(text.data(), text.size())).cast<bool>();
        } catch (py::error_already_set& e) {
            if (e.matches(PyExc_KeyboardInterrupt)) interrupted_ = true;
            return false;
        }
    }

    bool check_interrupt() {
        if (!interrupted_ && PyErr_CheckSignals() != 0) {
            // gdb turned Ctrl-C into a pending KeyboardInterrupt; take it, stop cleanly.
            PyErr_Clear();
            interrupted_ = true;
        }
        return interrupted_;
    }

    std::string description_;
    std::unique_ptr<Session> session_;
    heapy::frontend::ProgressPrinter* progress_ = nullptr;
    py::object writer_ = py::none();
    bool paged_ = false;
    bool interrupted_ = false;
};

// Opens a target; a failure raises _heapy_gdb.Error with the one-line "heapy: ..." message.
template <typename F> std::unique_ptr<GdbSession> open(F&& opener) {
    try {
        return std::make_unique<GdbSession>(opener());
    } catch (const heapy::Error& e) {
        throw heapy::Error(gdb_error_line(e.what()));
    } catch (const std::bad_alloc&) {
        throw heapy::Error("heapy: out of memory");
    }
}

// Target over gdb's own memory and symbol access (remote targets, or when /proc/PID/mem cannot be
// read). `read_memory(addr, length)` is Inferior.read_memory; `lookup_symbol(name)` returns an
// int or None; `lookup_section(name)` returns (start, end) or None.
std::unique_ptr<GdbSession> open_debugger(py::object read_memory, py::object lookup_symbol,
                                          py::object lookup_section, std::string description,
                                          std::optional<int> pid, std::vector<int> thread_ids,
                                          std::string executable) {
    auto reader = [read_memory](uint64_t address, std::span<std::byte> out) -> size_t {
        try {
            py::object view = read_memory(address, out.size());
            py::buffer_info info = py::buffer(view).request();
            size_t n = std::min(out.size(), static_cast<size_t>(info.size * info.itemsize));
            std::memcpy(out.data(), info.ptr, n);
            return n;
        } catch (py::error_already_set& e) {
            if (e.matches(PyExc_KeyboardInterrupt)) throw heapy::Interrupted();
            return 0; // gdb.MemoryError: unreadable
        }
    };
    auto symbol = [lookup_symbol](std::string_view name) -> std::optional<uint64_t> {
        try {
            py::object r = lookup_symbol(py::str(name.data(), name.size()));
            if (r.is_none()) return std::nullopt;
            return r.cast<uint64_t>();
        } catch (py::error_already_set& e) {
            if (e.matches(PyExc_KeyboardInterrupt)) throw heapy::Interrupted();
            return std::nullopt;
        } catch (const py::cast_error&) {
            return std::nullopt;
        }
    };
    heapy::memory::CallbackTargetOptions options;
    options.section =
        [lookup_section](std::string_view name) -> std::optional<heapy::memory::SectionRange> {
        try {
            py::object r = lookup_section(py::str(name.data(), name.size()));
            if (r.is_none()) return std::nullopt;
            auto [start, end] = r.cast<std::pair<uint64_t, uint64_t>>();
            return heapy::memory::SectionRange{start, end};
        } catch (py::error_already_set& e) {
            if (e.matches(PyExc_KeyboardInterrupt)) throw heapy::Interrupted();
            return std::nullopt;
        } catch (const py::cast_error&) {
            return std::nullopt;
        }
    };
    options.description = std::move(description);
    options.pid = pid;
    options.thread_ids = std::move(thread_ids);
    options.executable = std::move(executable);
    // Every read_memory call costs a trip through gdb and Python: ask for big blocks.
    options.cache.block_size = 256 * 1024;
    return std::make_unique<GdbSession>(heapy::memory::make_callback_target(
        std::move(reader), std::move(symbol), std::move(options)));
}

} // namespace

PYBIND11_MODULE(_heapy_gdb, m) {
    m.doc() = "heapy for gdb: the compiled engine (use the commands from heapy-gdb.py)";
    m.attr("__version__") = HEAPY_VERSION;
    // heapy::Error (and heapy::Interrupted) raise _heapy_gdb.Error with the one-line message.
    py::register_exception<heapy::Error>(m, "Error", PyExc_RuntimeError);

    m.def(
        "help",
        [](const std::string& topic, size_t width) {
            return Session::help(topic, heapy::commands::Prompt::gdb, width);
        },
        py::arg("topic") = "", py::arg("width") = 80,
        "Help text for every command (empty topic) or for one command, fitted to width columns.");

    m.def(
        "complete",
        [](const std::vector<std::string>& words, const std::string& partial) {
            return heapy::commands::complete(words, partial);
        },
        py::arg("words"), py::arg("partial"),
        "What can follow the words after 'heapy' (commands, options, their values), starting "
        "with partial.");

    m.def(
        "commands",
        [] {
            py::list out;
            for (const auto& c : Session::commands()) {
                py::dict d;
                d["name"] = c.name;
                d["aliases"] = c.aliases;
                d["summary"] = c.summary;
                d["usage"] = c.usage;
                d["hidden"] = c.hidden;
                d["needs_target"] = c.needs_target;
                out.append(std::move(d));
            }
            return out;
        },
        "Every command to register as 'heapy NAME': dicts with name, aliases, summary, usage, "
        "hidden and needs_target.");

    py::class_<GdbSession>(m, "Session")
        .def_static(
            "open_core",
            [](const std::string& core, std::optional<std::string> exe, bool allow_truncated,
               std::string sysroot) {
                return open([&] {
                    return heapy::memory::open_core(
                        core, heapy::memory::CoreOptions{.executable = exe,
                                                         .sysroot = std::move(sysroot),
                                                         .allow_truncated = allow_truncated});
                });
            },
            py::arg("core"), py::arg("exe") = py::none(), py::arg("allow_truncated") = false,
            py::arg("sysroot") = "",
            "Opens a core file (and its executable; the files it names under sysroot first); "
            "raises "
            "_heapy_gdb.Error.")
        .def_static(
            "open_process",
            [](int pid) { return open([&] { return heapy::memory::open_process(pid); }); },
            py::arg("pid"), "Opens a live process that gdb keeps stopped; raises _heapy_gdb.Error.")
        .def_static(
            "without_target", [] { return std::make_unique<GdbSession>(Session::no_target()); },
            "A session for the commands that need no target (load).")
        .def_static("open_debugger", &open_debugger, py::arg("read_memory"),
                    py::arg("lookup_symbol"), py::arg("lookup_section"), py::arg("description"),
                    py::arg("pid") = py::none(), py::arg("thread_ids") = std::vector<int>(),
                    py::arg("executable") = "", "Reads memory and symbols through gdb itself.")
        .def("run", &GdbSession::run, py::arg("args"), py::arg("progress") = py::none(),
             py::arg("write") = py::none(), py::arg("paged") = false,
             "Runs one command: returns (status, output, error).")
        .def_property_readonly("description", &GdbSession::description);
}
