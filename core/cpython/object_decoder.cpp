#include "core/cpython/object_decoder.hpp"

#include "core/cpython/dict_reader.hpp"
#include "core/cpython/refcount.hpp"

#include <algorithm>
#include <vector>

namespace heapy::cpython {

namespace {
constexpr int64_t kMaxConservativeBytes = 1 << 16;
constexpr int64_t kMaxModuleStateBytes = 1 << 16;
constexpr uint64_t kMaxStaticBuiltins = 1024;
} // namespace

ObjectDecoder::ObjectDecoder(Reader& reader, const Layout& layout, TypeRegistry& types)
    : reader_(reader), layout_(layout), types_(types), recipe_types_(types.fork(reader)) {}

void ObjectDecoder::field(uint64_t object, uint32_t offset, const Relation& relation,
                          EdgeSink& sink) {
    if (offset == Layout::kAbsent) return;
    if (uint64_t target = reader_.pointer(object + offset)) sink.edge(target, relation);
}

int64_t ObjectDecoder::ob_size(uint64_t address) {
    int64_t size = 0;
    reader_.read(address + layout_.varobject_size, size);
    return size;
}

void ObjectDecoder::referents(uint64_t address, const TypeInfo& type, EdgeSink& sink) {
    const Layout& l = layout_;
    // An instance of a heap type holds a reference to it (classes too, to a heap metaclass).
    if (type.heap) sink.edge(type.address, Relation::inter("ob_type"));

    switch (type.kind) {
    case Kind::Type:
        type_referents(address, type, sink);
        break;
    case Kind::Dict:
        dict_items(address, sink, false);
        break;
    case Kind::OrderedDict:
        dict_items(address, sink, false);
        field(address, l.odict_inst_dict, Relation::attribute("__dict__"), sink);
        break;
    case Kind::DefaultDict:
        dict_items(address, sink, false);
        field(address, l.defaultdict_factory, Relation::attribute("default_factory"), sink);
        break;
    case Kind::List:
        list_items(address, sink);
        break;
    case Kind::Tuple:
        tuple_items(address, sink);
        break;
    case Kind::Set:
    case Kind::FrozenSet:
        set_items(address, sink);
        break;
    case Kind::Deque:
        deque_items(address, sink);
        break;
    case Kind::Function:
        field(address, l.function_code, Relation::attribute("__code__"), sink);
        field(address, l.function_globals, Relation::attribute("__globals__"), sink);
        field(address, l.function_builtins, Relation::attribute("__builtins__"), sink);
        field(address, l.function_module, Relation::attribute("__module__"), sink);
        field(address, l.function_defaults, Relation::attribute("__defaults__"), sink);
        field(address, l.function_kwdefaults, Relation::attribute("__kwdefaults__"), sink);
        field(address, l.function_doc, Relation::attribute("__doc__"), sink);
        field(address, l.function_name, Relation::attribute("__name__"), sink);
        field(address, l.function_dict, Relation::attribute("__dict__", true), sink);
        field(address, l.function_closure, Relation::attribute("__closure__"), sink);
        field(address, l.function_annotations, Relation::attribute("__annotations__"), sink);
        field(address, l.function_annotate, Relation::attribute("__annotate__"), sink);
        field(address, l.function_qualname, Relation::attribute("__qualname__"), sink);
        field(address, l.function_typeparams, Relation::attribute("__type_params__"), sink);
        break;
    case Kind::Code:
        code_referents(address, sink);
        break;
    case Kind::Cell:
        field(address, l.cell_ref, Relation::attribute("cell_contents"), sink);
        break;
    case Kind::Module:
        field(address, l.module_dict, Relation::attribute("__dict__", true), sink);
        field(address, l.module_name, Relation::inter("md_name"), sink);
        module_state_scan(address, sink);
        break;
    case Kind::Method:
        field(address, l.method_func, Relation::attribute("__func__"), sink);
        field(address, l.method_self, Relation::attribute("__self__"), sink);
        break;
    case Kind::CMethod:
        field(address, l.cmethod_class, Relation::inter("mm_class"), sink);
        [[fallthrough]];
    case Kind::CFunction:
        field(address, l.cfunction_self, Relation::attribute("__self__"), sink);
        field(address, l.cfunction_module, Relation::attribute("__module__"), sink);
        break;
    case Kind::ClassMethod:
    case Kind::StaticMethod:
        field(address, l.classmethod_callable, Relation::attribute("__func__"), sink);
        field(address, l.classmethod_dict, Relation::attribute("__dict__", true), sink);
        break;
    case Kind::Property:
        field(address, l.property_get, Relation::attribute("fget"), sink);
        field(address, l.property_set, Relation::attribute("fset"), sink);
        field(address, l.property_del, Relation::attribute("fdel"), sink);
        field(address, l.property_doc, Relation::attribute("__doc__"), sink);
        field(address, l.property_name, Relation::inter("prop_name"), sink);
        break;
    case Kind::MethodDescriptor:
    case Kind::ClassMethodDescriptor:
    case Kind::MemberDescriptor:
    case Kind::GetSetDescriptor:
    case Kind::WrapperDescriptor:
        field(address, l.descr_type, Relation::attribute("__objclass__"), sink);
        field(address, l.descr_name, Relation::attribute("__name__"), sink);
        field(address, l.descr_qualname, Relation::inter("d_qualname"), sink);
        break;
    case Kind::MethodWrapper:
        field(address, l.methodwrapper_descr, Relation::inter("descr"), sink);
        field(address, l.methodwrapper_self, Relation::attribute("__self__"), sink);
        break;
    case Kind::MappingProxy:
        field(address, l.mappingproxy_mapping, Relation::inter("mapping"), sink);
        break;
    case Kind::Generator:
    case Kind::Coroutine:
    case Kind::AsyncGenerator:
        generator_referents(address, type.kind, sink);
        break;
    case Kind::Frame:
        frame_object_referents(address, sink);
        break;
    case Kind::WeakRef:
    case Kind::WeakProxy:
        field(address, l.weakref_callback, Relation::attribute("__callback__"), sink);
        break;
    case Kind::Traceback:
        field(address, l.traceback_next, Relation::attribute("tb_next"), sink);
        field(address, l.traceback_frame, Relation::attribute("tb_frame"), sink);
        break;
    case Kind::BaseException:
        exception_referents(address, sink);
        break;
    case Kind::Partial:
        field(address, l.partial_fn, Relation::attribute("func"), sink);
        field(address, l.partial_args, Relation::attribute("args"), sink);
        field(address, l.partial_kw, Relation::attribute("keywords"), sink);
        field(address, l.partial_dict, Relation::attribute("__dict__", true), sink);
        break;
    case Kind::Unknown: {
        if (type.recipe) {
            if (type.recipe->opaque) break;
            members(address, type, sink);
            recipe_referents(address, type, sink);
            break;
        }
        int64_t body = type.basicsize;
        if (type.itemsize > 0 && ob_size(address) > 0)
            body += int64_t(item_count(address)) * type.itemsize;
        conservative_scan(address, address + std::min(body, kMaxConservativeBytes), type, sink);
        break;
    }
    case Kind::Object:
    case Kind::Str:
    case Kind::Bytes:
    case Kind::ByteArray:
    case Kind::Int:
    case Kind::Bool:
    case Kind::Float:
    case Kind::Complex:
    case Kind::None:
    case Kind::NotImplemented:
    case Kind::Ellipsis:
        break;
    }
    instance_referents(address, type, sink);
}

// What a class adds to the built-in it derives from: __slots__ members and the instance dict.
void ObjectDecoder::instance_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink) {
    if (type.kind != Kind::Unknown) {
        members(address, type, sink);
        // Fields a C type adds to the built-in it derives from (ctypes' StgDict): its recipe's,
        // else scanned conservatively.
        if (type.recipe)
            recipe_referents(address, type, sink);
        else if (type.c_basicsize > type.kind_basicsize && type.kind_basicsize >= 16 &&
                 type.kind != Kind::Type && type.kind != Kind::Tuple) // struct sequences: members
            conservative_scan(address, address + uint64_t(type.c_basicsize), type, sink,
                              uint64_t(type.kind_basicsize));
    }
    if (!type.heap && type.kind != Kind::Unknown) return;
    if (type.has_managed_dict(layout_)) {
        managed_dict_referents(address, type, sink);
        return;
    }
    // Built-in kinds that have a dict slot of their own (functions, modules...) decode it above.
    bool own_slot = type.kind == Kind::Unknown || type.kind == Kind::Object;
    if (type.dictoffset == 0 || (!own_slot && type.dictoffset == type.static_base_dictoffset))
        return;
    int64_t offset = type.dictoffset;
    if (offset < 0) {
        const int64_t n = int64_t(item_count(address));
        offset += (type.basicsize + n * type.itemsize + 7) & ~int64_t{7};
    }
    if (offset < 16 || offset > (int64_t{1} << 24)) return;
    if (uint64_t dict = reader_.pointer(address + uint64_t(offset)))
        sink.edge(dict, Relation::attribute("__dict__", true));
}

// An instance's managed dict: a real dict once materialised, else its attribute values (a virtual
// `dict of X` node), laid out per version.
void ObjectDecoder::managed_dict_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink) {
    const Relation relation = Relation::attribute("__dict__", true);
    const uint64_t slot = reader_.pointer(address + layout_.managed_dict_offset);
    switch (layout_.managed_dict_style) {
    case 1: // 3.11: dict pointer at -24, values pointer at -32
        if (slot)
            sink.edge(slot, relation);
        else if (uint64_t values = reader_.pointer(address + layout_.managed_values_offset))
            sink.edge(values, relation, Referent::ManagedValues, type.address);
        break;
    case 2: // 3.12: one tagged word: values pointer - 1 when bit 0 is set, else the dict
        if (slot & 1)
            sink.edge(slot + 1, relation, Referent::ManagedValues, type.address);
        else if (slot)
            sink.edge(slot, relation);
        break;
    case 3: { // 3.13+: dict pointer before the object; inline values after its fixed part
        // _PyObject_InlineValues: at tp_basicsize, which is 16 for plain classes but more for
        // subclasses of C types that 3.14 gives inline values (ctypes' CFuncPtr: 160).
        const uint64_t values = address + uint64_t(type.basicsize);
        uint8_t valid = 0;
        const bool inline_values = (type.flags & uint64_t(layout_.tpflags_inline_values)) &&
                                   type.basicsize >= 16 &&
                                   type.basicsize <= kMaxConservativeBytes &&
                                   reader_.read(values + layout_.dictvalues_valid, valid) && valid;
        if (slot)
            sink.edge(slot, relation);
        else if (inline_values)
            sink.edge(values, relation, Referent::ManagedValues, type.address);
        // Valid inline values are the instance's own references too, beside any dict made from
        // them (PyObject_VisitManagedDict visits them): `.name`, as guppy3 shows them.
        if (inline_values) inline_attribute_edges(values, type, sink);
        break;
    }
    default:
        break;
    }
}

void ObjectDecoder::members(uint64_t address, const TypeInfo& type, EdgeSink& sink) {
    if (type.members.empty()) return;
    // A struct sequence's visible fields are its tuple items, reported as such; the members
    // past them are its hidden fields. Other variable-size objects end after their items.
    const uint64_t items = type.itemsize > 0 ? item_count(address) : 0;
    const bool tuple = type.kind == Kind::Tuple;
    const uint64_t items_begin = tuple ? layout_.tuple_items : uint64_t(type.basicsize);
    const uint64_t items_end = items_begin + items * uint64_t(std::max<int64_t>(type.itemsize, 0));
    for (const ObjectMember& member : type.members) {
        if (type.itemsize > 0 && member.offset >= items_begin &&
            (tuple ? member.offset < items_end : member.offset >= items_end))
            continue;
        if (uint64_t target = reader_.pointer(address + member.offset))
            sink.edge(target, {RelationKind::AttributeCName, 0, nullptr, member.name, false});
    }
}

void ObjectDecoder::conservative_scan(uint64_t begin, uint64_t end, const TypeInfo& type,
                                      EdgeSink& sink, uint64_t from) {
    std::vector<uint32_t> skip;
    for (const ObjectMember& member : type.members) skip.push_back(member.offset);
    if (type.weaklistoffset > 0) skip.push_back(uint32_t(type.weaklistoffset));
    if (type.dictoffset > 0) skip.push_back(uint32_t(type.dictoffset));
    if (from == 0) members(begin, type, sink);
    // The header (refcount, type) is not a reference.
    for (uint64_t at = begin + std::max<uint64_t>(from, object_header_size(layout_)); at + 8 <= end;
         at += 8) {
        uint32_t offset = uint32_t(at - begin);
        if (std::find(skip.begin(), skip.end(), offset) != skip.end()) continue;
        uint64_t word = reader_.pointer(at);
        if (word != 0 && (word & 7) == 0 && word != begin)
            sink.edge(word, {RelationKind::InterAttribute, offset, "??", 0, false},
                      Referent::Scanned);
    }
}

void ObjectDecoder::module_state_scan(uint64_t module, EdgeSink& sink) {
    uint64_t def = reader_.pointer(module + layout_.module_def);
    uint64_t state = reader_.pointer(module + layout_.module_state);
    if (!def || !state || layout_.moduledef_size == Layout::kAbsent) return;
    if (auto name = reader_.c_string(reader_.pointer(def + layout_.moduledef_name), 128))
        if (const CTypeRecipe* recipe = types_.recipes().find_module(*name)) {
            RecipeContext context;
            context.self = state;
            recipe_referents(*recipe, context, sink);
        }
    int64_t size = 0;
    if (!reader_.read(def + layout_.moduledef_size, size) || size <= 0) return;
    size = std::min(size, kMaxModuleStateBytes);
    for (uint64_t at = state; at + 8 <= state + uint64_t(size); at += 8) {
        uint64_t word = reader_.pointer(at);
        if (word != 0 && (word & 7) == 0)
            sink.edge(word, {RelationKind::InterAttribute, 0, "md_state", 0, false},
                      Referent::Guess);
    }
}

void ObjectDecoder::type_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink) {
    const Layout& l = layout_;
    uint64_t own_flags = 0;
    reader_.read(address + l.type_flags, own_flags);
    if (l.tpflags_static_builtin && (own_flags & uint64_t(l.tpflags_static_builtin)) &&
        !(own_flags & kTpFlagHeapType)) {
        // 3.12+: a static builtin type keeps its dict and subclasses in the interpreter;
        // tp_subclasses holds its index + 1 there. heapy finds no owner for that dict.
        // 3.13+: the static types of extension modules (_datetime's) have a table of their own.
        uint64_t index = reader_.pointer(address + l.type_subclasses);
        for (uint32_t table : {l.interp_types_builtins, l.interp_types_for_extensions}) {
            if (index < 1 || index > kMaxStaticBuiltins || !interpreter_ || !l.has(table)) continue;
            uint64_t state = interpreter_ + table + (index - 1) * l.static_builtin_size;
            if (reader_.pointer(state) != address) continue;
            field(state, l.static_builtin_dict, Relation::attribute("__dict__"), sink);
            field(state, l.static_builtin_dict + 8, Relation::inter("tp_subclasses"), sink);
            break;
        }
    } else {
        field(address, l.type_dict, Relation::attribute("__dict__", true), sink);
        field(address, l.type_subclasses, Relation::inter("tp_subclasses"), sink);
    }
    field(address, l.type_mro, Relation::attribute("__mro__"), sink);
    field(address, l.type_bases, Relation::attribute("__bases__"), sink);
    field(address, l.type_cache, Relation::inter("tp_cache"), sink);
    field(address, l.type_base, Relation::attribute("__base__"), sink);
    if (!(own_flags & kTpFlagHeapType)) return;
    field(address, l.heaptype_name, Relation::attribute("__name__"), sink);
    field(address, l.heaptype_slots, Relation::attribute("__slots__"), sink);
    field(address, l.heaptype_qualname, Relation::attribute("__qualname__"), sink);
    field(address, l.heaptype_module, Relation::inter("ht_module"), sink);
    // The attribute names shared by the instances' split dicts.
    DictReader dicts(reader_, layout_);
    DictKeys keys;
    if (dicts.read_keys(reader_.pointer(address + l.heaptype_cached_keys), keys)) {
        for (int64_t i = 0; i < keys.nentries; ++i) {
            uint64_t key = 0;
            if (!reader_.read(keys.entries + uint64_t(i) * keys.entry_size + keys.key_offset, key))
                break;
            if (key) sink.edge(key, Relation::inter("ht_cached_keys"));
        }
    }
    (void)type;
}

void ObjectDecoder::code_referents(uint64_t address, EdgeSink& sink) {
    const Layout& l = layout_;
    field(address, l.code_code, Relation::attribute(l.frames_are_objects ? "co_code" : "_co_code"),
          sink);
    field(address, l.code_varnames, Relation::attribute("co_varnames"), sink);
    field(address, l.code_freevars, Relation::attribute("co_freevars"), sink);
    field(address, l.code_cellvars, Relation::attribute("co_cellvars"), sink);
    field(address, l.code_lnotab, Relation::attribute("co_lnotab"), sink);
    if (l.has(l.code_cached)) {
        // 3.12+: co_code and the name tuples are built on demand and cached here.
        if (uint64_t cached = reader_.pointer(address + l.code_cached)) {
            field(cached, l.cocached_code, Relation::attribute("co_code"), sink);
            field(cached, l.cocached_varnames, Relation::attribute("co_varnames"), sink);
            field(cached, l.cocached_cellvars, Relation::attribute("co_cellvars"), sink);
            field(cached, l.cocached_freevars, Relation::attribute("co_freevars"), sink);
        }
    }
    field(address, l.code_consts, Relation::attribute("co_consts"), sink);
    field(address, l.code_names, Relation::attribute("co_names"), sink);
    field(address, l.code_exceptiontable, Relation::attribute("co_exceptiontable"), sink);
    field(address, l.code_localsplusnames, Relation::inter("co_localsplusnames"), sink);
    field(address, l.code_localspluskinds, Relation::inter("co_localspluskinds"), sink);
    field(address, l.code_filename, Relation::attribute("co_filename"), sink);
    field(address, l.code_name, Relation::attribute("co_name"), sink);
    field(address, l.code_qualname, Relation::attribute("co_qualname"), sink);
    field(address, l.code_linetable, Relation::attribute("co_linetable"), sink);
}

void ObjectDecoder::exception_referents(uint64_t address, EdgeSink& sink) {
    const Layout& l = layout_;
    field(address, l.exception_dict, Relation::attribute("__dict__", true), sink);
    field(address, l.exception_args, Relation::attribute("args"), sink);
    field(address, l.exception_notes, Relation::attribute("__notes__"), sink);
    field(address, l.exception_traceback, Relation::attribute("__traceback__"), sink);
    field(address, l.exception_context, Relation::attribute("__context__"), sink);
    field(address, l.exception_cause, Relation::attribute("__cause__"), sink);
}

} // namespace heapy::cpython
