#pragma once

#include "core/cpython/object_decoder.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace heapy::classify {

// heapy's name for a type (HEAPY.md 1.6): `function`, `module`, `types.CodeType`, builtins by
// their builtins name, else `__module__.__name__`.
class TypeNamer {
  public:
    // `builtins` is the main interpreter's builtins dict (0 if unknown).
    TypeNamer(cpython::ObjectDecoder& decoder, uint64_t builtins);

    const std::string& name(uint32_t type_index);

  private:
    std::string compute(const cpython::TypeInfo& type);

    cpython::ObjectDecoder& decoder_;
    std::unordered_map<uint64_t, std::string> builtin_names_;
    std::vector<std::optional<std::string>> cache_;
};

} // namespace heapy::classify
