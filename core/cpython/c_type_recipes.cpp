#include "core/cpython/c_type_recipes.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace heapy::cpython {

extern const std::pair<std::string_view, std::string_view> kEmbeddedLayouts[];
extern const unsigned kEmbeddedLayoutCount;

namespace {

// "3.9-3.11", "3.12-", "-3.11", "3.10" or, where a patch release changed a type, "3.13.14-":
// whether the target's patch release (or every one `layout` covers) is in the range. A bound
// without a patch level takes the whole minor version.
bool in_versions(const std::string& range, const Layout& layout) {
    if (range.empty()) return true;
    auto parse = [&](std::string_view text, int fallback, int micro) {
        int major = 0, minor = 0;
        if (text.empty()) return fallback;
        if (std::sscanf(std::string(text).c_str(), "%d.%d.%d", &major, &minor, &micro) < 2)
            throw Error(fmt::format("bad version range '{}'", range));
        return (major * 100 + minor) * 1000 + micro;
    };
    const size_t dash = range.find('-');
    const std::string_view low = std::string_view(range).substr(0, dash);
    const std::string_view high =
        dash == std::string::npos ? low : std::string_view(range).substr(dash + 1);
    const int minor = (layout.major * 100 + layout.minor) * 1000;
    const bool exact = layout.target_micro >= 0;
    const int first = exact ? layout.target_micro : layout.micro_first;
    const int last = exact ? layout.target_micro : std::min(layout.micro_last, 999);
    return minor + first >= parse(low, 0, 0) && minor + last <= parse(high, 1 << 30, 999);
}

std::vector<std::string> names_of(const nlohmann::json& entry) {
    if (entry.contains("name")) return {entry.at("name").get<std::string>()};
    if (entry.contains("module")) return {entry.at("module").get<std::string>()};
    return entry.at("names").get<std::vector<std::string>>();
}

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// One pass of substitute().
std::string substitute_once(const std::string& text, const nlohmann::json& lets) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
        if (!word_char(text[i]) || (i > 0 && word_char(text[i - 1]))) {
            out.push_back(text[i++]);
            continue;
        }
        size_t end = i;
        while (end < text.size() && word_char(text[end])) ++end;
        const std::string word = text.substr(i, end - i);
        // A member after `->` or `.` keeps its name.
        const bool member =
            i >= 1 && (text[i - 1] == '.' || (i >= 2 && text.compare(i - 2, 2, "->") == 0));
        if (!member && lets.contains(word)) {
            out.push_back('(');
            out.append(lets.at(word).get<std::string>());
            out.push_back(')');
        } else {
            out.append(word);
        }
        i = end;
    }
    return out;
}

// The text with every name of `lets` ("let": {"info": "cast(StgInfo, ...)"}) replaced by its
// expression in parentheses, whole words only; lets may use earlier lets.
std::string substitute(std::string text, const nlohmann::json& lets) {
    constexpr int kMaxDepth = 8;
    for (int depth = 0; depth < kMaxDepth && !lets.empty(); ++depth) {
        std::string next = substitute_once(text, lets);
        if (next == text) return text;
        text = std::move(next);
    }
    return text;
}

} // namespace

Relation CTypeRecipes::relation(const std::string& text) {
    if (text == "[]") return Relation::index_of(0);
    if (text.starts_with("->")) return Relation::inter(keep(text.substr(2)));
    if (text.starts_with("."))
        return Relation::attribute(keep(text.substr(1)), text == ".__dict__");
    throw Error(fmt::format("bad relation '{}' (want .name, ->name or [])", text));
}

CTypeRecipe CTypeRecipes::build(const nlohmann::json& entry, const std::string& name,
                                const CStructs& structs) {
    CTypeRecipe recipe;
    recipe.name = name;
    recipe.struct_name = entry.value("struct", "");
    recipe.opaque = entry.value("opaque", false);
    if (!recipe.struct_name.empty() && !structs.count(recipe.struct_name))
        throw Error(fmt::format("no layout of struct {}", recipe.struct_name));
    const auto lets = entry.value("let", nlohmann::json::object());
    auto compile = [&](const nlohmann::json& text) {
        return RecipeExpr::compile(substitute(text.get<std::string>(), lets), structs,
                                   recipe.struct_name);
    };
    for (const auto& ref : entry.value("refs", nlohmann::json::array()))
        recipe.references.push_back({relation(ref.at(0).get<std::string>()), compile(ref.at(1))});
    for (const auto& array : entry.value("arrays", nlohmann::json::array())) {
        CTypeRecipe::Array a;
        a.relation = relation(array.value("relation", "[]"));
        a.items = compile(array.at("items"));
        a.count = compile(array.at("count"));
        a.stride = array.value("stride", 8u);
        a.indirect = array.value("indirect", false);
        if (array.contains("fields")) a.fields = array.at("fields").get<std::vector<uint32_t>>();
        if (a.stride == 0 || a.fields.empty()) throw Error("an array needs a stride and fields");
        recipe.arrays.push_back(std::move(a));
    }
    for (const auto& list : entry.value("lists", nlohmann::json::array())) {
        CTypeRecipe::List l;
        l.relation = relation(list.value("relation", "[]"));
        l.first = compile(list.at("first"));
        l.end =
            list.contains("end") ? compile(list.at("end")) : RecipeExpr::compile("0", structs, "");
        const std::string node = list.at("struct").get<std::string>();
        auto it = structs.find(node);
        if (it == structs.end()) throw Error(fmt::format("no layout of struct {}", node));
        auto offset = [&](const std::string& member) {
            auto m = it->second.members.find(member);
            if (m == it->second.members.end())
                throw Error(fmt::format("struct {} has no member {}", node, member));
            return m->second.offset;
        };
        l.next = offset(list.at("next").get<std::string>());
        for (const auto& field : list.at("fields"))
            l.fields.push_back(offset(field.get<std::string>()));
        recipe.lists.push_back(std::move(l));
    }
    if (entry.contains("size")) recipe.size = compile(entry.at("size"));
    return recipe;
}

void CTypeRecipes::add(std::string_view json_text, const Layout& layout) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("malformed recipe file: {}", e.what()));
    }
    // A file may lay out structs of its own: those of a third-party module with a stable ABI
    // (numpy's), which no CPython build's DWARF describes.
    const CStructs* structs = &layout.c_structs;
    CStructs with_own;
    if (doc.contains("c_structs")) {
        with_own = layout.c_structs;
        try {
            for (auto& [name, s] : parse_structs(doc.at("c_structs"))) with_own[name] = s;
        } catch (const std::exception& e) {
            errors_.push_back(fmt::format("c_structs: {}", e.what()));
        }
        structs = &with_own;
    }
    for (const auto& entry : doc.at("types")) {
        std::vector<std::string> names;
        try {
            names = names_of(entry);
            if (!in_versions(entry.value("versions", ""), layout)) continue;
            auto& index = entry.contains("module") ? by_module_ : by_name_;
            for (const std::string& name : names) {
                if (index.count(name))
                    throw Error(fmt::format("{} has two recipes for this version", name));
                CTypeRecipe recipe = build(entry, name, *structs);
                index.emplace(name, recipes_.size());
                recipes_.push_back(std::move(recipe));
            }
        } catch (const std::exception& e) {
            errors_.push_back(fmt::format("{}: {}", names.empty() ? "?" : names.front(), e.what()));
        }
    }
}

const CTypeRecipes& CTypeRecipes::for_layout(const Layout& layout) {
    static std::mutex mutex;
    using Versions = std::tuple<int64_t, int, int, int, int, int>;
    static std::map<const Layout*, std::pair<Versions, std::unique_ptr<CTypeRecipes>>> compiled;
    std::lock_guard lock(mutex);
    // A layout made for one target (its patch level, its own debug offsets) can be freed and
    // another made at the same address: the version range must match too.
    const auto versions = std::tuple{layout.free_threaded, layout.major,      layout.minor,
                                     layout.micro_first,   layout.micro_last, layout.target_micro};
    auto& [compiled_for, slot] = compiled[&layout];
    if (!slot || compiled_for != versions) {
        compiled_for = versions;
        slot = std::make_unique<CTypeRecipes>();
        for (unsigned i = 0; i < kEmbeddedLayoutCount; ++i)
            if (kEmbeddedLayouts[i].first.starts_with("c-types/"))
                slot->add(kEmbeddedLayouts[i].second, layout);
    }
    return *slot;
}

} // namespace heapy::cpython
