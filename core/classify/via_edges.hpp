#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/text_order.hpp"
#include "core/heap/huge_pages.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <utility>

namespace heapy::classify {

// The relations by which some referrers refer to the members of a set: each found one as the
// position of its target in the set and the relation's number, and the text of each number.
// A relation may have several numbers with one text (two threads each numbered it, or two str
// objects with one value are keys): equal texts are one class once sorted. What a second thread
// found stays apart (millions of entries, not copied), its numbers `apart_from` on. A relation
// by index alone (a list item `[3]`, a dict key's place `.keys()[3]`...) is found as
// kIndexed | its kind's slot << kIndexBits | its index, and numbered by `indexed` once both
// threads are done: its text is made once, whichever threads found it.
struct NumberedRelations {
    static constexpr uint32_t kIndexed = uint32_t{1} << 31;
    static constexpr unsigned kIndexBits = 24;
    static constexpr size_t kIndexedKinds = 4; // Index, DictKey, Stack, SetMember

    heap::BigVector<std::pair<uint32_t, uint32_t>> found;
    heap::BigVector<std::pair<uint32_t, uint32_t>> found_apart;
    uint32_t apart_from = 0;
    std::array<heap::BigVector<uint32_t>, kIndexedKinds> indexed; // the number of each index
    TextArena texts;

    size_t size() const { return found.size() + found_apart.size(); }
    // Of found relation i of size(): its target's position, and its number.
    uint32_t position(size_t i) const {
        return i < found.size() ? found[i].first : found_apart[i - found.size()].first;
    }
    uint32_t number(size_t i) const {
        const bool apart = i >= found.size();
        const uint32_t id = apart ? found_apart[i - found.size()].second : found[i].second;
        if (id & kIndexed)
            return indexed[(id & ~kIndexed) >> kIndexBits][id & ((uint32_t{1} << kIndexBits) - 1)];
        return apart ? apart_from + id : id;
    }
};

// The relations by which `referrers` refer to the members of a set: from the relations the walk
// recorded (ObjectGraph::recorded), else by decoding each referrer again. `position` gives each
// node's position in the set (UINT32_MAX: not in it); null stands for the reachable heap, node n
// at n - 1. Like heapy, an unreachable referrer does not count for a reachable target, nor does
// an instance's class pointer. Each relation is named (RelationTexter) by the thread that first
// finds it, those by index alone at the end. When the memory can be read from two threads, a
// second one takes units of the work too (blocks of referrers, or parts of a referrer of millions
// of edges), numbering and naming what it finds apart. Reports progress to the context; throws
// heapy::Interrupted when it says so, and what either thread threw.
NumberedRelations find_relations(const ClassifyContext& context,
                                 std::span<const uint32_t> referrers,
                                 const heap::BigVector<uint32_t>* position);

} // namespace heapy::classify
