#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace heapy::cpython {

// One member of a C struct of the target, as DWARF describes it (cpython-layouts/<version>.json,
// "c_structs"; written by scripts/extract-c-structs).
struct CMember {
    enum class Shape : uint8_t {
        Signed,   // a signed integer ("i")
        Unsigned, // an unsigned integer or anything else read as bits ("u")
        Pointer,  // a pointer; `pointee` names the struct it points to, if one ("p NAME")
        Struct,   // a struct or union held inline ("s NAME"); its members are also listed dotted
        Array,    // an inline array ("a ELEMENT_SIZE"): its name stands for its address
    };
    uint32_t offset = 0;
    uint32_t size = 0;
    Shape shape = Shape::Unsigned;
    std::string pointee; // Pointer: the struct pointed to; Struct: its own name
};

struct CStruct {
    uint32_t size = 0;
    // By member name; members of nested structs as "outer.inner", of anonymous ones by their own.
    std::unordered_map<std::string, CMember> members;
};

using CStructs = std::unordered_map<std::string, CStruct>;

} // namespace heapy::cpython
