#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/relation_ids.hpp"
#include "core/classify/text_order.hpp"

#include <cstdint>
#include <vector>

namespace heapy::classify {

// The text of each relation, as heapy's Via names it (the repr of `.name`, `['key']`, `[3]`...),
// numbered as `keys`. Made in two threads when the memory allows (the second with a reader,
// type registry and decoder of its own); polls the context for Ctrl-C.
TextArena relation_texts(const ClassifyContext& context, const heap::BigVector<RelationKey>& keys);

} // namespace heapy::classify
