#pragma once

#include "core/cpython/relation.hpp"
#include "core/heap/pod_array.hpp"

#include <cstdint>
#include <optional>
#include <utility>

namespace heapy::heap {

// The relation of every edge a walk decoded, kept when a command is about to name the edges of
// most of the heap (`by via`): naming them then needs no second decoding of every referrer.
// The decoding half of the walk appends `relations` and `end`, the resolving half `targets`;
// each array has one writer.
struct RecordedRelations {
    // A relation packed in 64 bits: its kind, owned_dict, and the one field its text uses (the
    // name, object or index; a DictValue's entry position is not kept, as no text uses it).
    static uint64_t pack(const cpython::Relation& relation);
    static cpython::Relation unpack(uint64_t packed);
    static constexpr unsigned kKindShift = 60;
    static constexpr uint64_t kOwnedDict = uint64_t{1} << 59;
    static constexpr uint64_t kFieldMask = kOwnedDict - 1;
    // What pack() gives a relation that does not fit (a LocalVar's name and slot, a root name):
    // its referrer is decoded again instead.
    static constexpr uint64_t kUnpacked = ~uint64_t{0};
    // A target the walk did not resolve where a decoding now might (a guess, a node whose rest
    // the walk skipped): the referrer is decoded again. The others are nodes or kMissing.
    static constexpr uint32_t kDecodeAgain = UINT32_MAX - 1;

    // Reserves address space for up to 2^32 edges (no memory until used), in huge pages where
    // the kernel gives them: one page fault per 2 MiB instead of per 4 KiB.
    RecordedRelations() {
        constexpr size_t kMaxEdges = size_t{1} << 32;
        relations.pin(kMaxEdges, true);
        targets.pin(kMaxEdges, true);
        end.pin(kMaxEdges, true);
    }

    // Of each decoded edge, in the decoders' order: its packed relation, and its target node.
    alignas(64) PodArray<uint64_t> relations;
    PodArray<uint32_t> end; // of each decoded node (the root's holds nothing): its edges' end
    alignas(64) PodArray<uint32_t> targets;

    // The decoded edges of `node` as [first, last) in both arrays, when recorded whole.
    std::optional<std::pair<uint32_t, uint32_t>> edges_of(uint32_t node) const {
        if (node == 0 || node >= end.size()) return std::nullopt;
        const uint32_t last = end[node];
        if (last > relations.size() || last > targets.size()) return std::nullopt;
        return std::pair{end[node - 1], last};
    }
    // Whether decoded edge `i` was recorded whole (else its referrer must be decoded again).
    bool whole(uint32_t i) const { return relations[i] != kUnpacked && targets[i] != kDecodeAgain; }
    // Drops what was recorded past the first `nodes` nodes (an interrupted walk decoded ahead).
    void keep_nodes(uint32_t nodes) {
        if (end.size() > nodes) end.resize(nodes);
        const uint32_t last = end.empty() ? 0 : end.back();
        if (relations.size() > last) relations.resize(last);
        if (targets.size() > last) targets.resize(last);
    }
    uint64_t memory_bytes() const {
        return relations.size() * 8 + (end.size() + targets.size()) * 4;
    }

  private:
    enum class Field { None, Name, Object, Index, Unpacked };
    static Field field_of(cpython::RelationKind kind) {
        switch (kind) {
        case cpython::RelationKind::Attribute:
        case cpython::RelationKind::InterAttribute:
            return Field::Name;
        case cpython::RelationKind::AttributeCName:
        case cpython::RelationKind::AttributeKey:
        case cpython::RelationKind::DictValue:
            return Field::Object;
        case cpython::RelationKind::Index:
        case cpython::RelationKind::DictKey:
        case cpython::RelationKind::Stack:
        case cpython::RelationKind::SetMember:
            return Field::Index;
        case cpython::RelationKind::Unknown:
            return Field::None;
        case cpython::RelationKind::LocalVar: // a name and a slot
        case cpython::RelationKind::Root:     // named by the walker
            return Field::Unpacked;
        }
        return Field::Unpacked;
    }
};

// Inline: the decoding thread packs every edge of the walk.
inline uint64_t RecordedRelations::pack(const cpython::Relation& r) {
    const auto name = uint64_t(reinterpret_cast<uintptr_t>(r.name));
    uint64_t field = 0;
    switch (field_of(r.kind)) {
    case Field::None:
        if (name || r.object || r.index) return kUnpacked;
        break;
    case Field::Name:
        if (r.object || r.index) return kUnpacked;
        field = name;
        break;
    case Field::Object:
        if (name || (r.index && r.kind != cpython::RelationKind::DictValue)) return kUnpacked;
        field = r.object;
        break;
    case Field::Index:
        if (name || r.object) return kUnpacked;
        field = r.index;
        break;
    case Field::Unpacked:
        return kUnpacked;
    }
    if (field > kFieldMask) return kUnpacked;
    return uint64_t(r.kind) << kKindShift | (r.owned_dict ? kOwnedDict : 0) | field;
}

inline cpython::Relation RecordedRelations::unpack(uint64_t packed) {
    cpython::Relation r;
    r.kind = cpython::RelationKind(packed >> kKindShift);
    r.owned_dict = (packed & kOwnedDict) != 0;
    const uint64_t field = packed & kFieldMask;
    switch (field_of(r.kind)) {
    case Field::Name:
        r.name = reinterpret_cast<const char*>(uintptr_t(field));
        break;
    case Field::Object:
        r.object = field;
        break;
    case Field::Index:
        r.index = uint32_t(field);
        break;
    case Field::None:
    case Field::Unpacked:
        break;
    }
    return r;
}

} // namespace heapy::heap
