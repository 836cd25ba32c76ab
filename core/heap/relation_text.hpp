#pragma once

#include "core/cpython/object_decoder.hpp"
#include "core/heap/named_edges.hpp"

#include <string>
#include <string_view>

namespace heapy::heap {

// heapy's relation codes (Path.py): the order in which paths list relations.
int relation_code(cpython::RelationKind kind);

// heapy's text for `edge` applied to `prefix`, e.g. prefix + ".__dict__", prefix + "['k']",
// "list(" + prefix + ")[2]". `limited` uses reprlib.repr for dict keys, as path lines do.
std::string apply_relation(cpython::ObjectDecoder& decoder, const NamedEdge& edge,
                           std::string_view prefix, bool limited);

// The text heapy's Via classifier shows for `edge` (relation applied to "_", leading "_" cut).
std::string via_text(cpython::ObjectDecoder& decoder, const NamedEdge& edge);

} // namespace heapy::heap
