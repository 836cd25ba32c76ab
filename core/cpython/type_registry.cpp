#include "core/cpython/type_registry.hpp"

#include <algorithm>
#include <string_view>

namespace heapy::cpython {

namespace {

struct BuiltinType {
    const char* symbol;  // exported PyTypeObject, or nullptr
    const char* tp_name; // tp_name of the static type
    Kind kind;
};

// The built-in types the walker decodes, found by symbol when the target exports them and by
// tp_name otherwise (types of stdlib C modules are not exported).
constexpr BuiltinType kBuiltinTypes[] = {
    {"PyType_Type", "type", Kind::Type},
    {"PyBaseObject_Type", "object", Kind::Object},
    {"PyDict_Type", "dict", Kind::Dict},
    {"PyODict_Type", "collections.OrderedDict", Kind::OrderedDict},
    {nullptr, "collections.defaultdict", Kind::DefaultDict},
    {"PyList_Type", "list", Kind::List},
    {"PyTuple_Type", "tuple", Kind::Tuple},
    {"PyUnicode_Type", "str", Kind::Str},
    {"PyBytes_Type", "bytes", Kind::Bytes},
    {"PyByteArray_Type", "bytearray", Kind::ByteArray},
    {"PyLong_Type", "int", Kind::Int},
    {"PyBool_Type", "bool", Kind::Bool},
    {"PyFloat_Type", "float", Kind::Float},
    {"PyComplex_Type", "complex", Kind::Complex},
    {"PySet_Type", "set", Kind::Set},
    {"PyFrozenSet_Type", "frozenset", Kind::FrozenSet},
    {"PyFunction_Type", "function", Kind::Function},
    {"PyCode_Type", "code", Kind::Code},
    {"PyCell_Type", "cell", Kind::Cell},
    {"PyModule_Type", "module", Kind::Module},
    {"PyMethod_Type", "method", Kind::Method},
    {"PyCFunction_Type", "builtin_function_or_method", Kind::CFunction},
    {"PyCMethod_Type", "builtin_method", Kind::CMethod},
    {"PyClassMethod_Type", "classmethod", Kind::ClassMethod},
    {"PyStaticMethod_Type", "staticmethod", Kind::StaticMethod},
    {"PyProperty_Type", "property", Kind::Property},
    {"PyMethodDescr_Type", "method_descriptor", Kind::MethodDescriptor},
    {"PyClassMethodDescr_Type", "classmethod_descriptor", Kind::ClassMethodDescriptor},
    {"PyMemberDescr_Type", "member_descriptor", Kind::MemberDescriptor},
    {"PyGetSetDescr_Type", "getset_descriptor", Kind::GetSetDescriptor},
    {"PyWrapperDescr_Type", "wrapper_descriptor", Kind::WrapperDescriptor},
    {"_PyMethodWrapper_Type", "method-wrapper", Kind::MethodWrapper},
    {"PyDictProxy_Type", "mappingproxy", Kind::MappingProxy},
    {"PyGen_Type", "generator", Kind::Generator},
    {"PyCoro_Type", "coroutine", Kind::Coroutine},
    {"PyAsyncGen_Type", "async_generator", Kind::AsyncGenerator},
    {"PyFrame_Type", "frame", Kind::Frame},
    {"_PyWeakref_RefType", "weakref.ReferenceType", Kind::WeakRef},
    {"_PyWeakref_ProxyType", "weakref.ProxyType", Kind::WeakProxy},
    {"_PyWeakref_CallableProxyType", "weakref.CallableProxyType", Kind::WeakProxy},
    {"PyTraceBack_Type", "traceback", Kind::Traceback},
    {"_PyExc_BaseException", "BaseException", Kind::BaseException},
    {nullptr, "collections.deque", Kind::Deque},
    {nullptr, "functools.partial", Kind::Partial},
    {"_PyNone_Type", "NoneType", Kind::None},
    {"_PyNotImplemented_Type", "NotImplementedType", Kind::NotImplemented},
    {"PyEllipsis_Type", "ellipsis", Kind::Ellipsis},
};

constexpr int kMaxMetatypeDepth = 8;
constexpr int kMaxBaseDepth = 64;
constexpr int kMemberLimit = 4096;
constexpr int kMemberTypeObject = 6;    // T_OBJECT
constexpr int kMemberTypeObjectEx = 16; // T_OBJECT_EX
constexpr int64_t kMaxVarMemberOffset = 1 << 16;

bool is_exception_kind_holder(Kind kind) {
    return kind == Kind::BaseException;
}

} // namespace

TypeRegistry::TypeRegistry(Reader& reader, const Layout& layout, const memory::Symbols& symbols)
    : reader_(reader), layout_(layout), recipes_(CTypeRecipes::for_layout(layout)) {
    for (const auto& builtin : kBuiltinTypes) {
        if (!builtin.symbol) continue;
        if (auto address = symbols.lookup(builtin.symbol))
            kind_by_address_.emplace(*address, builtin.kind);
    }
    if (auto address = symbols.lookup("PyType_Type")) type_type_ = *address;
    for (const memory::LoadedModule& module : symbols.modules())
        if (module.end > module.start) static_images_.emplace_back(module.start, module.end);
    std::sort(static_images_.begin(), static_images_.end());
}

std::unique_ptr<TypeRegistry> TypeRegistry::fork(Reader& reader) const {
    std::unique_ptr<TypeRegistry> copy(new TypeRegistry(reader, layout_));
    copy->kind_by_address_ = kind_by_address_;
    copy->type_type_ = type_type_;
    copy->static_images_ = static_images_;
    return copy;
}

uint64_t TypeRegistry::address_of(Kind kind) const {
    for (const auto& [address, k] : kind_by_address_)
        if (k == kind) return address;
    for (size_t i = 0; i < types_.size(); ++i)
        if (!types_[i].heap && types_[i].kind == kind) return types_[i].address;
    return 0;
}

Kind TypeRegistry::static_kind(uint64_t address, const std::string& tp_name) const {
    if (auto it = kind_by_address_.find(address); it != kind_by_address_.end()) return it->second;
    for (const auto& builtin : kBuiltinTypes) {
        if (tp_name != builtin.tp_name) continue;
        // Exported types are only trusted by address; a same-named type elsewhere is foreign.
        bool exported = false;
        for (const auto& [a, k] : kind_by_address_) exported |= (k == builtin.kind);
        return exported ? Kind::Unknown : builtin.kind;
    }
    return Kind::Unknown;
}

const TypeInfo* TypeRegistry::load(uint64_t address, int depth) {
    auto reject = [&]() -> const TypeInfo* {
        by_address_.emplace(address, kInvalid);
        return nullptr;
    };
    if (address == 0 || (address & 7) != 0 || depth > kMaxMetatypeDepth) return nullptr;
    if (auto it = by_address_.find(address); it != by_address_.end())
        return it->second == kInvalid ? nullptr : &types_[it->second];
    if (!reader_.readable(address, layout_.type_size)) return reject();

    TypeInfo info;
    info.address = address;
    info.metatype = reader_.pointer(address + layout_.object_type);
    reader_.read(address + layout_.type_flags, info.flags);
    reader_.read(address + layout_.type_basicsize, info.basicsize);
    reader_.read(address + layout_.type_itemsize, info.itemsize);
    reader_.read(address + layout_.type_dictoffset, info.dictoffset);
    reader_.read(address + layout_.type_weaklistoffset, info.weaklistoffset);
    info.base = reader_.pointer(address + layout_.type_base);
    info.heap = (info.flags & kTpFlagHeapType) != 0;
    if (info.basicsize < 16 || info.basicsize > (int64_t{1} << 24) || info.itemsize < 0 ||
        info.itemsize > (int64_t{1} << 16))
        return reject();

    // A type's metatype is a type whose instances are types; `type` is its own metatype.
    if (info.metatype != address) {
        by_address_.emplace(address, kInvalid); // breaks metatype cycles while checking
        const TypeInfo* meta = load(info.metatype, depth + 1);
        by_address_.erase(address);
        if (!meta || !(meta->flags & kTpFlagTypeSubclass)) return reject();
    } else if (!(info.flags & kTpFlagTypeSubclass)) {
        return reject();
    }
    if (info.metatype == address && type_type_ == 0) type_type_ = address;

    if (info.heap) {
        uint64_t name = reader_.pointer(address + layout_.type_name);
        info.tp_name = name ? reader_.c_string(name, 512).value_or("") : "";
    } else {
        uint64_t name = reader_.pointer(address + layout_.type_name);
        auto text = name ? reader_.c_string(name, 512) : std::nullopt;
        if (!text) return reject();
        info.tp_name = *text;
    }

    resolve_kind(info);

    for (uint64_t up = address, hops = 0; up != 0 && info.heap && hops < kMaxBaseDepth; ++hops) {
        uint64_t flags = 0;
        reader_.read(up + layout_.type_flags, flags);
        if (!(flags & kTpFlagHeapType)) {
            reader_.read(up + layout_.type_dictoffset, info.static_base_dictoffset);
            break;
        }
        uint64_t next = reader_.pointer(up + layout_.type_base);
        if (next == up) break;
        up = next;
    }
    if (!info.heap) info.static_base_dictoffset = info.dictoffset;
    collect_members(info);
    info.index = static_cast<uint32_t>(types_.size());
    const TypeInfo& stored = types_.push_back(std::move(info));
    by_address_[address] = stored.index;
    return &stored;
}

bool TypeRegistry::is_c_type(uint64_t address, uint64_t flags, const std::string& tp_name) {
    if (!(flags & kTpFlagHeapType)) return true;
    if (tp_name.find('.') == std::string::npos) return false;
    // A class statement's type points tp_name into its __name__ str object.
    const uint64_t name = reader_.pointer(address + layout_.type_name);
    const uint64_t ht_name = reader_.pointer(address + layout_.heaptype_name);
    return !(ht_name && name > ht_name && name < ht_name + layout_.str_compact_size + 1024);
}

// The kind is that of the nearest built-in type in the base chain (Object when there is none);
// C types in between (a ctypes metatype under `type`, StgDict under `dict`) add members that a
// recipe describes, or that are scanned. A C type that reaches `object` alone is Unknown.
void TypeRegistry::resolve_kind(TypeInfo& info) {
    info.kind = Kind::Unknown;
    bool passed_c_type = false;
    uint64_t cursor = info.address;
    for (int hops = 0; cursor != 0 && hops < kMaxBaseDepth; ++hops) {
        uint64_t flags = 0;
        reader_.read(cursor + layout_.type_flags, flags);
        const uint64_t name_ptr = reader_.pointer(cursor + layout_.type_name);
        const std::string name = name_ptr ? reader_.c_string(name_ptr, 512).value_or("") : "";
        if (is_c_type(cursor, flags, name)) {
            int64_t basicsize = 0;
            reader_.read(cursor + layout_.type_basicsize, basicsize);
            const Kind kind = static_kind(cursor, name);
            if (kind != Kind::Unknown) {
                info.kind = kind;
                info.kind_basicsize = basicsize;
                if (!passed_c_type) info.c_basicsize = basicsize;
                break;
            }
            if (!passed_c_type) info.c_basicsize = basicsize;
            if (!info.recipe) info.recipe = recipes_.find(name);
            passed_c_type = true;
        }
        const uint64_t base = reader_.pointer(cursor + layout_.type_base);
        if (base == cursor) break;
        cursor = base;
    }
    if (info.kind == Kind::Object && passed_c_type) {
        info.kind = Kind::Unknown;
    } else if (info.kind == Kind::Unknown && cursor == 0) {
        // No `object` at the root (a type that never finished its creation): its own fields only.
        info.kind = passed_c_type ? Kind::Unknown : Kind::Object;
        if (!passed_c_type) info.kind_basicsize = 16; // sizeof(PyObject)
    }
}

// Object members to follow: those declared by heap types (__slots__) and by C types the walker
// has no decoder for, walking the base chain.
void TypeRegistry::collect_members(TypeInfo& info) {
    uint64_t cursor = info.address;
    for (int hops = 0; cursor != 0 && hops < kMaxBaseDepth; ++hops) {
        uint64_t flags = 0;
        reader_.read(cursor + layout_.type_flags, flags);
        bool heap = (flags & kTpFlagHeapType) != 0;
        Kind own =
            heap ? Kind::Unknown
                 : static_kind(cursor,
                               reader_.c_string(reader_.pointer(cursor + layout_.type_name), 512)
                                   .value_or(""));
        bool follow = heap || own == Kind::Unknown;
        if (own == Kind::Object) break;
        if (is_exception_kind_holder(own)) break;
        uint64_t members = follow ? reader_.pointer(cursor + layout_.type_members) : 0;
        for (int i = 0; members != 0 && i < kMemberLimit; ++i) {
            uint64_t entry = members + uint64_t(i) * layout_.member_size;
            uint64_t name = reader_.pointer(entry + layout_.member_name);
            if (name == 0) break;
            int32_t type = 0;
            int64_t offset = 0;
            if (!reader_.read(entry + layout_.member_type, type) ||
                !reader_.read(entry + layout_.member_offset, offset))
                break;
            // A variable-size type's members may lie among its items (a struct sequence's
            // fields, the hidden ones past its visible length too).
            const int64_t end = info.itemsize > 0 ? kMaxVarMemberOffset : info.basicsize;
            if ((type != kMemberTypeObject && type != kMemberTypeObjectEx) || offset < 16 ||
                offset + 8 > std::max<int64_t>(end, 16))
                continue;
            bool seen = std::any_of(info.members.begin(), info.members.end(),
                                    [&](const ObjectMember& m) { return m.offset == offset; });
            if (!seen) info.members.push_back({uint32_t(offset), name});
        }
        cursor = reader_.pointer(cursor + layout_.type_base);
    }
}

} // namespace heapy::cpython
