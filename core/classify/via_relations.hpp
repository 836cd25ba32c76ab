#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/relation_ids.hpp"
#include "core/classify/text_order.hpp"

#include "core/cpython/object_decoder.hpp"
#include "core/cpython/reader.hpp"
#include "core/cpython/type_registry.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace heapy::classify {

// Makes the text of relations, as heapy's Via names them (the repr of `.name`, `['key']`,
// `[3]`...), with a type registry of its own (types it loads are not seen by other threads) and
// a decoder over `reader`, which must outlive it.
class RelationTexter {
  public:
    RelationTexter(cpython::ObjectDecoder& main, cpython::Reader& reader);
    // Adds the text of `key` to `out`.
    void add(const RelationKey& key, TextArena& out);

  private:
    std::unique_ptr<cpython::TypeRegistry> types_;
    cpython::ObjectDecoder decoder_;
    std::string text_;
};

} // namespace heapy::classify
