#include "core/cpython/runtime.hpp"

#include "core/cpython/object_decoder.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <unordered_set>

namespace heapy::cpython {

namespace {
constexpr int kMaxInterpreters = 256;
constexpr int kMaxThreads = 1 << 16;
constexpr int kMaxFrames = 1 << 20;

std::string base_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct FileVersion {
    int major = 0;
    int minor = 0;
    std::string name; // the file's base name
};

// The version a file name suggests ("libpython3.10.so.1.0", "python3.9"), or {0, 0}.
FileVersion file_version(const memory::Symbols& symbols) {
    static const std::regex pattern(R"(python(\d)\.(\d+))");
    for (const auto& module : symbols.modules()) {
        std::smatch match;
        std::string name = base_name(module.path);
        if (std::regex_search(name, match, pattern))
            return {std::stoi(match[1]), std::stoi(match[2]), name};
    }
    return {};
}

std::pair<int, int> version_from_files(const memory::Symbols& symbols) {
    FileVersion v = file_version(symbols);
    return {v.major, v.minor};
}

// "agrees with", or "differs from", what a file name says, for `heapy info`.
std::string file_name_check(const FileVersion& file, const PythonVersion& version) {
    if (file.major == 0) return "";
    bool same = file.major == version.major && file.minor == version.minor;
    return fmt::format(", {} the file name {}", same ? "agrees with" : "differs from", file.name);
}
// The version text Py_GetVersion() formats into a static buffer at start-up ("3.10.13 (main, ...")
// in the writable data of the executable or libpython whose name gives `major.minor`.
std::optional<PythonVersion> version_from_memory(Reader& reader, const memory::Symbols& symbols,
                                                 int major, int minor) {
    constexpr uint64_t kMaxScan = uint64_t{16} << 20;
    const std::regex pattern(fmt::format(R"(^{}\.{}\.(\d+)(a|b|rc)?(\d+)?\+? \()", major, minor));
    const std::string needle = fmt::format("{}.{}.", major, minor);
    for (const auto& module : symbols.modules()) {
        if (!std::regex_search(base_name(module.path), std::regex(R"(python\d)"))) continue;
        for (const auto& region : reader.memory().regions()) {
            if (!region.writable || region.end <= module.start || region.start >= module.end)
                continue;
            uint64_t size = std::min(region.end - region.start, kMaxScan);
            std::string bytes(size, '\0');
            size_t got = reader.memory().read(region.start,
                                              {reinterpret_cast<std::byte*>(bytes.data()), size});
            bytes.resize(got);
            for (size_t at = bytes.find(needle); at != std::string::npos;
                 at = bytes.find(needle, at + 1)) {
                if (at > 0 && bytes[at - 1] != '\0') continue; // the buffer starts with the version
                std::smatch match;
                std::string candidate = bytes.substr(at, 40);
                if (!std::regex_search(candidate, match, pattern)) continue;
                PythonVersion v{major, minor, std::stoi(match[1]), 0xF, 0};
                if (match[2].matched) {
                    v.level = match[2] == "a" ? 0xA : match[2] == "b" ? 0xB : 0xC;
                    v.serial = match[3].matched ? std::stoi(match[3]) : 0;
                }
                return v;
            }
        }
    }
    return std::nullopt;
}

// True when a loaded file is named as a free-threaded build names it ("libpython3.13t.so",
// "python3.14t"): the ABI flag 't'.
bool free_threaded_file(const memory::Symbols& symbols) {
    static const std::regex pattern(R"(python\d\.\d+t(\.|$|-))");
    for (const auto& module : symbols.modules())
        if (std::regex_search(base_name(module.path), pattern)) return true;
    return false;
}

// The newest layout heapy has for this kind of build.
const Layout* newest_layout(bool free_threaded) {
    const Layout* newest = nullptr;
    for (int minor = 0; minor < 100; ++minor)
        if (const Layout* layout = find_layout(3, minor, -1, free_threaded)) newest = layout;
    return newest;
}

bool newer_than(const PythonVersion& version, const Layout& layout) {
    return std::pair{version.major, version.minor} > std::pair{layout.major, layout.minor};
}

// The layout the user asked heapy to assume ("3.14") for a version newer than its layouts.
const Layout* assumed_layout(const Runtime& runtime, bool free_threaded, const std::string& text) {
    int major = 0, minor = 0;
    char rest = 0;
    if (std::sscanf(text.c_str(), "%d.%d%c", &major, &minor, &rest) != 2)
        throw Error(fmt::format("--assume-layout wants a version such as 3.14, not '{}'", text));
    const Layout* layout = find_layout(major, minor, -1, free_threaded);
    if (!layout)
        throw Error(
            fmt::format("--assume-layout {}: heapy has no layout for {}{}; it has CPython {}", text,
                        text, free_threaded ? "t" : "", supported_versions()));
    if (!newer_than(runtime.version, *layout))
        throw Error(fmt::format("--assume-layout is for a CPython newer than heapy's layouts, not "
                                "for {}, which is older than {}",
                                runtime.version.text(), text));
    return layout;
}

// For a version newer than heapy's layouts: whether the target's own _Py_DebugOffsets, read in
// the newest layout's form, pass every check, and so whether heapy can offer to go on with them.
std::string newer_version_offer(Reader& reader, const Runtime& runtime, bool free_threaded,
                                const std::optional<DebugOffsets>& header) {
    const Layout* newest = newest_layout(free_threaded);
    if (!newest || !newer_than(runtime.version, *newest)) return "";
    const std::string name = fmt::format("{}.{}", newest->major, newest->minor);
    if (!header || runtime.address == 0)
        return fmt::format("; it has no _Py_DebugOffsets heapy can read, so {}'s layout cannot be "
                           "checked against it",
                           name);
    Layout trial = *newest;
    const auto read = read_debug_offsets(reader, runtime.address, trial, true);
    const int wanted = debug_offsets_fields(trial);
    if (!read || !read->rejected.empty() || read->fields_checked != wanted)
        return fmt::format("; its _Py_DebugOffsets do not read as {}'s ({} of {} fields fail), so "
                           "{}'s layout cannot be assumed",
                           name, read ? read->rejected.size() : size_t(wanted), wanted, name);
    return fmt::format("; its _Py_DebugOffsets read as {}'s pass every check ({} fields, {} "
                       "differ): to read it with {}'s layout corrected by them, at the risk of "
                       "wrong figures, pass --assume-layout {} (gdb, lldb: set "
                       "HEAPY_ASSUME_LAYOUT={} in their environment)",
                       name, read->fields_checked, read->mismatches.size(), name, name, name);
}

} // namespace

std::string PythonVersion::text() const {
    std::string out = fmt::format("{}.{}.{}", major, minor, micro);
    if (level == 0xA)
        out += fmt::format("a{}", serial);
    else if (level == 0xB)
        out += fmt::format("b{}", serial);
    else if (level == 0xC)
        out += fmt::format("rc{}", serial);
    return out;
}

Runtime locate_runtime(Reader& reader, const memory::Symbols& symbols,
                       const LocateOptions& options) {
    Runtime runtime;
    auto runtime_symbol = symbols.lookup("_PyRuntime");
    auto version_symbol = symbols.lookup("Py_Version");
    if (!runtime_symbol && !version_symbol) {
        auto [major, minor] = version_from_files(symbols);
        if (major != 0)
            throw Error(fmt::format(
                "found Python {}.{} (from a file name) but not its _PyRuntime symbol; heapy "
                "supports CPython {} with symbols in the executable or libpython",
                major, minor, supported_versions()));
        throw Error("no Python interpreter in this process: no loaded file exports _PyRuntime "
                    "(check that the "
                    "process runs CPython and that --exe names its executable)");
    }
    if (version_symbol) {
        uint32_t hex = 0;
        if (!reader.read(*version_symbol, hex))
            throw Error("cannot read Py_Version from the target: its memory is missing (truncated "
                        "core, or the "
                        "executable does not match?)");
        runtime.version = {int(hex >> 24), int((hex >> 16) & 0xFF), int((hex >> 8) & 0xFF),
                           int((hex >> 4) & 0xF), int(hex & 0xF)};
        runtime.found_by =
            "version from Py_Version" + file_name_check(file_version(symbols), runtime.version);
    } else {
        auto [major, minor] = version_from_files(symbols);
        runtime.version = {major, minor, 0, 0xF, 0};
        runtime.found_by = "version from a file name";
        if (major != 0) {
            if (auto exact = version_from_memory(reader, symbols, major, minor)) {
                runtime.version = *exact;
                runtime.found_by = "version from a file name and the version string in memory";
            } else {
                runtime.found_by = "version from a file name (patch level unknown)";
            }
        }
        if (major == 0)
            throw Error(fmt::format(
                "cannot tell which Python version this is (no Py_Version symbol); heapy supports "
                "CPython {}",
                supported_versions()));
    }
    if (runtime_symbol) {
        runtime.address = *runtime_symbol;
    } else if (auto section = symbols.section(".PyRuntime")) {
        // Stripped builds: _PyRuntime is alone in its own section.
        runtime.address = section->start;
    } else if (runtime.version.major > 3 || runtime.version.minor >= 13) {
        // No symbol, no section: _PyRuntime starts with the "xdebugpy" cookie. Look for it in
        // the modules that can hold it; candidates are checked below (interpreter <-> thread).
        for (const memory::LoadedModule& module : symbols.modules()) {
            if (module.path.find("python") == std::string::npos) continue;
            auto found = find_debug_cookies(reader, module.start, module.end, runtime.version.major,
                                            runtime.version.minor);
            if (!found.empty()) {
                runtime.address = found.front();
                runtime.found_by += "; _PyRuntime from its _Py_DebugOffsets cookie";
                break;
            }
        }
    }
    // 3.13+: the target describes itself at the start of _PyRuntime; its version is exact (the
    // layout can depend on the patch release) and it says whether the build is free-threaded.
    std::optional<DebugOffsets> header;
    if (runtime.address != 0 && (runtime.version.major > 3 || runtime.version.minor >= 13))
        header = peek_debug_offsets(reader, runtime.address);
    if (header) {
        const uint64_t hex = header->version;
        PythonVersion reported{int(hex >> 24), int((hex >> 16) & 0xFF), int((hex >> 8) & 0xFF),
                               int((hex >> 4) & 0xF), int(hex & 0xF)};
        if (reported.major == runtime.version.major && reported.minor == runtime.version.minor) {
            if (!version_symbol) // the exact version, which a file name does not give
                runtime.found_by += "; exact version from _Py_DebugOffsets";
            else if (reported.micro != runtime.version.micro ||
                     reported.level != runtime.version.level)
                runtime.found_by += "; patch level from _Py_DebugOffsets";
            runtime.version = reported;
        }
    }
    const bool free_threaded = header ? header->free_threaded != 0 : free_threaded_file(symbols);
    runtime.layout = find_layout(runtime.version.major, runtime.version.minor,
                                 runtime.version.micro, free_threaded);
    const bool assumed = !runtime.layout && !options.assume_layout.empty();
    if (assumed) runtime.layout = assumed_layout(runtime, free_threaded, options.assume_layout);
    if (!runtime.layout)
        throw Error(fmt::format("unsupported Python version {}{}: heapy supports CPython {}{}",
                                runtime.version.text(),
                                free_threaded ? " (free-threaded build)" : "", supported_versions(),
                                newer_version_offer(reader, runtime, free_threaded, header)));
    if (free_threaded) runtime.found_by += "; free-threaded build";
    if (assumed) {
        runtime.assumed_layout = fmt::format("{}.{}", runtime.layout->major, runtime.layout->minor);
        runtime.found_by +=
            fmt::format("; layout assumed: {}'s (--assume-layout)", runtime.assumed_layout);
    }
    if (runtime_symbol) {
        runtime.found_by += "; _PyRuntime from symbols";
    } else if (runtime.address != 0) {
        if (runtime.found_by.find("cookie") == std::string::npos)
            runtime.found_by += "; _PyRuntime from the .PyRuntime section";
    } else {
        throw Error("found Python but not _PyRuntime (no symbol, no .PyRuntime section, no "
                    "_Py_DebugOffsets cookie): check "
                    "that --exe names the "
                    "executable the process ran, with its libpython next to it");
    }
    if (runtime.layout->minor >= 13 || runtime.version.minor >= 13) {
        auto own = std::make_shared<Layout>(*runtime.layout);
        // This target's patch level exactly: C type recipes can depend on it (c-types/).
        if (!assumed) own->target_micro = runtime.version.micro;
        runtime.debug_offsets = read_debug_offsets(reader, runtime.address, *own, assumed);
        if (runtime.debug_offsets) {
            // Its version must be the one found above (major.minor): otherwise those are not this
            // version's debug offsets (corrupt memory, or a layout heapy does not know), so unused.
            const uint64_t hex = runtime.debug_offsets->version;
            const bool same = int(hex >> 24) == runtime.version.major &&
                              int((hex >> 16) & 0xFF) == runtime.version.minor;
            if (!same) {
                runtime.found_by +=
                    fmt::format("; _Py_DebugOffsets ignored: its version 0x{:08x} is not {}.{}",
                                hex, runtime.version.major, runtime.version.minor);
                runtime.debug_offsets.reset();
            } else {
                runtime.own_layout = own;
                runtime.layout = own.get();
                runtime.found_by += fmt::format(
                    "; _Py_DebugOffsets read (version 0x{:08x} agrees, {} fields checked, "
                    "{} differ from the layout)",
                    hex, runtime.debug_offsets->fields_checked,
                    runtime.debug_offsets->mismatches.size());
            }
        }
    }
    const Layout& l = *runtime.layout;

    std::unordered_set<uint64_t> seen;
    uint64_t interp = reader.pointer(runtime.address + l.runtime_interpreters_head);
    while (interp != 0 && runtime.interpreters.size() < kMaxInterpreters &&
           seen.insert(interp).second) {
        Interpreter info;
        info.address = interp;
        reader.read(interp + l.interp_id, info.id);
        std::unordered_set<uint64_t> seen_threads;
        uint64_t tstate = reader.pointer(interp + l.interp_threads_head);
        while (tstate != 0 && info.threads.size() < kMaxThreads &&
               seen_threads.insert(tstate).second) {
            if (reader.pointer(tstate + l.tstate_interp) != interp)
                break; // not a thread of this interpreter
            ThreadState thread;
            thread.address = tstate;
            reader.read(tstate + l.tstate_thread_id, thread.thread_id);
            if (l.has(l.tstate_native_thread_id))
                reader.read(tstate + l.tstate_native_thread_id, thread.native_thread_id);
            if (l.frames_are_objects) {
                thread.top_frame = reader.pointer(tstate + l.tstate_frame);
            } else if (l.has(l.tstate_current_frame)) {
                thread.top_frame = reader.pointer(tstate + l.tstate_current_frame);
            } else if (uint64_t cframe = reader.pointer(tstate + l.tstate_cframe)) {
                thread.top_frame = reader.pointer(cframe + l.cframe_current_frame);
            }
            info.threads.push_back(thread);
            tstate = reader.pointer(tstate + l.tstate_next);
        }
        runtime.interpreters.push_back(std::move(info));
        interp = reader.pointer(interp + l.interp_next);
    }
    if (runtime.interpreters.empty())
        throw Error(fmt::format(
            "Python {} found but it has no interpreter (not initialised yet, finalized, the "
            "memory holding _PyRuntime is missing from the core, or --exe names another "
            "build than the one the core was made from)",
            runtime.version.text()));
    // The list is newest first; heapy numbers the oldest (main) interpreter 0.
    for (size_t i = 0; i < runtime.interpreters.size(); ++i)
        runtime.interpreters[i].number = int(runtime.interpreters.size() - 1 - i);
    std::reverse(runtime.interpreters.begin(), runtime.interpreters.end());
    return runtime;
}

std::vector<RootEdge> collect_roots(const Runtime& runtime, ObjectDecoder& decoder) {
    const Layout& l = *runtime.layout;
    Reader& reader = decoder.reader();
    std::vector<RootEdge> roots;
    for (const Interpreter& interp : runtime.interpreters) {
        const std::string prefix = fmt::format("i{}_", interp.number);
        for (const RootField& field : l.interp_roots)
            if (uint64_t object = reader.pointer(interp.address + field.offset))
                roots.push_back({object, prefix + field.name, Referent::Object});
        for (const ThreadState& thread : interp.threads) {
            const std::string thread_prefix = fmt::format("{}t{}_", prefix, thread.thread_id);
            if (l.frames_are_objects) {
                // <= 3.10: the top frame object; frames are numbered from the oldest.
                int depth = 0;
                std::unordered_set<uint64_t> seen;
                for (uint64_t f = thread.top_frame;
                     f != 0 && depth < kMaxFrames && seen.insert(f).second;
                     f = reader.pointer(f + l.frame_back))
                    ++depth;
                if (thread.top_frame)
                    roots.push_back({thread.top_frame,
                                     fmt::format("{}f{}", thread_prefix, depth - 1),
                                     Referent::Object});
                for (const RootField& field : l.tstate_roots)
                    if (uint64_t object = reader.pointer(thread.address + field.offset))
                        roots.push_back({object, thread_prefix + field.name, Referent::Object});
                continue;
            }
            uint64_t top = thread.top_frame;
            for (int hops = 0; top != 0 && !decoder.is_complete_frame(top); ++hops)
                top = hops < kMaxFrames ? reader.pointer(top + l.iframe_previous) : 0;
            if (top != 0) {
                int depth = 1;
                for (uint64_t f = decoder.previous_frame(top); f != 0 && depth < kMaxFrames;
                     f = decoder.previous_frame(f))
                    ++depth;
                std::string name = fmt::format("{}f{}", thread_prefix, depth - 1);
                if (uint64_t object = reader.pointer(top + l.iframe_frame_obj))
                    roots.push_back({object, name, Referent::Object});
                else
                    roots.push_back({top, name, Referent::InterpreterFrame});
            }
            for (const RootField& field : l.tstate_roots)
                if (uint64_t object = reader.pointer(thread.address + field.offset))
                    roots.push_back({object, thread_prefix + field.name, Referent::Object});
        }
    }
    return roots;
}

} // namespace heapy::cpython
