#include "core/classify/via_relations.hpp"

#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "core/report/pyrepr.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace heapy::classify {

namespace {

// The relation a key stands for (root names are NUL-terminated: the graph's strings, or "??").
heap::NamedEdge edge_of(const RelationKey& key) {
    cpython::Relation r;
    r.kind = cpython::RelationKind(key.kind_index >> 32);
    r.index = uint32_t(key.kind_index);
    r.object = key.object;
    const char* name = reinterpret_cast<const char*>(uintptr_t(key.name));
    if (r.kind == cpython::RelationKind::Root)
        return {0, r, name ? std::string_view(name) : std::string_view()};
    r.name = name;
    return {0, r, {}};
}

// Whether the repr of a str is the str between single quotes, and `['s']` between double ones.
bool plain_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return c >= ' ' && c <= '~' && c != '\'' && c != '"' && c != '\\';
    });
}

// The texts most of a big heap's relations have, written into `out` without the general path's
// strings: a list index (`'[3]'`), a dict key's place (`'.keys()[3]'`), a dict value under a
// short plain str key (`"['name']"`). False for the others. The same text as
// py_repr_str(via_text(...)).
bool direct_text(cpython::ObjectDecoder& decoder, const RelationKey& key, std::string& out) {
    constexpr size_t kMaxKeyChars = 64;
    std::string_view start;
    switch (cpython::RelationKind(key.kind_index >> 32)) {
    case cpython::RelationKind::Index:
        start = "'[";
        break;
    case cpython::RelationKind::DictKey:
        start = "'.keys()[";
        break;
    case cpython::RelationKind::DictValue: {
        const auto text = decoder.read_str(key.object, kMaxKeyChars);
        if (!text || !plain_ascii(*text)) return false;
        out.assign("\"['").append(*text).append("']\"");
        return true;
    }
    default:
        return false;
    }
    std::array<char, 16> digits;
    char* end =
        std::to_chars(digits.data(), digits.data() + digits.size(), uint32_t(key.kind_index)).ptr;
    out.assign(start).append(digits.data(), size_t(end - digits.data())).append("]'");
    return true;
}

} // namespace

RelationTexter::RelationTexter(cpython::ObjectDecoder& main, cpython::Reader& reader)
    : types_(main.types().fork(reader)), decoder_(reader, main.layout(), *types_) {
    decoder_.set_interpreter(main.interpreter());
}

void RelationTexter::add(const RelationKey& key, TextArena& out) {
    if (direct_text(decoder_, key, text_))
        out.add(text_);
    else
        out.add(report::py_repr_str(heap::via_text(decoder_, edge_of(key))));
}

} // namespace heapy::classify
