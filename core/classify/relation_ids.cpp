#include "core/classify/relation_ids.hpp"

#include <algorithm>

namespace heapy::classify {

namespace {

size_t hash_of(const RelationKey& k) {
    const uint64_t h =
        k.kind_index * 0x9e3779b97f4a7c15ULL ^ k.name * 0xc2b2ae3d27d4eb4fULL ^ k.object;
    return size_t(h ^ (h >> 29));
}

} // namespace

RelationKey RelationKey::of(const cpython::Relation& r, std::string_view root_name) {
    const char* name = r.kind == cpython::RelationKind::Root ? root_name.data() : r.name;
    return {uint64_t(r.kind) << 32 | r.index, uint64_t(uintptr_t(name)), r.object};
}

size_t RelationIds::numbered_kind(cpython::RelationKind kind) {
    switch (kind) {
    case cpython::RelationKind::Index:
        return 0;
    case cpython::RelationKind::DictKey:
        return 1;
    case cpython::RelationKind::Stack:
        return 2;
    case cpython::RelationKind::SetMember:
        return 3;
    default:
        return kNumberedKinds;
    }
}

uint32_t RelationIds::id(const RelationKey& key) {
    const size_t numbered = numbered_kind(cpython::RelationKind(key.kind_index >> 32));
    const uint32_t index = uint32_t(key.kind_index);
    if (numbered < kNumberedKinds && !key.name && !key.object && index < kMaxNumbered) {
        heap::BigVector<uint32_t>& ids = by_index_[numbered];
        if (index >= ids.size()) ids.resize(std::max<size_t>(index + 1, ids.size() * 2), kNone);
        uint32_t& id = ids[index];
        if (id == kNone) {
            id = uint32_t(keys_.size());
            keys_.push_back(key);
        }
        return id;
    }
    auto [id, added] = ids_.insert(
        hash_of(key), [&](uint32_t known) { return keys_[known] == key; }, uint32_t(keys_.size()));
    if (added) keys_.push_back(key);
    return id;
}

} // namespace heapy::classify
