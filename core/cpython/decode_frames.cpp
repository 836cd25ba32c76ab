// Referents of frames (frame objects and bare interpreter frames) and generators.
#include "core/cpython/object_decoder.hpp"

#include <algorithm>

namespace heapy::cpython {

namespace {
constexpr int kMaxFrameHops = 1 << 20;
constexpr int32_t kMaxFrameSlots = 1 << 20;
} // namespace

bool ObjectDecoder::is_complete_frame(uint64_t frame) {
    int8_t owner = 0;
    if (!reader_.read(frame + layout_.iframe_owner, owner)) return false;
    if (owner == layout_.frame_owner_cstack || owner == layout_.frame_owner_interpreter)
        return false;
    uint64_t code = frame_code(frame);
    if (code == 0) return false;
    if (owner == layout_.frame_owner_generator || layout_.code_firsttraceable == Layout::kAbsent)
        return true;
    // Being set up: the first instruction that can trace has not been reached yet.
    uint64_t instr = reader_.pointer(frame + layout_.iframe_instr);
    int32_t first = 0;
    reader_.read(code + layout_.code_firsttraceable, first);
    return instr >=
           code + layout_.code_adaptive + uint64_t(first) * uint64_t(layout_.code_unit_size);
}

uint64_t ObjectDecoder::previous_frame(uint64_t frame) {
    uint64_t cursor = reader_.pointer(frame + layout_.iframe_previous);
    for (int hops = 0; cursor != 0 && hops < kMaxFrameHops; ++hops) {
        if (is_complete_frame(cursor)) return cursor;
        cursor = reader_.pointer(cursor + layout_.iframe_previous);
    }
    return 0;
}

uint64_t ObjectDecoder::stackref(uint64_t bits) const {
    // 3.14: bit 0 marks a deferred (not counted) reference; the low bits 0b11 tag an int that is
    // not an object at all; NULL is the deferred NULL (1).
    if (layout_.stackrefs && (bits & 3) == 3) return 0;
    return bits & ~uint64_t{3};
}

uint64_t ObjectDecoder::frame_code(uint64_t frame) {
    return stackref(reader_.pointer(frame + layout_.iframe_code));
}

uint64_t ObjectDecoder::frame_slot(uint64_t address) {
    uint64_t bits = reader_.pointer(address);
    return layout_.stackrefs ? stackref(bits) : bits;
}

void ObjectDecoder::stackref_field(uint64_t object, uint32_t offset, const Relation& relation,
                                   EdgeSink& sink) {
    if (offset == Layout::kAbsent) return;
    if (uint64_t target = frame_slot(object + offset)) sink.edge(target, relation);
}

void ObjectDecoder::frame_edge(uint64_t frame, const Relation& relation, EdgeSink& sink) {
    if (uint64_t object = reader_.pointer(frame + layout_.iframe_frame_obj))
        sink.edge(object, relation);
    else
        sink.edge(frame, relation, Referent::InterpreterFrame);
}

// The objects an interpreter frame holds: function, code, namespaces, locals, cells and the live
// part of its value stack.
void ObjectDecoder::frame_contents(uint64_t frame, EdgeSink& sink, bool with_context) {
    const Layout& l = layout_;
    uint64_t code = frame_code(frame);
    if (with_context) {
        stackref_field(frame, l.iframe_function, Relation::inter("f_func"), sink);
        if (code) sink.edge(code, Relation::attribute("f_code"));
        field(frame, l.iframe_builtins, Relation::attribute("f_builtins"), sink);
        field(frame, l.iframe_globals, Relation::attribute("f_globals"), sink);
    }
    field(frame, l.iframe_locals, Relation::attribute("f_locals"), sink);
    if (!code) return;

    int32_t nlocalsplus = 0, stacksize = 0, stacktop = -1;
    reader_.read(code + l.code_nlocalsplus, nlocalsplus);
    reader_.read(code + l.code_stacksize, stacksize);
    if (l.has(l.iframe_stacktop)) {
        reader_.read(frame + l.iframe_stacktop, stacktop);
    } else if (l.has(l.iframe_stackpointer)) {
        // 3.14: a pointer to the first free slot; NULL while the frame executes (it lives in a
        // register then).
        uint64_t top = reader_.pointer(frame + l.iframe_stackpointer);
        uint64_t base = frame + l.iframe_localsplus;
        if (top >= base && top <= base + uint64_t(kMaxFrameSlots) * 8 && (top - base) % 8 == 0)
            stacktop = int32_t((top - base) / 8);
    }
    if (nlocalsplus < 0 || nlocalsplus > kMaxFrameSlots || stacksize < 0 ||
        stacksize > kMaxFrameSlots)
        return;
    uint64_t names = reader_.pointer(code + l.code_localsplusnames);
    const uint64_t slots = frame + l.iframe_localsplus;
    for (int32_t i = 0; i < nlocalsplus; ++i) {
        if (uint64_t value = frame_slot(slots + uint64_t(i) * 8)) {
            uint64_t name = names ? reader_.pointer(names + l.tuple_items + uint64_t(i) * 8) : 0;
            sink.edge(value, {RelationKind::LocalVar, uint32_t(i), nullptr, name, false});
        }
    }
    if (stacktop >= nlocalsplus && stacktop <= nlocalsplus + stacksize) {
        for (int32_t i = nlocalsplus; i < stacktop; ++i)
            if (uint64_t value = frame_slot(slots + uint64_t(i) * 8))
                sink.edge(value,
                          {RelationKind::Stack, uint32_t(i - nlocalsplus), nullptr, 0, false});
    } else if (stacktop < 0) {
        // A frame that is executing keeps its stack pointer in a register: guess the live part.
        for (int32_t i = nlocalsplus; i < nlocalsplus + stacksize; ++i)
            if (uint64_t value = frame_slot(slots + uint64_t(i) * 8))
                sink.edge(value,
                          {RelationKind::Stack, uint32_t(i - nlocalsplus), nullptr, 0, false},
                          Referent::Guess);
    }
}

void ObjectDecoder::interpreter_frame_referents(uint64_t frame, EdgeSink& sink) {
    if (uint64_t back = previous_frame(frame))
        frame_edge(back, Relation::attribute("f_back"), sink);
    frame_contents(frame, sink, true);
}

// <= 3.10: a frame object holds everything itself; its slots are the code's varnames, cellvars
// and freevars, then the value stack.
void ObjectDecoder::old_frame_referents(uint64_t address, EdgeSink& sink) {
    const Layout& l = layout_;
    field(address, l.frame_back, Relation::attribute("f_back"), sink);
    uint64_t code = reader_.pointer(address + l.frame_code);
    if (code) sink.edge(code, Relation::attribute("f_code"));
    field(address, l.frame_builtins, Relation::attribute("f_builtins"), sink);
    field(address, l.frame_globals, Relation::attribute("f_globals"), sink);
    field(address, l.frame_locals, Relation::attribute("f_locals"), sink);
    field(address, l.frame_trace, Relation::attribute("f_trace"), sink);
    if (!code) return;
    int32_t nlocals = 0, stacksize = 0;
    reader_.read(code + l.code_nlocals, nlocals);
    reader_.read(code + l.code_stacksize, stacksize);
    uint64_t name_tuples[3] = {reader_.pointer(code + l.code_varnames),
                               reader_.pointer(code + l.code_cellvars),
                               reader_.pointer(code + l.code_freevars)};
    int64_t counts[3] = {nlocals, std::max<int64_t>(ob_size(name_tuples[1]), 0),
                         std::max<int64_t>(ob_size(name_tuples[2]), 0)};
    const uint64_t slots = address + l.frame_localsplus;
    uint32_t slot = 0;
    for (int group = 0; group < 3; ++group) {
        if (counts[group] < 0 || counts[group] > kMaxFrameSlots) return;
        for (int64_t i = 0; i < counts[group]; ++i, ++slot) {
            uint64_t value = reader_.pointer(slots + uint64_t(slot) * 8);
            if (!value) continue;
            uint64_t name =
                name_tuples[group]
                    ? reader_.pointer(name_tuples[group] + l.tuple_items + uint64_t(i) * 8)
                    : 0;
            sink.edge(value, {RelationKind::LocalVar, slot, nullptr, name, false});
        }
    }
    if (stacksize < 0 || stacksize > kMaxFrameSlots) return;
    uint64_t stack = reader_.pointer(address + l.frame_valuestack);
    int64_t depth = -1;
    if (l.has(l.frame_stackdepth)) {
        int32_t d = -1;
        reader_.read(address + l.frame_stackdepth, d);
        depth = d;
    } else if (l.has(l.frame_stacktop)) {
        uint64_t top = reader_.pointer(address + l.frame_stacktop);
        if (top >= stack && top <= stack + uint64_t(stacksize) * 8)
            depth = int64_t((top - stack) / 8);
    }
    if (!stack) return;
    const bool guess = depth < 0 || depth > stacksize;
    if (guess) depth = stacksize; // executing: the stack pointer is in a register
    for (int64_t i = 0; i < depth; ++i)
        if (uint64_t value = reader_.pointer(stack + uint64_t(i) * 8))
            sink.edge(value, {RelationKind::Stack, uint32_t(i), nullptr, 0, false},
                      guess ? Referent::Guess : Referent::Object);
}

void ObjectDecoder::frame_object_referents(uint64_t address, EdgeSink& sink) {
    const Layout& l = layout_;
    if (l.frames_are_objects) {
        old_frame_referents(address, sink);
        return;
    }
    field(address, l.frame_extra_locals, Relation::inter("f_extra_locals"), sink);
    field(address, l.frame_locals_cache, Relation::inter("f_locals_cache"), sink);
    uint64_t frame = reader_.pointer(address + l.frame_frame);
    uint64_t back = reader_.pointer(address + l.frame_back);
    int8_t owner = 0;
    bool live =
        frame && reader_.read(frame + l.iframe_owner, owner) && owner != l.frame_owner_frame_object;
    if (back) {
        sink.edge(back, Relation::attribute("f_back"));
    } else if (live) {
        if (uint64_t previous = previous_frame(frame))
            frame_edge(previous, Relation::attribute("f_back"), sink);
    }
    field(address, l.frame_trace, Relation::attribute("f_trace"), sink);
    if (frame) frame_contents(frame, sink, true);
}

void ObjectDecoder::generator_referents(uint64_t address, Kind kind, EdgeSink& sink) {
    const Layout& l = layout_;
    field(address, l.gen_code, Relation::attribute("gi_code"), sink);
    field(address, l.gen_name, Relation::attribute("__name__"), sink);
    field(address, l.gen_qualname, Relation::attribute("__qualname__"), sink);
    field(address, l.gen_exc_state, Relation::inter("gi_exc_state"), sink);
    if (l.frames_are_objects) {
        // <= 3.10: the exception state holds type, value and traceback; the frame is an object.
        field(address, l.gen_exc_state + 8, Relation::inter("gi_exc_state"), sink);
        field(address, l.gen_exc_state + 16, Relation::inter("gi_exc_state"), sink);
        field(address, l.gen_frame, Relation::attribute("gi_frame"), sink);
        return;
    }
    // A coroutine's origin, an async generator's finalizer: a plain generator leaves the field
    // as the allocator gave it.
    if (kind != Kind::Generator)
        field(address, l.gen_origin_or_finalizer, Relation::inter("gi_origin_or_finalizer"), sink);
    int8_t state = 0;
    if (!reader_.read(address + l.gen_frame_state, state) || state >= l.gen_frame_state_cleared)
        return;
    uint64_t frame = address + l.gen_iframe;
    field(frame, l.iframe_frame_obj, Relation::attribute("gi_frame"), sink);
    stackref_field(frame, l.iframe_function, Relation::inter("f_func"), sink);
    if (uint64_t code = frame_code(frame)) sink.edge(code, Relation::attribute("gi_code"));
    frame_contents(frame, sink, false);
}

uint64_t ObjectDecoder::frame_data_size(uint64_t code) {
    int32_t nlocalsplus = 0, stacksize = 0;
    reader_.read(code + layout_.code_nlocalsplus, nlocalsplus);
    reader_.read(code + layout_.code_stacksize, stacksize);
    if (nlocalsplus < 0 || stacksize < 0 || nlocalsplus > kMaxFrameSlots ||
        stacksize > kMaxFrameSlots)
        return layout_.iframe_localsplus;
    return layout_.iframe_localsplus + (uint64_t(nlocalsplus) + uint64_t(stacksize)) * 8;
}

uint64_t ObjectDecoder::interpreter_frame_size(uint64_t frame) {
    uint64_t code = frame_code(frame);
    return code ? frame_data_size(code) : layout_.iframe_localsplus;
}

} // namespace heapy::cpython
