#pragma once

#include "core/classify/id_hash_set.hpp"
#include "core/cpython/relation.hpp"
#include "core/heap/huge_pages.hpp"

#include <cstdint>
#include <string_view>

namespace heapy::classify {

// A relation's identity: relations with equal keys have equal texts, so each text is made once.
// `name` is the C string of Attribute and InterAttribute, the root name of Root.
struct RelationKey {
    uint64_t kind_index; // kind << 32 | index
    uint64_t name;
    uint64_t object;
    bool operator==(const RelationKey&) const = default;

    // `root_name`: of the root's edges, heapy's RootState attribute name.
    static RelationKey of(const cpython::Relation& relation, std::string_view root_name);
};

// Numbers the distinct relations by key, in the order first seen. Equal texts of different keys
// (two str objects "a" as dict keys) are merged later, when the texts are sorted.
class RelationIds {
  public:
    uint32_t id(const RelationKey& key);

  private:
    heap::BigVector<RelationKey> keys_;
    IdHashSet ids_;
};

} // namespace heapy::classify
