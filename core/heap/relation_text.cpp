#include "core/heap/relation_text.hpp"

#include "core/cpython/object_repr.hpp"
#include "core/report/pyrepr.hpp"

#include <fmt/format.h>

namespace heapy::heap {

using cpython::RelationKind;

int relation_code(RelationKind kind) {
    switch (kind) {
    case RelationKind::Attribute:
    case RelationKind::AttributeCName:
    case RelationKind::AttributeKey:
    case RelationKind::Root:
        return 1; // ATTRIBUTE
    case RelationKind::Index:
    case RelationKind::DictValue:
        return 2; // INDEXVAL
    case RelationKind::DictKey:
        return 3; // INDEXKEY
    case RelationKind::InterAttribute:
        return 4; // INTERATTR
    case RelationKind::LocalVar:
        return 6; // LOCAL_VAR
    case RelationKind::Stack:
        return 8; // STACK
    case RelationKind::SetMember:
        return 9; // INSET
    case RelationKind::Unknown:
        return 10;
    }
    return 10;
}

std::string apply_relation(cpython::ObjectDecoder& decoder, const NamedEdge& edge,
                           std::string_view prefix, bool limited) {
    const cpython::Relation& r = edge.relation;
    switch (r.kind) {
    case RelationKind::Attribute:
        return fmt::format("{}.{}", prefix, r.name ? r.name : "??");
    case RelationKind::AttributeCName:
        return fmt::format("{}.{}", prefix,
                           decoder.reader().c_string(r.object, 256).value_or("??"));
    case RelationKind::AttributeKey:
        return fmt::format("{}.{}", prefix, decoder.read_str(r.object, 4096).value_or("??"));
    case RelationKind::Root:
        return fmt::format("{}.{}", prefix, edge.root_name);
    case RelationKind::InterAttribute:
        // A word a conservative scan of an unknown C type took for a reference.
        if (r.name && std::string_view(r.name) == "??") return fmt::format("{}->(guessed)", prefix);
        return fmt::format("{}->{}", prefix, r.name ? r.name : "??");
    case RelationKind::Index:
        return fmt::format("{}[{}]", prefix, r.index);
    case RelationKind::DictValue: {
        auto key = cpython::object_repr(decoder, r.object, limited);
        return fmt::format("{}[{}]", prefix,
                           key ? *key : fmt::format("<object at 0x{:x}>", r.object));
    }
    case RelationKind::DictKey:
        return fmt::format("{}.keys()[{}]", prefix, r.index);
    case RelationKind::LocalVar: {
        auto name = decoder.read_str(r.object, 4096);
        return fmt::format("{}.f_locals[{}]", prefix,
                           name ? report::py_repr_str(*name) : std::to_string(r.index));
    }
    case RelationKind::Stack:
        return fmt::format("{}->f_valuestack[{}]", prefix, r.index);
    case RelationKind::SetMember:
        return fmt::format("list({})[{}]", prefix, r.index);
    case RelationKind::Unknown:
        break;
    }
    return fmt::format("{}.??", prefix);
}

std::string via_text(cpython::ObjectDecoder& decoder, const NamedEdge& edge) {
    std::string text = apply_relation(decoder, edge, "_", false);
    if (!text.empty() && text.front() == '_') text.erase(0, 1);
    return text;
}

} // namespace heapy::heap
