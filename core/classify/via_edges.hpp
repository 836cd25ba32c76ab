#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/relation_ids.hpp"
#include "core/classify/text_order.hpp"
#include "core/heap/huge_pages.hpp"

#include <cstdint>
#include <span>
#include <utility>

namespace heapy::classify {

// The relations by which some referrers refer to the members of a set: each found one as the
// position of its target in the set and the relation's number, and the text of each number.
// What a second thread found stays apart (millions of entries, not copied), numbered by it and
// made this numbering by `renumbered`.
struct NumberedRelations {
    heap::BigVector<std::pair<uint32_t, uint32_t>> found;
    heap::BigVector<std::pair<uint32_t, uint32_t>> found_apart;
    heap::BigVector<uint32_t> renumbered; // of found_apart's numbers
    TextArena texts;

    size_t size() const { return found.size() + found_apart.size(); }
    // Found relation i of size(): its target's position and its number.
    std::pair<uint32_t, uint32_t> operator[](size_t i) const {
        if (i < found.size()) return found[i];
        const auto [at, id] = found_apart[i - found.size()];
        return {at, renumbered[id]};
    }
};

// The relations by which `referrers` refer to the members of a set, found by decoding each
// referrer again: the graph keeps edges without relations. `position` gives each node's position
// in the set (UINT32_MAX: not in it); null stands for the reachable heap, node n at n - 1. Like
// heapy, an unreachable referrer does not count for a reachable target, nor does an instance's
// class pointer. Each relation is named (RelationTexter) by the thread that first finds it. When
// the memory can be read from two threads, a second one takes blocks of referrers too, numbering
// and naming what it finds apart; its numbers are merged at the end. Reports
// progress to the context; throws heapy::Interrupted when it says so, and what either thread threw.
NumberedRelations find_relations(const ClassifyContext& context,
                                 std::span<const uint32_t> referrers,
                                 const heap::BigVector<uint32_t>* position);

} // namespace heapy::classify
