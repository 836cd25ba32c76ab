#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/cpython/runtime.hpp"
#include "core/cpython/thread_activity.hpp"
#include "core/memory/target.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heapy::cpython {

// A local variable (or cell, or free variable) of a frame that holds an object.
struct LocalVariable {
    std::string name;
    uint64_t object = 0;
};

// One Python frame of a thread, as a traceback names it.
struct PythonFrame {
    uint64_t address = 0; // the _PyInterpreterFrame (3.11+) or the frame object (<= 3.10)
    uint64_t code = 0;
    std::string function;              // co_qualname (3.11+), co_name before
    std::string file;                  // co_filename
    int line = -1;                     // -1 when the line table does not say
    std::vector<LocalVariable> locals; // in the code object's order; unset ones left out
};

// The Python frames of one thread, innermost first.
struct ThreadStack {
    int interpreter = 0; // heapy's i<number>
    ThreadState thread;
    std::string name; // the threading.Thread's name, "" when it has none
    ThreadActivity activity = ThreadActivity::Unknown;
    GilState gil; // its interpreter's
    // What the kernel saw it doing (user code, or which system call); nullopt when not known.
    std::optional<memory::ThreadSyscall> syscall;
    bool waits_for_gil = false; // its system call waits on the GIL's own lock or condition
    std::vector<PythonFrame> frames;
    // Why the frames stop before the thread's first one ("" when they do not): a frame that
    // cannot be read, or a chain that loops.
    std::string cut;
};

// The frame at `frame` (an interpreter frame from 3.11, a frame object before), as a traceback
// names it; its code is 0 when it cannot be read.
PythonFrame read_python_frame(const Runtime& runtime, ObjectDecoder& decoder, uint64_t frame);

// Every thread of every interpreter, in the runtime's order, with its name and activity; with
// the target, also each thread's native id and what the kernel saw it doing.
std::vector<ThreadStack> python_stacks(const Runtime& runtime, ObjectDecoder& decoder,
                                       const memory::Target* target = nullptr);

// The text of a thread's activity: "waiting on a lock (futex; GIL released)".
std::string activity_text(const ThreadStack& stack);

} // namespace heapy::cpython
