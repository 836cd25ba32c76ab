#include "core/cpython/python_stacks.hpp"

#include "core/cpython/line_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

namespace heapy::cpython {

namespace {

constexpr size_t kMaxFrames = 1 << 16;
constexpr size_t kMaxName = 1 << 10;
constexpr size_t kMaxPath = 1 << 12;
constexpr int64_t kMaxLineTable = 1 << 24;
constexpr int32_t kMaxLocals = 1 << 16;

class StackReader {
  public:
    StackReader(const Runtime& runtime, ObjectDecoder& decoder)
        : l_(*runtime.layout), decoder_(decoder), reader_(decoder.reader()),
          format_(line_table_format(runtime.version.major, runtime.version.minor)) {}

    ThreadStack thread(int interpreter, const ThreadState& thread) {
        ThreadStack out;
        out.interpreter = interpreter;
        out.thread = thread;
        std::unordered_set<uint64_t> seen;
        uint64_t frame = first_frame(thread.top_frame);
        while (frame != 0) {
            if (!seen.insert(frame).second || out.frames.size() >= kMaxFrames) {
                out.cut = fmt::format("the frames loop at 0x{:x}", frame);
                break;
            }
            PythonFrame f = read_frame(frame);
            if (f.code == 0) {
                out.cut = fmt::format("the frame at 0x{:x} cannot be read", frame);
                break;
            }
            out.frames.push_back(std::move(f));
            frame = l_.frames_are_objects ? reader_.pointer(frame + l_.frame_back)
                                          : decoder_.previous_frame(frame);
        }
        return out;
    }

    PythonFrame read_frame(uint64_t frame) {
        PythonFrame f;
        f.address = frame;
        f.code = l_.frames_are_objects ? reader_.pointer(frame + l_.frame_code)
                                       : decoder_.frame_code(frame);
        if (f.code == 0 || !reader_.readable(f.code, l_.code_size)) {
            f.code = 0;
            return f;
        }
        const uint32_t name_field = l_.has(l_.code_qualname) ? l_.code_qualname : l_.code_name;
        f.function =
            decoder_.read_str(reader_.pointer(f.code + name_field), kMaxName).value_or("?");
        f.file =
            decoder_.read_str(reader_.pointer(f.code + l_.code_filename), kMaxPath).value_or("?");
        if (auto offset = instruction_offset(frame, f.code)) f.line = line_of(f.code, *offset);
        f.locals = l_.frames_are_objects ? old_frame_locals(frame, f.code) : locals(frame, f.code);
        return f;
    }

  private:
    // The thread's newest frame that runs Python code (3.11+: not a C entry frame, not one
    // still being set up).
    uint64_t first_frame(uint64_t top) {
        if (l_.frames_are_objects || top == 0 || decoder_.is_complete_frame(top)) return top;
        return decoder_.previous_frame(top);
    }

    // 3.11+: localsplus[i] is named co_localsplusnames[i].
    std::vector<LocalVariable> locals(uint64_t frame, uint64_t code) {
        int32_t count = 0;
        reader_.read(code + l_.code_nlocalsplus, count);
        const uint64_t names = reader_.pointer(code + l_.code_localsplusnames);
        return named_slots(names, std::clamp(count, 0, kMaxLocals), frame + l_.iframe_localsplus);
    }

    // <= 3.10: f_localsplus holds co_varnames, then the cells of co_cellvars and co_freevars.
    std::vector<LocalVariable> old_frame_locals(uint64_t frame, uint64_t code) {
        std::vector<LocalVariable> out;
        uint64_t slot = frame + l_.frame_localsplus;
        for (uint32_t field : {l_.code_varnames, l_.code_cellvars, l_.code_freevars}) {
            const uint64_t names = l_.has(field) ? reader_.pointer(code + field) : 0;
            const int64_t count =
                names ? std::clamp<int64_t>(decoder_.ob_size(names), 0, kMaxLocals) : 0;
            auto part = named_slots(names, int32_t(count), slot);
            out.insert(out.end(), part.begin(), part.end());
            slot += uint64_t(count) * 8;
        }
        return out;
    }

    std::vector<LocalVariable> named_slots(uint64_t names, int32_t count, uint64_t slots) {
        std::vector<LocalVariable> out;
        for (int32_t i = 0; i < count; ++i) {
            const uint64_t object = decoder_.stackref(reader_.pointer(slots + uint64_t(i) * 8));
            if (object == 0) continue;
            const uint64_t name =
                names ? reader_.pointer(names + l_.tuple_items + uint64_t(i) * 8) : 0;
            out.push_back({decoder_.read_str(name, kMaxName).value_or("?"), object});
        }
        return out;
    }

    // Bytes from the start of the bytecode to the instruction the frame is at.
    std::optional<uint64_t> instruction_offset(uint64_t frame, uint64_t code) {
        if (l_.frames_are_objects) {
            int32_t lasti = 0;
            if (!reader_.read(frame + l_.frame_lasti, lasti) || lasti < 0) return std::nullopt;
            // 3.10 counts code units, 3.9 bytes.
            return format_ == LineTableFormat::LineTable ? uint64_t(lasti) * 2 : uint64_t(lasti);
        }
        const uint64_t instr = reader_.pointer(frame + l_.iframe_instr);
        const uint64_t bytecode = code + l_.code_adaptive;
        const uint64_t size =
            uint64_t(std::max<int64_t>(decoder_.ob_size(code), 0)) * uint64_t(l_.code_unit_size);
        if (instr >= bytecode && instr < bytecode + size) return instr - bytecode;
        // 3.14t: a thread may run its own copy of the bytecode (co_tlbc[tlbc_index]).
        if (!l_.has(l_.code_tlbc) || !l_.has(l_.iframe_tlbc_index)) return std::nullopt;
        int32_t index = 0;
        const uint64_t copies = reader_.pointer(code + l_.code_tlbc);
        int64_t count = 0;
        if (!copies || !reader_.read(frame + l_.iframe_tlbc_index, index) ||
            !reader_.read(copies, count) || index < 0 || index >= count)
            return std::nullopt;
        const uint64_t copy = reader_.pointer(copies + 8 + uint64_t(index) * 8);
        if (copy == 0 || instr < copy || instr >= copy + size) return std::nullopt;
        return instr - copy;
    }

    int line_of(uint64_t code, uint64_t offset) {
        const uint32_t field = l_.has(l_.code_linetable) ? l_.code_linetable : l_.code_lnotab;
        int32_t first_line = 0;
        if (!l_.has(field) || !reader_.read(code + l_.code_firstlineno, first_line)) return -1;
        const uint64_t table = reader_.pointer(code + field);
        const int64_t length = table ? decoder_.ob_size(table) : 0;
        if (length <= 0 || length > kMaxLineTable) return -1;
        bytes_.resize(size_t(length));
        if (!reader_.read_bytes(table + l_.bytes_sval, bytes_.data(), bytes_.size())) return -1;
        return line_at(bytes_, first_line, offset, format_);
    }

    const Layout& l_;
    ObjectDecoder& decoder_;
    Reader& reader_;
    LineTableFormat format_;
    std::vector<uint8_t> bytes_;
};

// The kernel's id of `thread`: its own record (3.11+), else glibc's struct pthread behind its
// pthread_t, believed only when the process has such a thread.
int native_thread_id(const memory::Target& target, Reader& reader, const ThreadState& thread) {
    if (thread.native_thread_id != 0) return int(thread.native_thread_id);
    if (!target.machine || target.machine->pthread_tid_offset == 0) return 0;
    int32_t tid = 0;
    if (!reader.read(thread.thread_id + target.machine->pthread_tid_offset, tid)) return 0;
    return std::ranges::find(target.thread_ids, tid) != target.thread_ids.end() ? tid : 0;
}

// What the kernel saw the thread doing, and whether that is waiting for the GIL.
void add_syscall(const Runtime& runtime, const memory::Target& target, ThreadStack& stack) {
    const auto found = target.thread_syscalls.find(int(stack.thread.native_thread_id));
    if (stack.thread.native_thread_id == 0 || found == target.thread_syscalls.end()) return;
    stack.syscall = found->second;
    const Layout& l = *runtime.layout;
    const uint64_t futex = found->second.first_argument;
    stack.waits_for_gil = found->second.in_syscall && found->second.name == "futex" &&
                          stack.gil.address != 0 && l.has(l.gil_size) &&
                          futex >= stack.gil.address && futex < stack.gil.address + l.gil_size;
}

} // namespace

PythonFrame read_python_frame(const Runtime& runtime, ObjectDecoder& decoder, uint64_t frame) {
    return StackReader(runtime, decoder).read_frame(frame);
}

std::vector<ThreadStack> python_stacks(const Runtime& runtime, ObjectDecoder& decoder,
                                       const memory::Target* target) {
    StackReader reader(runtime, decoder);
    std::vector<ThreadStack> out;
    for (const Interpreter& interp : runtime.interpreters) {
        const GilState gil = read_gil(runtime, decoder.reader(), interp);
        const auto names = thread_names(decoder, interp);
        for (const ThreadState& thread : interp.threads) {
            ThreadStack stack = reader.thread(interp.number, thread);
            if (auto name = names.find(thread.thread_id); name != names.end())
                stack.name = name->second;
            stack.activity = thread_activity(runtime, decoder.reader(), gil, thread);
            stack.gil = gil;
            if (target) {
                stack.thread.native_thread_id =
                    uint64_t(native_thread_id(*target, decoder.reader(), thread));
                add_syscall(runtime, *target, stack);
            }
            out.push_back(std::move(stack));
        }
    }
    return out;
}

// What a thread blocked in a system call does, by memory::SyscallWait.
constexpr const char* kWaitPhrases[] = {
    "waiting on a lock",    "sleeping",        "waiting on I/O",  "waiting for a child process",
    "waiting for a signal", "in a timed wait", "in a system call"};
static_assert(std::size(kWaitPhrases) == size_t(memory::SyscallWait::Other) + 1);

std::string activity_text(const ThreadStack& stack) {
    if (!stack.syscall || stack.activity == ThreadActivity::Suspended)
        return activity_text(stack.activity);
    const bool gil_build = !stack.gil.known || stack.gil.enabled;
    const char* holding = gil_build ? "holds the GIL" : "attached";
    const char* released = gil_build ? "GIL released" : "detached";
    const memory::ThreadSyscall& call = *stack.syscall;
    if (!call.in_syscall) {
        switch (stack.activity) {
        case ThreadActivity::Attached:
            return fmt::format("running ({})", holding);
        case ThreadActivity::Detached:
            return fmt::format("in C code ({})", released);
        default:
            return "in user code";
        }
    }
    if (stack.waits_for_gil) return "waiting for the GIL";
    const char* what = kWaitPhrases[size_t(call.wait)];
    switch (stack.activity) {
    case ThreadActivity::Attached:
        return fmt::format("{} ({}) and {}", what, call.name, holding);
    case ThreadActivity::Detached:
        return fmt::format("{} ({}; {})", what, call.name, released);
    default:
        return fmt::format("{} ({})", what, call.name);
    }
}

} // namespace heapy::cpython
