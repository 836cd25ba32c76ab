#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/id_hash_set.hpp"
#include "core/classify/text_order.hpp"
#include "core/classify/via_edges.hpp"

#include <cstdint>
#include <vector>

namespace heapy::classify {

// A relation's identity: relations with equal keys have equal texts, so each text is made once.
// `name` is the C string of Attribute and InterAttribute, the root name of Root.
struct RelationKey {
    uint64_t kind_index; // kind << 32 | index
    uint64_t name;
    uint64_t object;
    bool operator==(const RelationKey&) const = default;
};

// Numbers the distinct relations by key, in the order first seen. Equal texts of different keys
// (two str objects "a" as dict keys) are merged later, when the texts are sorted.
class RelationIds {
  public:
    uint32_t id(const FoundRelation& found);
    size_t size() const { return keys_.size(); }
    // The key of each number.
    const heap::BigVector<RelationKey>& keys() const { return keys_; }

  private:
    static constexpr uint32_t kNone = UINT32_MAX;
    static constexpr size_t kNumberedKinds = 4;
    static constexpr uint32_t kMaxNumbered = uint32_t{1} << 24;
    static size_t numbered_kind(cpython::RelationKind kind);

    // Indices (list items, dict keys, stack slots, set members) are numbered by a table.
    heap::BigVector<uint32_t> by_index_[kNumberedKinds];
    heap::BigVector<RelationKey> keys_;
    IdHashSet ids_;
};

// The text of each relation, as heapy's Via names it (the repr of `.name`, `['key']`, `[3]`...),
// numbered as `keys`. Made in two threads when the memory allows (the second with a reader,
// type registry and decoder of its own); polls the context for Ctrl-C.
TextArena relation_texts(const ClassifyContext& context, const heap::BigVector<RelationKey>& keys);

} // namespace heapy::classify
