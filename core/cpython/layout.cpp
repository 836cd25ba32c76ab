#include "core/cpython/layout.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <tuple>
#include <utility>

namespace heapy::cpython {

extern const std::pair<std::string_view, std::string_view> kEmbeddedLayouts[];
extern const unsigned kEmbeddedLayoutCount;

namespace {

uint32_t as_offset(const nlohmann::json& value, std::string_view key) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > (1 << 24))
        throw Error(fmt::format("layout field {} is not a valid offset", key));
    return value.get<uint32_t>();
}

std::vector<RootField> parse_roots(const nlohmann::json& roots) {
    std::vector<RootField> out;
    if (!roots.is_array()) return out;
    for (const auto& root : roots)
        out.push_back({root.at("name").get<std::string>(), as_offset(root.at("offset"), "root")});
    return out;
}

// "i", "u", "p", "p NAME", "s NAME" or "a ELEMENT_SIZE" (see CMember).
CMember parse_member(const nlohmann::json& spec, std::string_view name) {
    if (!spec.is_array() || spec.size() != 3)
        throw Error(fmt::format("layout member {} is not [offset, size, shape]", name));
    CMember member;
    member.offset = as_offset(spec[0], name);
    member.size = as_offset(spec[1], name);
    const std::string shape = spec[2].get<std::string>();
    const std::string rest = shape.size() > 2 ? shape.substr(2) : "";
    switch (shape.empty() ? '?' : shape[0]) {
    case 'i':
        member.shape = CMember::Shape::Signed;
        break;
    case 'u':
        member.shape = CMember::Shape::Unsigned;
        break;
    case 'p':
        member.shape = CMember::Shape::Pointer;
        member.pointee = rest;
        break;
    case 's':
        member.shape = CMember::Shape::Struct;
        member.pointee = rest;
        break;
    case 'a':
        member.shape = CMember::Shape::Array;
        break;
    default:
        throw Error(fmt::format("layout member {} has an unknown shape '{}'", name, shape));
    }
    return member;
}

} // namespace

CStructs parse_structs(const nlohmann::json& structs) {
    CStructs out;
    if (!structs.is_object()) return out;
    for (const auto& [name, body] : structs.items()) {
        CStruct s;
        s.size = as_offset(body.at("size"), name);
        for (const auto& [member, spec] : body.at("members").items())
            s.members.emplace(member, parse_member(spec, member));
        out.emplace(name, std::move(s));
    }
    return out;
}

Layout parse_layout(std::string_view json_text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("malformed layout file: {}", e.what()));
    }
    Layout layout;
    try {
        const auto version = doc.at("version").get<std::string>();
        if (std::sscanf(version.c_str(), "%d.%d", &layout.major, &layout.minor) != 2)
            throw Error(fmt::format("layout file has a bad version '{}'", version));
        if (doc.contains("patches")) {
            const auto& patches = doc.at("patches");
            if (!patches.is_array() || patches.size() != 2 || !patches[0].is_number_integer() ||
                !patches[1].is_number_integer() || patches[0].get<int>() < 0 ||
                patches[1].get<int>() < patches[0].get<int>())
                throw Error("layout file has a bad \"patches\" range (want [first, last])");
            layout.micro_first = patches[0].get<int>();
            layout.micro_last = patches[1].get<int>();
        }
        const auto& fields = doc.at("fields");
        const auto& sizes = doc.at("sizes");
#define LAYOUT_FIELD(id, type, path)                                                               \
    if (fields.contains(#id)) layout.id = as_offset(fields.at(#id), #id);
#define LAYOUT_SIZE(id, type)                                                                      \
    if (sizes.contains(#id)) layout.id = as_offset(sizes.at(#id), #id);
#include "core/cpython/layout_fields.def"
#undef LAYOUT_FIELD
#undef LAYOUT_SIZE
        const auto constants = doc.value("constants", nlohmann::json::object());
        auto constant = [&](const char* name, int64_t& out) {
            if (constants.contains(name)) out = constants.at(name).get<int64_t>();
        };
#define LAYOUT_CONSTANT_READ(name, fallback) constant(#name, layout.name);
        LAYOUT_CONSTANTS(LAYOUT_CONSTANT_READ)
#undef LAYOUT_CONSTANT_READ
        auto ranges = [&](const char* name) {
            std::vector<std::pair<uint32_t, uint32_t>> out;
            for (const auto& range : constants.value(name, nlohmann::json::array()))
                out.emplace_back(range.at(0).get<uint32_t>(), range.at(1).get<uint32_t>());
            return out;
        };
        layout.interp_free_lists = ranges("interp_free_lists");
        layout.tstate_free_lists = ranges("tstate_free_lists");
        layout.state_free_lists_known =
            constants.contains("interp_free_lists") || constants.contains("tstate_free_lists");
        for (const auto& list : constants.value("static_free_lists", nlohmann::json::array())) {
            if (!list.is_array() || list.size() != 2)
                throw Error("layout constant static_free_lists wants [file, symbol] pairs");
            layout.static_free_lists.push_back(
                {list.at(0).get<std::string>(), list.at(1).get<std::string>()});
        }
        layout.interp_roots = parse_roots(doc.value("interp_roots", nlohmann::json::array()));
        layout.tstate_roots = parse_roots(doc.value("tstate_roots", nlohmann::json::array()));
        layout.c_structs = parse_structs(doc.value("c_structs", nlohmann::json::object()));
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("malformed layout file: {}", e.what()));
    }
    return layout;
}

namespace {

// Keyed by (free-threaded, major, minor, first patch release).
using LayoutMap = std::map<std::tuple<bool, int, int, int>, Layout>;

const LayoutMap& all_layouts() {
    static std::once_flag once;
    static LayoutMap layouts;
    std::call_once(once, [] {
        for (unsigned i = 0; i < kEmbeddedLayoutCount; ++i) {
            if (kEmbeddedLayouts[i].first.starts_with("c-types/")) continue; // recipes
            Layout layout = parse_layout(kEmbeddedLayouts[i].second);
            layouts.emplace(std::tuple{layout.free_threaded != 0, layout.major, layout.minor,
                                       layout.micro_first},
                            std::move(layout));
        }
    });
    return layouts;
}

} // namespace

const Layout* find_layout(int major, int minor, int micro, bool free_threaded) {
    const Layout* newest = nullptr;
    for (const auto& [key, layout] : all_layouts()) {
        if (layout.major != major || layout.minor != minor ||
            (layout.free_threaded != 0) != free_threaded)
            continue;
        if (micro >= 0 && micro >= layout.micro_first && micro <= layout.micro_last) return &layout;
        newest = &layout; // ordered by first patch: the last one seen is the newest
    }
    return micro < 0 ? newest : nullptr;
}

std::string supported_versions() {
    // "3.9 to 3.14": the first and last minor version of one kind of build ('t' for free-threaded).
    auto range = [](bool free_threaded) -> std::string {
        const Layout* first = nullptr;
        const Layout* last = nullptr;
        for (const auto& [key, layout] : all_layouts()) {
            if (std::get<0>(key) != free_threaded) continue;
            if (!first) first = &layout;
            last = &layout;
        }
        if (!first) return "";
        const char* t = free_threaded ? "t" : "";
        if (first->major == last->major && first->minor == last->minor)
            return fmt::format("{}.{}{}", first->major, first->minor, t);
        return fmt::format("{}.{}{} to {}.{}{}", first->major, first->minor, t, last->major,
                           last->minor, t);
    };
    const std::string gil = range(false);
    const std::string free_threaded = range(true);
    if (free_threaded.empty()) return gil.empty() ? "none" : gil;
    return fmt::format("{} and free-threaded {}", gil, free_threaded);
}

} // namespace heapy::cpython
