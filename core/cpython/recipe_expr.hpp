#pragma once

#include "core/cpython/c_structs.hpp"
#include "core/cpython/reader.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace heapy::cpython {

// What an expression of a C type recipe may ask about the object it describes.
struct RecipeContext {
    uint64_t self = 0;     // the object's address
    int64_t basicsize = 0; // tp_basicsize of its type (the subclass's, as _PyObject_SIZE)
    int64_t itemsize = 0;  // tp_itemsize
    int64_t ob_size = 0;   // Py_SIZE(self), for variable-size objects
    int64_t kind_size = 0; // __sizeof__ of the built-in it derives from (dict for StgDict)
    // sys.getsizeof of another object (BytesIO counts its buffer that way); may be empty.
    std::function<std::optional<int64_t>(uint64_t)> object_size;
    // The tp_name of another object's type; may be empty.
    std::function<std::optional<std::string>(uint64_t)> type_name;
    // Another object's reference count (Py_REFCNT); when empty, the word at its start.
    std::function<std::optional<int64_t>(uint64_t)> refcount;
};

// A C expression over the members of a struct of the target, compiled against that version's
// struct layouts, e.g. `basicsize + (extra ? sizeof(ElementObjectExtra) + 8 * extra->allocated
// : 0)`. Supported: integer literals, members of the recipe's struct by name, `a->b`, `a.b`,
// `&a`, arrays (their address), sizeof(STRUCT), cast(STRUCT, p) (p as a STRUCT*), the C
// operators (arithmetic, bitwise,
// comparisons, && || ! ?:), the names self (a pointer to the struct: self->m is m),
// basicsize, itemsize, ob_size, kind_size, and
// functions strlen(p), entries(p, stride) (entries up to the first whose first word is 0),
// refcnt(p), getsizeof(p), product(p, n) (of n 64-bit numbers at p: a numpy array's
// dimensions) and has_type(p, "TP_NAME") (1 when the object at p is of that type).
// Reading memory that is not there makes the whole value absent.
class RecipeExpr {
  public:
    struct Node;

    // Throws heapy::Error naming what is wrong (a member the struct lacks, bad syntax).
    static RecipeExpr compile(std::string_view text, const CStructs& structs,
                              const std::string& root_struct);

    RecipeExpr();
    RecipeExpr(RecipeExpr&&) noexcept;
    RecipeExpr& operator=(RecipeExpr&&) noexcept;
    ~RecipeExpr();

    std::optional<int64_t> eval(Reader& reader, const RecipeContext& context) const;
    explicit operator bool() const { return root_ != nullptr; }

  private:
    std::unique_ptr<Node> root_;
};

} // namespace heapy::cpython
