#pragma once

#include "core/cpython/object_decoder.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace heapy::cpython {

// Python's repr() of simple objects read from the target: str, bytes, int (any size), float,
// bool, None, and tuples of these; `limited` applies reprlib.repr's limits (HEAPY.md 1.2).
// Other objects give nullopt (callers choose a fallback such as an address).
std::optional<std::string> object_repr(ObjectDecoder& decoder, uint64_t address, bool limited);

// The decimal text of an int object of any size, or nullopt when it is not an int.
std::optional<std::string> int_decimal(ObjectDecoder& decoder, uint64_t address);

} // namespace heapy::cpython
