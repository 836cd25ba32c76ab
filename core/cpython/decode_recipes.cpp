// Referents and sizes of C types described by recipes (cpython-layouts/c-types/).
#include "core/cpython/object_decoder.hpp"
#include "core/cpython/refcount.hpp"

#include <algorithm>

namespace heapy::cpython {

namespace {
constexpr int64_t kMaxRecipeItems = int64_t{1} << 28;
constexpr int64_t kMaxRecipeSize = int64_t{1} << 40;
constexpr uint32_t kMaxRecipeListNodes = 1 << 24;
} // namespace

RecipeContext ObjectDecoder::recipe_context(uint64_t address, const TypeInfo& type) {
    RecipeContext context;
    context.self = address;
    context.basicsize = type.basicsize;
    context.itemsize = type.itemsize;
    if (type.itemsize > 0) context.ob_size = ob_size(address);
    context.type_name = [this](uint64_t object) -> std::optional<std::string> {
        const TypeInfo* t = recipe_types_->get(reader_.pointer(object + layout_.object_type));
        if (!t) return std::nullopt;
        return t->tp_name;
    };
    context.refcount = [this](uint64_t object) { return read_refcount(reader_, layout_, object); };
    return context;
}

void ObjectDecoder::recipe_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink) {
    recipe_referents(*type.recipe, recipe_context(address, type), sink);
}

void ObjectDecoder::recipe_referents(const CTypeRecipe& recipe, const RecipeContext& context,
                                     EdgeSink& sink) {
    for (const CTypeRecipe::Reference& reference : recipe.references) {
        auto target = reference.pointer.eval(reader_, context);
        if (target && *target) sink.edge(uint64_t(*target), reference.relation);
    }
    for (const CTypeRecipe::Array& array : recipe.arrays) {
        auto items = array.items.eval(reader_, context);
        auto count = array.count.eval(reader_, context);
        if (!items || !count || *count <= 0) continue;
        if (*count > kMaxRecipeItems) {
            sink.corrupt();
            continue;
        }
        const bool indexed = array.relation.kind == RelationKind::Index;
        for (int64_t i = 0; i < *count && !sink.saturated(); ++i) {
            uint64_t entry = uint64_t(*items) + uint64_t(i) * array.stride;
            if (array.indirect) {
                if (!reader_.read(entry, entry)) {
                    sink.corrupt();
                    return;
                }
                if (!entry) continue;
            }
            for (uint32_t field : array.fields) {
                uint64_t target = 0;
                if (!reader_.read(entry + field, target)) {
                    sink.corrupt();
                    return;
                }
                if (target)
                    sink.edge(target, indexed ? Relation::index_of(uint32_t(i)) : array.relation);
            }
        }
    }
    for (const CTypeRecipe::List& list : recipe.lists) recipe_list(list, context, sink);
}

void ObjectDecoder::recipe_list(const CTypeRecipe::List& list, const RecipeContext& context,
                                EdgeSink& sink) {
    auto first = list.first.eval(reader_, context);
    auto end = list.end.eval(reader_, context);
    if (!first || !end) return;
    const bool indexed = list.relation.kind == RelationKind::Index;
    uint64_t node = uint64_t(*first);
    uint64_t behind = node; // moves at half speed: meeting it again means a loop
    for (uint32_t position = 0; node && node != uint64_t(*end) && !sink.saturated(); ++position) {
        if (position == kMaxRecipeListNodes || (position > 0 && node == behind)) {
            sink.corrupt(); // a loop, or a list longer than any real one
            return;
        }
        if (position % 2 == 1 && !reader_.read(behind + list.next, behind)) behind = 0;
        for (uint32_t field : list.fields) {
            uint64_t target = 0;
            if (!reader_.read(node + field, target)) {
                sink.corrupt();
                return;
            }
            if (target) sink.edge(target, indexed ? Relation::index_of(position) : list.relation);
        }
        if (!reader_.read(node + list.next, node)) {
            sink.corrupt();
            return;
        }
    }
}

std::optional<uint64_t> ObjectDecoder::recipe_size(uint64_t address, const TypeInfo& type,
                                                   uint64_t kind_size) {
    RecipeContext context = recipe_context(address, type);
    context.kind_size = int64_t(kind_size);
    context.object_size = [this](uint64_t object) -> std::optional<int64_t> {
        const TypeInfo* t = recipe_types_->get(reader_.pointer(object + layout_.object_type));
        if (!t || t->recipe) return std::nullopt; // no recursion through recipes
        return int64_t(size(object, *t));
    };
    auto size = type.recipe->size.eval(reader_, context);
    if (!size || *size < 0 || *size > kMaxRecipeSize) return std::nullopt;
    return uint64_t(*size);
}

} // namespace heapy::cpython
