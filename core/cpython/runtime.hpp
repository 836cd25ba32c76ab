#pragma once

#include "core/cpython/debug_offsets.hpp"
#include "core/cpython/edge_sink.hpp"
#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"
#include "core/memory/symbols.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace heapy::cpython {

struct PythonVersion {
    int major = 0;
    int minor = 0;
    int micro = 0;
    int level = 0xF; // PY_RELEASE_LEVEL: 0xA alpha, 0xB beta, 0xC candidate, 0xF final
    int serial = 0;
    std::string text() const; // "3.11.2", "3.13.0rc1"
};

struct ThreadState {
    uint64_t address = 0;
    uint64_t thread_id = 0; // pthread_t, as heapy names threads
    uint64_t native_thread_id = 0;
    uint64_t top_frame = 0; // newest complete interpreter frame, 0 when idle
};

struct Interpreter {
    uint64_t address = 0;
    int64_t id = 0;
    int number = 0; // heapy's i<number>: the main (oldest) interpreter is 0
    std::vector<ThreadState> threads;
};

// Where the CPython runtime of a target is and what it holds.
struct Runtime {
    uint64_t address = 0; // _PyRuntime
    PythonVersion version;
    const Layout* layout = nullptr;
    std::shared_ptr<Layout> own_layout; // the layout corrected by the target's debug offsets
    std::optional<DebugOffsets> debug_offsets;
    std::vector<Interpreter> interpreters;
    std::string found_by;       // how the runtime and version were found, for `heapy info`
    std::string assumed_layout; // "3.14" when read with another version's layout (--assume-layout)
};

// Finds the runtime by its symbols and checks it. Throws heapy::Error naming what is wrong: no
// Python in the process, an unsupported version, or state that fails validation.
struct LocateOptions {
    // "3.14": read a CPython newer than every layout with this version's layout, corrected by
    // the target's own _Py_DebugOffsets (--assume-layout). Refused for a version heapy knows.
    std::string assume_layout = {};
};
Runtime locate_runtime(Reader& reader, const memory::Symbols& symbols,
                       const LocateOptions& options = {});

// A root of the heap: an object (or interpreter frame) the interpreter and thread states hold.
struct RootEdge {
    uint64_t address = 0;
    std::string name; // heapy's RootState attribute, e.g. "i0_modules", "i0_t1403_f3"
    Referent referent = Referent::Object;
};

class ObjectDecoder;
// Every root of every interpreter and thread, in heapy's order.
std::vector<RootEdge> collect_roots(const Runtime& runtime, ObjectDecoder& decoder);

} // namespace heapy::cpython
