#pragma once

#include <cstdint>

namespace heapy::cpython {

// How a referrer refers to a referent, in heapy's terms (HEAPY.md 2.5). Kept unformatted: the
// text is produced only by the commands that show relations (via, paths).
enum class RelationKind : uint8_t {
    Attribute,      // `.name`, name a static C string
    AttributeCName, // `.name`, name a C string in the target (e.g. a __slots__ member)
    AttributeKey,   // `.name`, name a str object in the target (instance attribute)
    InterAttribute, // `->name`, name a static C string
    Index,          // `[index]`
    DictValue,      // `[repr(key)]`, key an object in the target
    DictKey,        // `.keys()[index]`
    LocalVar,       // `.f_locals['name']`, name a str object
    Stack,          // `->f_valuestack[index]`
    SetMember,      // `list(_)[index]`
    Root,           // an attribute of heapy's root (`i0_modules`), named by the walker
    Unknown,        // `.??` (a conservative guess)
};

struct Relation {
    RelationKind kind = RelationKind::Unknown;
    uint32_t index = 0;
    const char* name = nullptr; // Attribute, InterAttribute
    uint64_t object = 0;        // AttributeCName, AttributeKey, DictValue, LocalVar
    bool owned_dict = false;    // the referent is the referrer's __dict__ (dict ownership)

    static Relation attribute(const char* n, bool dict = false) {
        return {RelationKind::Attribute, 0, n, 0, dict};
    }
    static Relation inter(const char* n) { return {RelationKind::InterAttribute, 0, n, 0, false}; }
    static Relation index_of(uint32_t i) { return {RelationKind::Index, i, nullptr, 0, false}; }
};

} // namespace heapy::cpython
