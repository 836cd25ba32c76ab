#pragma once

#include "core/cpython/relation.hpp"

#include <cstdint>

namespace heapy::cpython {

// What a referent address denotes.
enum class Referent : uint8_t {
    Object,           // a PyObject* read from a field the decoder knows holds one
    Guess,            // a word that may be a pointer (an executing frame's stack, a module's
                      // state): validate strictly
    Scanned,          // a word of a C object of unknown layout: as Guess, and counted as a guess
    ManagedValues,    // an instance's inline attribute values (a virtual `dict of X`); aux = the
                      // owning instance's type
    InterpreterFrame, // a _PyInterpreterFrame with no frame object (a virtual frame)
};

// Receives the referents of an object from the decoders.
class EdgeSink {
  public:
    virtual ~EdgeSink() = default;
    virtual void edge(uint64_t address, const Relation& relation,
                      Referent referent = Referent::Object, uint64_t aux = 0) = 0;
    // The object being decoded failed a sanity check (a length its memory cannot hold, a table
    // size that is not a power of two): what could be read was reported, the rest skipped.
    virtual void corrupt() {}
    // True once the object being decoded has shown itself corrupt by many referents that are
    // not objects: decoders of long arrays poll it and stop.
    virtual bool saturated() const { return false; }
};

} // namespace heapy::cpython
