#pragma once

#include "core/classify/classifier.hpp"
#include "core/cpython/relation.hpp"
#include "core/heap/huge_pages.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace heapy::classify {

// One relation Via counts: the position of its target in the set, and how it is referred to.
struct FoundRelation {
    uint32_t at;
    cpython::Relation relation;
    std::string_view root_name; // of the root's edges: heapy's RootState attribute name
};

// The relations by which `referrers` (in order) refer to the members of a set, found by decoding
// each referrer again: the graph keeps edges without relations. `position` gives each node's
// position in the set (UINT32_MAX: not in it); null stands for the reachable heap, node n at n - 1.
// Like heapy, an unreachable referrer does not count for a reachable target, nor does an instance's
// class pointer.
//
// The caller takes the relations in chunks, in no particular order. When the memory can be read
// from two threads, a second one decodes too, ahead of the caller.
class ViaEdges {
  public:
    ViaEdges(const ClassifyContext& context, std::span<const uint32_t> referrers,
             const heap::BigVector<uint32_t>* position);
    ~ViaEdges();
    ViaEdges(const ViaEdges&) = delete;
    ViaEdges& operator=(const ViaEdges&) = delete;

    // Replaces `chunk` with the next relations; false at the end. Reports progress to the
    // context; throws heapy::Interrupted when it says so, and what the decoding thread threw.
    bool next(std::vector<FoundRelation>& chunk);

  private:
    struct Decoding;
    struct Worker;
    const ClassifyContext& context_;
    const size_t referrer_count_;
    std::atomic<size_t> cursor_{0}; // the next referrer not claimed by either thread
    std::unique_ptr<Decoding> own_;
    std::unique_ptr<Worker> worker_;
};

} // namespace heapy::classify
