#pragma once

#include "core/cpython/allocations.hpp"
#include "core/cpython/dict_reader.hpp"
#include "core/cpython/edge_sink.hpp"
#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"
#include "core/cpython/type_registry.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace heapy::cpython {

// Decodes objects of the target: their referents (what tp_traverse would visit, plus the dict
// keys heapy's traversal skips) and their size (what sys.getsizeof would return). Every decoder
// treats memory as hostile: lengths are bounded and unreadable memory ends the walk of an object.
class ObjectDecoder {
  public:
    ObjectDecoder(Reader& reader, const Layout& layout, TypeRegistry& types);

    const Layout& layout() const { return layout_; }
    // The main interpreter (3.12+ keeps static builtin types' dicts there).
    void set_interpreter(uint64_t interpreter) { interpreter_ = interpreter; }
    uint64_t interpreter() const { return interpreter_; }
    Reader& reader() { return reader_; }
    TypeRegistry& types() { return types_; }

    // The referents of the object at `address` of type `type`.
    void referents(uint64_t address, const TypeInfo& type, EdgeSink& sink);
    // sys.getsizeof of the object, per the target's version.
    uint64_t size(uint64_t address, const TypeInfo& type);
    // Whether the last size() found a length its memory cannot hold (and sized without it).
    bool size_overran() const { return size_overran_; }

    // Inline attribute values of an instance of `owner_type` (a virtual `dict of X`).
    void managed_values_referents(uint64_t values, const TypeInfo& owner_type, EdgeSink& sink);
    uint64_t managed_values_size(uint64_t values, const TypeInfo& owner_type);

    // An interpreter frame that has no frame object (a virtual `types.FrameType`).
    void interpreter_frame_referents(uint64_t frame, EdgeSink& sink);
    uint64_t interpreter_frame_size(uint64_t frame);

    // The frame that called `frame`: the next complete interpreter frame down the chain.
    uint64_t previous_frame(uint64_t frame);
    // False for frames CPython hides (being set up, C-stack shims).
    bool is_complete_frame(uint64_t frame);
    // The object a _PyStackRef (3.14+) refers to; 0 for NULL and tagged ints. Before 3.14, the
    // pointer itself (with the low flag bits of f_executable cleared).
    uint64_t stackref(uint64_t bits) const;
    // The code object (f_executable) of an interpreter frame, 0 if none.
    uint64_t frame_code(uint64_t frame);
    // Emits the edge to an interpreter frame: its frame object if it has one, else the frame.
    void frame_edge(uint64_t frame, const Relation& relation, EdgeSink& sink);

    // Small readers shared with the rest of the walker.
    std::optional<std::string> read_str(uint64_t address, size_t max_chars = 1u << 20);
    std::optional<int64_t> read_small_int(uint64_t address);
    // How many 30-bit digits an int has, and its sign (-1, 0, 1).
    int64_t int_digit_count(uint64_t address);
    int int_sign(uint64_t address);
    int64_t ob_size(uint64_t address);
    // |ob_size| when it is a plausible item count, else 0.
    uint64_t item_count(uint64_t address);
    // The value stored under a str key in a dict, or 0.
    uint64_t dict_lookup(uint64_t dict, std::string_view key);

  private:
    void dict_items(uint64_t address, EdgeSink& sink, bool owned);
    // Reports `entries` and keeps their storage for the next dict.
    void dict_edges(std::vector<DictEntry>& entries, EdgeSink& sink);
    void list_items(uint64_t address, EdgeSink& sink);
    void tuple_items(uint64_t address, EdgeSink& sink);
    void set_items(uint64_t address, EdgeSink& sink);
    void deque_items(uint64_t address, EdgeSink& sink);
    uint64_t deque_blocks(uint64_t address);
    void type_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink);
    void code_referents(uint64_t address, EdgeSink& sink);
    void frame_object_referents(uint64_t address, EdgeSink& sink);
    void frame_contents(uint64_t frame, EdgeSink& sink, bool with_context);
    void generator_referents(uint64_t address, Kind kind, EdgeSink& sink);
    void exception_referents(uint64_t address, EdgeSink& sink);
    void instance_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink);
    void managed_dict_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink);
    // 3.13+: the values of valid inline values as the instance's `.name` references.
    void inline_attribute_edges(uint64_t values, const TypeInfo& type, EdgeSink& sink);
    std::optional<bool> split_values_entries(uint64_t values, const TypeInfo& type,
                                             std::vector<DictEntry>& entries);
    // The object members of the type's C members table (and __slots__).
    void members(uint64_t address, const TypeInfo& type, EdgeSink& sink);
    // A recipe's references and arrays (decode_recipes.cpp).
    void recipe_referents(uint64_t address, const TypeInfo& type, EdgeSink& sink);
    void recipe_referents(const CTypeRecipe& recipe, const RecipeContext& context, EdgeSink& sink);
    // The recipe's __sizeof__, given the built-in kind's; nullopt when it cannot be computed.
    std::optional<uint64_t> recipe_size(uint64_t address, const TypeInfo& type, uint64_t kind_size);
    RecipeContext recipe_context(uint64_t address, const TypeInfo& type);
    void recipe_list(const CTypeRecipe::List& list, const RecipeContext& context, EdgeSink& sink);
    void old_frame_referents(uint64_t address, EdgeSink& sink);
    // Words in [begin + from, end) that may point at objects (from = 0: the whole body after the
    // header, with the type's members named).
    void conservative_scan(uint64_t begin, uint64_t end, const TypeInfo& type, EdgeSink& sink,
                           uint64_t from = 0);
    void module_state_scan(uint64_t module, EdgeSink& sink);
    void field(uint64_t object, uint32_t offset, const Relation& relation, EdgeSink& sink);

    // A frame slot or frame field: a _PyStackRef in 3.14+, a plain object pointer before.
    uint64_t frame_slot(uint64_t address);
    void stackref_field(uint64_t object, uint32_t offset, const Relation& relation, EdgeSink& sink);
    uint64_t preheader(uint64_t address, const TypeInfo& type);
    uint64_t old_frame_size(uint64_t address);
    uint64_t dict_size(uint64_t address, const TypeInfo& type);
    uint64_t dict_keys_size(uint64_t keys);
    uint64_t str_size(uint64_t address, const TypeInfo& type);
    bool inline_items(const TypeInfo& type) const;
    uint64_t code_size(uint64_t address, const TypeInfo& type);
    uint64_t frame_data_size(uint64_t code);

    Reader& reader_;
    const Layout& layout_;
    TypeRegistry& types_;
    uint64_t interpreter_ = 0;
    bool size_overran_ = false;
    // The types recipes ask about (the object a has_type() or getsizeof() names): a registry of
    // this decoder's own, as decoders run in threads other than the one that loads types_.
    std::unique_ptr<TypeRegistry> recipe_types_;
    Allocations allocations_{reader_, layout_, types_.static_images()};
    // Storage for a dict's entries, taken while in use (a nested use starts empty).
    std::vector<DictEntry> spare_entries_;
};

} // namespace heapy::cpython
