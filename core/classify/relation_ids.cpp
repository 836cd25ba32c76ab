#include "core/classify/relation_ids.hpp"

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

uint32_t RelationIds::id(const RelationKey& key) {
    auto [id, added] = ids_.insert(
        hash_of(key), [&](uint32_t known) { return keys_[known] == key; }, uint32_t(keys_.size()));
    if (added) keys_.push_back(key);
    return id;
}

} // namespace heapy::classify
