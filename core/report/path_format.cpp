#include "core/report/path_format.hpp"

#include "core/report/paging.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace heapy::report {

std::string format_path_line(size_t index, std::string_view text) {
    return fmt::format("{:2d}: {}", index, text);
}

std::string more_paths_msg(int64_t remaining) {
    return fmt::format("<... {} more paths ...>", remaining);
}

std::string format_paths(size_t num_paths, const std::function<std::string(size_t)>& path,
                         size_t first, size_t max_lines) {
    PageSource src;
    src.num_lines = num_paths;
    if (num_paths != 0) src.empty_msg = "<No more paths>";
    src.line = [&path](size_t i) { return format_path_line(i, path(i)); };
    src.more_msg = [num_paths](size_t, size_t last) {
        return more_paths_msg(static_cast<int64_t>(num_paths - (last + 1)));
    };
    return render_page(src, first, max_lines, false).text;
}

std::string format_paths(const std::vector<std::string>& paths, size_t first, size_t max_lines) {
    return format_paths(
        paths.size(), [&paths](size_t i) { return paths[i]; }, first, max_lines);
}

size_t paths_page_end(size_t num_paths, size_t first, size_t max_lines) {
    return page_end(num_paths, first, max_lines);
}

std::string paths_json(const std::vector<std::string>& paths) {
    std::string out = "{\"paths\": [";
    for (size_t i = 0; i < paths.size(); ++i) {
        if (i) out += ", ";
        out +=
            nlohmann::json(paths[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    out += "]}";
    return out;
}

} // namespace heapy::report
