#pragma once

#include <cstdint>

namespace heapy::cpython {

// How an object is laid out and traversed: the built-in type it is, or derives from.
enum class Kind : uint8_t {
    Unknown, // a C type the walker has no decoder for: members, then a conservative scan
    Object,  // plain `object` and Python classes deriving only from it
    Type,
    Dict,
    OrderedDict,
    DefaultDict,
    List,
    Tuple,
    Str,
    Bytes,
    ByteArray,
    Int,
    Bool,
    Float,
    Complex,
    Set,
    FrozenSet,
    Function,
    Code,
    Cell,
    Module,
    Method,
    CFunction,
    CMethod,
    ClassMethod,
    StaticMethod,
    Property,
    MethodDescriptor,
    ClassMethodDescriptor,
    MemberDescriptor,
    GetSetDescriptor,
    WrapperDescriptor,
    MethodWrapper,
    MappingProxy,
    Generator,
    Coroutine,
    AsyncGenerator,
    Frame,
    WeakRef,
    WeakProxy,
    Traceback,
    BaseException,
    Deque,
    Partial,
    None,
    NotImplemented,
    Ellipsis,
};

} // namespace heapy::cpython
