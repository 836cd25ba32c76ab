#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/cpython/runtime.hpp"
#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace heapy::heap {

struct WalkHooks {
    std::function<bool()> interrupted;                  // polled every few thousand objects
    std::function<void(uint64_t objects)> progress;    // objects found so far
};

// Builds the graph of every object reachable from `roots` by a breadth-first walk (no recursion:
// a linked list of any length is fine). Throws heapy::Interrupted when the hooks say so.
ObjectGraph walk_heap(cpython::ObjectDecoder& decoder, const std::vector<cpython::RootEdge>& roots,
                      const WalkHooks& hooks = {});

} // namespace heapy::heap
