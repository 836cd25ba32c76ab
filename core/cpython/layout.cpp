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

} // namespace

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
        layout.interp_roots = parse_roots(doc.value("interp_roots", nlohmann::json::array()));
        layout.tstate_roots = parse_roots(doc.value("tstate_roots", nlohmann::json::array()));
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("malformed layout file: {}", e.what()));
    }
    return layout;
}

namespace {

const std::map<std::pair<int, int>, Layout>& all_layouts() {
    static std::once_flag once;
    static std::map<std::pair<int, int>, Layout> layouts;
    std::call_once(once, [] {
        for (unsigned i = 0; i < kEmbeddedLayoutCount; ++i) {
            Layout layout = parse_layout(kEmbeddedLayouts[i].second);
            layouts.emplace(std::pair{layout.major, layout.minor}, std::move(layout));
        }
    });
    return layouts;
}

} // namespace

const Layout* find_layout(int major, int minor) {
    const auto& layouts = all_layouts();
    auto it = layouts.find({major, minor});
    return it == layouts.end() ? nullptr : &it->second;
}

std::string supported_versions() {
    const auto& layouts = all_layouts();
    if (layouts.empty()) return "none";
    auto first = layouts.begin()->first;
    auto last = layouts.rbegin()->first;
    if (first == last) return fmt::format("{}.{}", first.first, first.second);
    return fmt::format("{}.{} to {}.{}", first.first, first.second, last.first, last.second);
}

} // namespace heapy::cpython
