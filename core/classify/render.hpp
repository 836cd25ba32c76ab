#pragma once

#include "core/classify/classifier.hpp"
#include "core/report/id_format.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heapy::classify {

// heapy's renders of objects (HEAPY.md 1.2, 1.3): what identity tables (`by id`), identity-set
// kinds (`by idset`), reference patterns and briefs show for each object.
//
// A render belongs to a Clodo kind: heapy's Summary_str table keyed by the object's exact type
// (reprlib repr for str/bytes, repr for int/float/bool/None/complex, names for types, functions,
// builtins, modules and code, `<name at 0x..>` for frames, ...), the owner's render for `dict of
// X`, `0x...*len` for list/tuple/`dict (no owner)`, the hex address for everything else.
class Renderer {
  public:
    // `context.decoder` must be set.
    explicit Renderer(const ClassifyContext& context);

    // The render of one object for its Clodo kind. `short_owner` gives the form heapy's kind
    // render uses (mixed tables, briefs, reference patterns): for `dict of X`, an owner render
    // containing '.' is cut to '..' + its last component (`..decoder`).
    std::string render(uint32_t node, bool short_owner = false);

    // heapy's Clodo kind name of a node (its "kind brief"): `str`, `dict of module`, ...
    std::string kind_brief(uint32_t node);

    // The identity table of `nodes` (`heapy by id`): label kind, header and rows in heapy's order
    // (size descending, then the kind's sort key, then address); `order`, when given, receives
    // the node of each row.
    report::IdTable id_table(const std::vector<uint32_t>& nodes,
                             std::vector<uint32_t>* order = nullptr);

    // The brief form of a set: `<3 str: 'a', 'b', 'c'>`, `<2 (int | str): <1 int: 1> | <1 str:
    // 'a'>>`, cut to 80 characters with `...>` (HEAPY.md 1.3). Empty set: `<Nothing>`.
    std::string brief(const std::vector<uint32_t>& nodes);

    // The summary heapy ends a reference pattern line with (UniSet.get_str_refpat): `'%d ' % count`
    // + kind brief (`(a | b)` for a mixed set) + `': '` + the sorted renders of the members, cut
    // with `...` to `max_length` characters.
    std::string refpat_summary(const std::vector<uint32_t>& nodes, long max_length);

    // heapy's Summary_str functions.
    enum class RenderFn : uint8_t {
        Address,    // hex(id(x))
        AddressLen, // hex(id(x)) + '*%d' % len(x)
        LimRepr,    // reprlib.repr(x)
        Repr,       // repr(x)
        Type,       // type name (HEAPY.md 1.6)
        Builtin,    // [module.]name of a builtin function
        Function,   // module.name
        Code,       // file:line:name
        Module,     // __name__
        Frame,      // <co_name at 0x..>
        Method,     // <Type at 0x..>.name
        Traceback,  // <in frame <..> at 0x..>
    };

    // One Clodo kind: its brief and how its objects are rendered.
    struct KindInfo {
        std::string brief;
        RenderFn fn = RenderFn::Address; // of the object, or of its owner when `dict_of`
        bool dict_of = false;            // `dict of X`: the owner's render
        std::string header() const;      // heapy's idpart header
    };
    const KindInfo& kind_of(uint32_t node);

  private:
    uint64_t kind_key(uint32_t node) const;
    std::string render_fn(RenderFn fn, uint32_t node);
    std::string render_with(const KindInfo& kind, uint32_t node, bool short_owner);
    // heapy's get_str_rendered: the renders of `nodes` in address order until `max_length` is
    // reached (the last one then ends with '...'), sorted, comma-joined. `common` is the render
    // all nodes share, or nullopt for heapy's mixed-kind render (the hex address, or repr when
    // every kind renders by repr).
    std::string rendered_list(std::vector<uint32_t> nodes, const KindInfo* common, bool all_repr,
                              long max_length);

    const ClassifyContext& context_;
    std::unordered_map<uint64_t, size_t> kind_index_;
    std::vector<KindInfo> kinds_;
};

// True for the kinds where heapy's reference pattern stops (RefPat.stopkind): objects of exact
// type `module`, `type`, code and frames, `dict of module` and `dict of type`.
bool refpat_stop_kind(const ClassifyContext& context, uint32_t node);

} // namespace heapy::classify
