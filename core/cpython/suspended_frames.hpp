#pragma once

#include "core/cpython/python_stacks.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace heapy::cpython {

// A generator, coroutine or async generator that is not running on a thread, or an asyncio Task
// (its coroutine, and what that awaits).
struct SuspendedObject {
    enum class Kind { Generator, Coroutine, AsyncGenerator, Task };
    Kind kind = Kind::Generator;
    uint64_t address = 0;
    std::string name;                // a Task's name
    std::vector<PythonFrame> frames; // innermost first: the chain of what awaits what
    uint64_t awaits = 0; // what the innermost frame waits on (a Future, ...), 0 if nothing
};

// Of `objects` (addresses, with the kind of each), the generators and coroutines whose frame is
// suspended or not started and not on `threads`' stacks, each chain of awaiting coroutines once
// from its outermost (a Task first), innermost frame first. `interrupted` is polled every few
// hundred objects (heapy::Interrupted).
struct Candidate {
    uint64_t address;
    const TypeInfo* type;
};
std::vector<SuspendedObject> suspended_objects(const Runtime& runtime, ObjectDecoder& decoder,
                                               const std::vector<Candidate>& objects,
                                               const std::vector<ThreadStack>& threads,
                                               const std::function<bool()>& interrupted = {});

const char* suspended_kind_text(SuspendedObject::Kind kind);

} // namespace heapy::cpython
