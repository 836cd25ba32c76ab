#include "core/classify/type_namer.hpp"

#include "core/cpython/dict_reader.hpp"

#include <algorithm>
#include <string_view>

namespace heapy::classify {

namespace {

// Static types bound as attributes of the `types` module (3.11-3.13), by tp_name; where two names
// alias one type heapy shows the alphabetically last.
struct TypesModuleName {
    std::string_view tp_name;
    std::string_view name;
};
constexpr TypesModuleName kTypesModule[] = {
    {"async_generator", "types.AsyncGeneratorType"},
    {"builtin_function_or_method", "types.BuiltinMethodType"},
    {"cell", "types.CellType"},
    {"classmethod_descriptor", "types.ClassMethodDescriptorType"},
    {"code", "types.CodeType"},
    {"coroutine", "types.CoroutineType"},
    {"ellipsis", "types.EllipsisType"},
    {"frame", "types.FrameType"},
    {"generator", "types.GeneratorType"},
    {"types.GenericAlias", "types.GenericAlias"},
    {"getset_descriptor", "types.GetSetDescriptorType"},
    {"mappingproxy", "types.MappingProxyType"},
    {"member_descriptor", "types.MemberDescriptorType"},
    {"method_descriptor", "types.MethodDescriptorType"},
    {"method", "types.MethodType"},
    {"method-wrapper", "types.MethodWrapperType"},
    {"NoneType", "types.NoneType"},
    {"NotImplementedType", "types.NotImplementedType"},
    {"types.SimpleNamespace", "types.SimpleNamespace"},
    {"traceback", "types.TracebackType"},
    {"types.UnionType", "types.UnionType"},
    {"wrapper_descriptor", "types.WrapperDescriptorType"},
};

// The classes the builtins module binds under their own names (3.9 to 3.14): their names when
// the builtins dict cannot be read (a truncated or damaged core), where heapy would otherwise
// fall back to "builtins.<tp_name>" for every static type without a dot.
constexpr std::string_view kBuiltinClassNames[] = {"ArithmeticError",
                                                   "AssertionError",
                                                   "AttributeError",
                                                   "BaseException",
                                                   "BaseExceptionGroup",
                                                   "BlockingIOError",
                                                   "BrokenPipeError",
                                                   "BufferError",
                                                   "BytesWarning",
                                                   "ChildProcessError",
                                                   "ConnectionAbortedError",
                                                   "ConnectionError",
                                                   "ConnectionRefusedError",
                                                   "ConnectionResetError",
                                                   "DeprecationWarning",
                                                   "EOFError",
                                                   "EncodingWarning",
                                                   "Exception",
                                                   "ExceptionGroup",
                                                   "FileExistsError",
                                                   "FileNotFoundError",
                                                   "FloatingPointError",
                                                   "FutureWarning",
                                                   "GeneratorExit",
                                                   "ImportError",
                                                   "ImportWarning",
                                                   "IndentationError",
                                                   "IndexError",
                                                   "InterruptedError",
                                                   "IsADirectoryError",
                                                   "KeyError",
                                                   "KeyboardInterrupt",
                                                   "LookupError",
                                                   "MemoryError",
                                                   "ModuleNotFoundError",
                                                   "NameError",
                                                   "NotADirectoryError",
                                                   "NotImplementedError",
                                                   "OSError",
                                                   "OverflowError",
                                                   "PendingDeprecationWarning",
                                                   "PermissionError",
                                                   "ProcessLookupError",
                                                   "PythonFinalizationError",
                                                   "RecursionError",
                                                   "ReferenceError",
                                                   "ResourceWarning",
                                                   "RuntimeError",
                                                   "RuntimeWarning",
                                                   "StopAsyncIteration",
                                                   "StopIteration",
                                                   "SyntaxError",
                                                   "SyntaxWarning",
                                                   "SystemError",
                                                   "SystemExit",
                                                   "TabError",
                                                   "TimeoutError",
                                                   "TypeError",
                                                   "UnboundLocalError",
                                                   "UnicodeDecodeError",
                                                   "UnicodeEncodeError",
                                                   "UnicodeError",
                                                   "UnicodeTranslateError",
                                                   "UnicodeWarning",
                                                   "UserWarning",
                                                   "ValueError",
                                                   "Warning",
                                                   "ZeroDivisionError",
                                                   "_IncompleteInputError",
                                                   "bool",
                                                   "bytearray",
                                                   "bytes",
                                                   "classmethod",
                                                   "complex",
                                                   "dict",
                                                   "enumerate",
                                                   "filter",
                                                   "float",
                                                   "frozenset",
                                                   "int",
                                                   "list",
                                                   "map",
                                                   "memoryview",
                                                   "object",
                                                   "property",
                                                   "range",
                                                   "reversed",
                                                   "set",
                                                   "slice",
                                                   "staticmethod",
                                                   "str",
                                                   "super",
                                                   "tuple",
                                                   "type",
                                                   "zip"};

} // namespace

TypeNamer::TypeNamer(cpython::ObjectDecoder& decoder, uint64_t builtins) : decoder_(decoder) {
    if (builtins == 0) return;
    cpython::DictReader dicts(decoder.reader(), decoder.layout());
    std::vector<cpython::DictEntry> entries;
    dicts.entries(builtins, entries);
    for (const auto& entry : entries) {
        uint64_t type_of_value =
            decoder.reader().pointer(entry.value + decoder.layout().object_type);
        const cpython::TypeInfo* meta = decoder.types().get(type_of_value);
        if (!meta || !(meta->flags & cpython::kTpFlagTypeSubclass)) continue; // not a class
        auto key = decoder.read_str(entry.key, 256);
        if (!key) continue;
        auto [it, inserted] = builtin_names_.emplace(entry.value, *key);
        if (!inserted) {
            // Aliases (OSError, EnvironmentError, IOError): keep the type's own name.
            const cpython::TypeInfo* type = decoder.types().get(entry.value);
            std::string_view own = type ? std::string_view(type->tp_name) : std::string_view();
            own = own.substr(own.rfind('.') == std::string_view::npos ? 0 : own.rfind('.') + 1);
            if (*key == own) it->second = *key;
        }
    }
}

const std::string& TypeNamer::name(uint32_t type_index) {
    if (cache_.size() <= type_index) cache_.resize(type_index + 1);
    if (!cache_[type_index]) cache_[type_index] = compute(decoder_.types().at(type_index));
    return *cache_[type_index];
}

std::string TypeNamer::compute(const cpython::TypeInfo& type) {
    using cpython::Kind;
    if (!type.heap && type.kind == Kind::Function) return "function";
    if (!type.heap && type.kind == Kind::Module) return "module";
    if (auto it = builtin_names_.find(type.address); it != builtin_names_.end()) return it->second;
    if (!type.heap) {
        for (const auto& entry : kTypesModule)
            if (entry.tp_name == type.tp_name) return std::string(entry.name);
        auto dot = type.tp_name.rfind('.');
        if (dot != std::string::npos) return type.tp_name;
        if (builtin_names_.empty() &&
            std::find(std::begin(kBuiltinClassNames), std::end(kBuiltinClassNames), type.tp_name) !=
                std::end(kBuiltinClassNames))
            return type.tp_name;
        return "builtins." + type.tp_name;
    }
    const cpython::Layout& l = decoder_.layout();
    cpython::Reader& reader = decoder_.reader();
    std::string name = decoder_.read_str(reader.pointer(type.address + l.heaptype_name), 4096)
                           .value_or(type.tp_name);
    std::string module = "<unknown module>";
    if (uint64_t dict = reader.pointer(type.address + l.type_dict)) {
        if (uint64_t value = decoder_.dict_lookup(dict, "__module__"))
            if (auto text = decoder_.read_str(value, 4096)) module = *text;
    }
    return module + "." + name;
}

} // namespace heapy::classify
