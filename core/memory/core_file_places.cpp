#include "core/memory/core_file_places.hpp"

#include <cstdlib>

namespace heapy::memory {

std::vector<std::string> places_of(const std::string& named, const CoreOptions& options) {
    std::vector<std::string> places;
    if (!options.sysroot.empty() && !named.empty() && named[0] == '/')
        places.push_back(options.sysroot + named);
    // lldb names the files it found under its own sysroot only by their local paths.
    if (!named.empty() && named[0] == '/')
        for (const auto& [id, found] : options.files_by_build_id)
            if (found.size() > named.size() && found.ends_with(named)) places.push_back(found);
    places.push_back(named);
    return places;
}

std::vector<std::string> build_id_places(const BuildId& id, const CoreOptions& options) {
    const std::string hex = id.hex();
    if (hex.size() < 3) return {};
    const std::string link = hex.substr(0, 2) + "/" + hex.substr(2);
    std::vector<std::string> named{"/usr/lib/.build-id/" + link,
                                   "/usr/lib/debug/.build-id/" + link};
    if (const char* cache = std::getenv("DEBUGINFOD_CACHE_PATH"); cache && *cache)
        named.push_back(std::string(cache) + "/" + hex + "/executable");
    else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        named.push_back(std::string(xdg) + "/debuginfod_client/" + hex + "/executable");
    else if (const char* home = std::getenv("HOME"); home && *home)
        named.push_back(std::string(home) + "/.cache/debuginfod_client/" + hex + "/executable");
    std::vector<std::string> places;
    if (auto it = options.files_by_build_id.find(hex); it != options.files_by_build_id.end())
        places.push_back(it->second);
    for (const std::string& n : named)
        for (std::string& p : places_of(n, options)) places.push_back(std::move(p));
    return places;
}

bool is_pseudo_file(const std::string& path) {
    return path.starts_with("/proc/") || path.starts_with("/sys/");
}

bool is_special_file(const std::string& path) {
    return path.starts_with("/dev/") || path.starts_with("/memfd:") || path.starts_with("/SYSV") ||
           is_pseudo_file(path);
}

} // namespace heapy::memory
