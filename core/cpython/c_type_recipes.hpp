#pragma once

#include "core/cpython/layout.hpp"
#include "core/cpython/recipe_expr.hpp"
#include "core/cpython/relation.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heapy::cpython {

// What heapy knows of a C type of the standard library (cpython-layouts/c-types/*.json): which
// members of its instance struct hold references, which arrays of references it owns, and what
// its __sizeof__ adds to the default. Expressions are compiled per CPython version against that
// version's struct layouts (the "c_structs" of its layout file, taken from DWARF). A recipe's
// "let" names expressions that its other expressions use ("info": "cast(StgInfo, self + 928)").
struct CTypeRecipe {
    // A reference: the object at the address `pointer` computes.
    struct Reference {
        Relation relation;
        RecipeExpr pointer;
    };
    // `count` entries of `stride` bytes from `items`, each holding references at `fields` (or,
    // `indirect`, each a pointer to a struct holding them there; NULL entries are skipped).
    struct Array {
        Relation relation; // Index: the entry's number
        RecipeExpr items;
        RecipeExpr count;
        uint32_t stride = 8;
        std::vector<uint32_t> fields{0};
        bool indirect = false;
    };

    // A linked list of C structs: from the node `first` gives, along each node's `next`
    // member, until NULL or the node `end` gives (a list whose head is in the owner), each node
    // holding references at `fields`.
    struct List {
        Relation relation; // Index: the node's position
        RecipeExpr first;
        RecipeExpr end;
        uint32_t next = 0;
        std::vector<uint32_t> fields;
    };

    std::string name; // tp_name
    std::string struct_name;
    std::vector<Reference> references;
    std::vector<Array> arrays;
    std::vector<List> lists;
    RecipeExpr size;     // __sizeof__ without the GC pre-header; absent: the default
    bool opaque = false; // holds no references at all (a capsule's pointer is never an object)
};

// The recipes that apply to one CPython version.
class CTypeRecipes {
  public:
    // Compiled once per layout; recipes whose structs the layout lacks are left out (and named
    // in errors(), which tests keep empty for the versions each recipe claims).
    static const CTypeRecipes& for_layout(const Layout& layout);
    // Adds the recipes of a file of cpython-layouts/c-types/ that apply to `layout` (exposed
    // for tests). Throws heapy::Error when the file is not JSON.
    void add(std::string_view json_text, const Layout& layout);

    const CTypeRecipe* find(std::string_view tp_name) const {
        auto it = by_name_.find(std::string(tp_name));
        return it == by_name_.end() ? nullptr : &recipes_[it->second];
    }
    // The recipe of a module's state ("module": its PyModuleDef's m_name), whose references
    // a scan of the state cannot find (arrays and lists it points to).
    const CTypeRecipe* find_module(std::string_view m_name) const {
        auto it = by_module_.find(std::string(m_name));
        return it == by_module_.end() ? nullptr : &recipes_[it->second];
    }
    const std::vector<std::string>& errors() const { return errors_; }
    size_t size() const { return recipes_.size(); }

  private:
    const char* keep(std::string text) { return names_.emplace_back(std::move(text)).c_str(); }
    Relation relation(const std::string& text);
    CTypeRecipe build(const nlohmann::json& entry, const std::string& name,
                      const CStructs& structs);

    std::deque<CTypeRecipe> recipes_;
    std::unordered_map<std::string, size_t> by_name_;
    std::unordered_map<std::string, size_t> by_module_;
    std::deque<std::string> names_; // relation names point here
    std::vector<std::string> errors_;
};

} // namespace heapy::cpython
