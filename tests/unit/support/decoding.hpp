// The engine, set up over a PyHeap the way the session sets it up, with readable output for
// assertions: edges as "<relation> <target>" lines, partitions as "<kind> <count> <size>" rows.
#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/type_namer.hpp"
#include "core/cpython/object_decoder.hpp"
#include "core/cpython/runtime.hpp"
#include "core/cpython/type_registry.hpp"
#include "core/heap/heap_walker.hpp"
#include "tests/unit/support/python_heap.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace heapy::test {

using Lines = std::vector<std::string>;

Lines sorted(Lines lines);

// The error locate_runtime gives on `h`, or "(no error)".
std::string locate_error(PyHeap& h);

struct Edge {
    uint64_t target = 0;
    cpython::Relation relation;
    cpython::Referent referent = cpython::Referent::Object;
    uint64_t aux = 0;
};

struct TooManyEdges : std::runtime_error {
    TooManyEdges() : std::runtime_error("a decoder emitted more edges than the object can hold") {}
};

// Records edges; throws TooManyEdges past `limit` so that a runaway decoder fails fast.
class RecordingSink final : public cpython::EdgeSink {
  public:
    explicit RecordingSink(size_t limit = 100000) : limit_(limit) {}
    void edge(uint64_t address, const cpython::Relation& relation, cpython::Referent referent,
              uint64_t aux) override;
    std::vector<Edge> edges;

  private:
    size_t limit_;
};

// heapy's text for a relation with the prefix left out (".x", "[0]", "['k']", "->ob_type"...),
// then " (owns)" when the referent is the referrer's __dict__.
std::string relation_text(const PyHeap& heap, const cpython::Relation& relation);
// "<relation> <target>", target suffixed " (guess)", " (values)" or " (frame)" when it is not a
// plain object reference.
std::string edge_text(const PyHeap& heap, const Edge& edge);

// The decoders over a heap, without locating the runtime.
class Decoding {
  public:
    explicit Decoding(PyHeap& heap);

    // The registry's view of the type of `object` (std::runtime_error if it is not a type).
    const cpython::TypeInfo& type(uint64_t object);
    uint64_t size(uint64_t object);
    Lines referents(uint64_t object, size_t limit = 100000);
    std::vector<Edge> edges(uint64_t object, size_t limit = 100000);
    // A bare interpreter frame (a virtual frame node), and an instance's inline values.
    Lines frame_referents(uint64_t frame);
    Lines values_referents(uint64_t values, uint64_t owner_type);

    PyHeap& heap;
    cpython::Reader reader;
    cpython::TypeRegistry types;
    cpython::ObjectDecoder decoder;
};

// A process running a __main__ module: sys.modules, builtins naming a few types, one interpreter.
struct Program {
    Program();
    // Binds a global of __main__; returns `value`.
    uint64_t global(std::string_view name, uint64_t value);

    PyHeap h;
    uint64_t builtins = 0, globals = 0, main = 0, modules = 0, interp = 0;
};

// The row of `kind` in partition rows, or "" when there is none.
std::string row(const Lines& rows, std::string_view kind);

// What `heapy heap` does: locate the runtime, collect the roots, walk, classify.
class Walk {
  public:
    // `record_relations`: the walk keeps the relations of the edges (as before `by via`).
    explicit Walk(PyHeap& heap, bool record_relations = false);

    // The Clodo (or Type) partition of the whole reachable heap, "<kind> <count> <size>" rows in
    // heapy's order.
    Lines rows(classify::Classifier classifier = classify::Classifier::Clodo);
    std::string clodo_kind(uint64_t address); // the Clodo row of the node at `address`
    bool reached(uint64_t address) const;
    uint64_t size_of(uint64_t address) const;
    Lines referents(uint64_t address) const; // the graph's targets of `address`, described
    Lines root_names() const;

    PyHeap& heap;
    cpython::Reader reader;
    cpython::Runtime runtime;
    cpython::TypeRegistry types;
    cpython::ObjectDecoder decoder;
    std::vector<cpython::RootEdge> roots;
    heap::ObjectGraph graph;
    classify::TypeNamer namer;

  private:
    uint32_t node(uint64_t address) const;
    classify::ClassifyContext context();
};

} // namespace heapy::test
