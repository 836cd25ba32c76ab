#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/cpython/runtime.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace heapy::cpython {

// What a thread was doing, as far as the interpreter's own state says.
enum class ThreadActivity {
    Unknown,
    Attached, // holds the GIL (or, free-threaded, is attached): running Python or C that may
    Detached, // released it: blocked on a lock, sleeping, in I/O or in C that let go of it
    Suspended // stopped by another thread for a stop-the-world pause (3.13+)
};

// The GIL of an interpreter: whether it is held, and by which thread state.
struct GilState {
    bool known = false;
    bool enabled = true; // free-threaded builds run without it unless re-enabled
    bool locked = false;
    uint64_t holder = 0;  // the last holder's thread state (the holder when locked)
    uint64_t address = 0; // of its struct _gil_runtime_state
};

GilState read_gil(const Runtime& runtime, Reader& reader, const Interpreter& interp);

// 3.13+: the thread state's own word; before, whether it holds the GIL.
ThreadActivity thread_activity(const Runtime& runtime, Reader& reader, const GilState& gil,
                               const ThreadState& thread);

const char* activity_text(ThreadActivity activity);

// threading.Thread names by thread id (threading._active, and _limbo's started ones are
// not there yet), for an interpreter that imported threading.
std::map<uint64_t, std::string> thread_names(ObjectDecoder& decoder, const Interpreter& interp);

} // namespace heapy::cpython
