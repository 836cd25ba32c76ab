#include "core/cpython/suspended_frames.hpp"

#include "core/cpython/edge_sink.hpp"
#include "core/cpython/type_registry.hpp"
#include "core/errors.hpp"

#include <map>
#include <set>
#include <string_view>

namespace heapy::cpython {

namespace {

constexpr size_t kMaxChain = 1 << 12;
constexpr size_t kObjectsPerPoll = 256;
constexpr size_t kMaxName = 1 << 10;

bool is_generator_kind(Kind kind) {
    return kind == Kind::Generator || kind == Kind::Coroutine || kind == Kind::AsyncGenerator;
}

bool is_task(const TypeInfo& type) {
    return type.tp_name == "_asyncio.Task" || type.tp_name == "Task";
}

// The edges of one object that say what it runs or waits on.
class AwaitSink final : public EdgeSink {
  public:
    void edge(uint64_t address, const Relation& relation, Referent, uint64_t) override {
        const std::string_view name = relation.name ? relation.name : "";
        if (relation.kind == RelationKind::Stack) stack_top = address; // the last is the top
        if (name == "_coro") coro = address;
        if (name == "_fut_waiter") waiter = address;
        if (name == "task_name") task_name = address;
    }
    uint64_t stack_top = 0, coro = 0, waiter = 0, task_name = 0;
};

class Finder {
  public:
    Finder(const Runtime& runtime, ObjectDecoder& decoder, const std::vector<ThreadStack>& threads)
        : runtime_(runtime), l_(*runtime.layout), decoder_(decoder), reader_(decoder.reader()) {
        for (const ThreadStack& thread : threads)
            for (const PythonFrame& frame : thread.frames) on_threads_.insert(frame.address);
    }

    // The generator's frame when it is suspended or not started, else 0.
    uint64_t suspended_frame(uint64_t generator) {
        uint64_t frame = 0;
        if (l_.frames_are_objects) {
            frame = reader_.pointer(generator + l_.gen_frame);
        } else {
            int8_t state = 0;
            if (reader_.read(generator + l_.gen_frame_state, state) && state < 0)
                frame = generator + l_.gen_iframe;
        }
        return frame && !on_threads_.contains(frame) ? frame : 0;
    }

    const TypeInfo* type_of(uint64_t object) {
        return object ? decoder_.types().get(reader_.pointer(object + l_.object_type)) : nullptr;
    }

    AwaitSink edges(uint64_t object, const TypeInfo& type) {
        AwaitSink sink;
        decoder_.referents(object, type, sink);
        return sink;
    }

    // What the suspended generator waits on: the top of its frame's stack (`yield from`, `await`).
    uint64_t awaited(uint64_t generator, const TypeInfo& type) {
        if (!l_.frames_are_objects) return edges(generator, type).stack_top;
        // <= 3.10: the stack is the frame object's.
        const uint64_t frame = suspended_frame(generator);
        const TypeInfo* frame_type = type_of(frame);
        return frame_type ? edges(frame, *frame_type).stack_top : 0;
    }

    PythonFrame frame(uint64_t frame) { return read_python_frame(runtime_, decoder_, frame); }

    std::string task_name(uint64_t name) {
        if (auto text = decoder_.read_str(name, kMaxName)) return *text;
        if (auto number = decoder_.read_small_int(name)) return "Task-" + std::to_string(*number);
        return "";
    }

  private:
    const Runtime& runtime_;
    const Layout& l_;
    ObjectDecoder& decoder_;
    Reader& reader_;
    std::set<uint64_t> on_threads_;
};

SuspendedObject::Kind kind_of(Kind kind) {
    switch (kind) {
    case Kind::Coroutine:
        return SuspendedObject::Kind::Coroutine;
    case Kind::AsyncGenerator:
        return SuspendedObject::Kind::AsyncGenerator;
    default:
        return SuspendedObject::Kind::Generator;
    }
}

} // namespace

const char* suspended_kind_text(SuspendedObject::Kind kind) {
    switch (kind) {
    case SuspendedObject::Kind::Coroutine:
        return "Coroutine";
    case SuspendedObject::Kind::AsyncGenerator:
        return "Async generator";
    case SuspendedObject::Kind::Task:
        return "Task";
    case SuspendedObject::Kind::Generator:
        break;
    }
    return "Generator";
}

std::vector<SuspendedObject> suspended_objects(const Runtime& runtime, ObjectDecoder& decoder,
                                               const std::vector<Candidate>& objects,
                                               const std::vector<ThreadStack>& threads,
                                               const std::function<bool()>& interrupted) {
    size_t seen_objects = 0;
    const auto poll = [&] {
        if (++seen_objects % kObjectsPerPoll == 0 && interrupted && interrupted())
            throw Interrupted();
    };
    Finder finder(runtime, decoder, threads);
    // Who awaits what, among the suspended generators; and each Task's coroutine.
    std::map<uint64_t, uint64_t> awaits;
    std::set<uint64_t> awaited;
    std::vector<std::pair<uint64_t, const TypeInfo*>> generators, tasks;
    for (const Candidate& c : objects) {
        poll();
        if (is_task(*c.type)) {
            tasks.emplace_back(c.address, c.type);
        } else if (is_generator_kind(c.type->kind) && finder.suspended_frame(c.address)) {
            generators.emplace_back(c.address, c.type);
            const uint64_t target = finder.awaited(c.address, *c.type);
            awaits[c.address] = target;
            awaited.insert(target);
        }
    }
    std::set<uint64_t> suspended;
    for (auto [address, type] : generators) suspended.insert(address);

    // A chain from `first`, outermost first, down the suspended generators it awaits.
    auto chain = [&](uint64_t first, SuspendedObject& out) {
        std::set<uint64_t> seen;
        uint64_t at = first;
        while (suspended.contains(at) && seen.insert(at).second && seen.size() < kMaxChain) {
            out.frames.insert(out.frames.begin(), finder.frame(finder.suspended_frame(at)));
            at = awaits[at];
        }
        out.awaits = at;
    };

    std::vector<SuspendedObject> out;
    std::set<uint64_t> shown_by_task;
    for (auto [address, type] : tasks) {
        poll();
        const AwaitSink edges = finder.edges(address, *type);
        SuspendedObject task;
        task.kind = SuspendedObject::Kind::Task;
        task.address = address;
        task.name = finder.task_name(edges.task_name);
        chain(edges.coro, task);
        if (edges.waiter) task.awaits = edges.waiter; // the Future itself, not its iterator
        shown_by_task.insert(edges.coro);
        out.push_back(std::move(task));
    }
    for (auto [address, type] : generators) {
        poll();
        if (awaited.contains(address) || shown_by_task.contains(address)) continue;
        SuspendedObject object;
        object.kind = kind_of(type->kind);
        object.address = address;
        chain(address, object);
        out.push_back(std::move(object));
    }
    return out;
}

} // namespace heapy::cpython
