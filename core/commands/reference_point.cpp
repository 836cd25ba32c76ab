#include "core/commands/reference_point.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace heapy::commands {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, ReferencePoint> points;
};

Registry& registry() {
    static Registry* r = new Registry(); // never destroyed: a debugger may exit in any order
    return *r;
}

// Field 22 of /proc/PID/stat (the start time in clock ticks), or "" when it cannot be read.
std::string start_time(int pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return {};
    std::istringstream fields(stat.substr(paren + 1));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22) return field;
    return {};
}

} // namespace

std::optional<std::string> ReferencePoints::key_of(const memory::Target& target) {
    if (!target.pid) return std::nullopt;
    // The description tells a live process from a core of it that a debugger reads for us
    // (which has the pid too).
    return fmt::format("pid {} started {}: {}", *target.pid, start_time(*target.pid),
                       target.description);
}

ReferencePoint ReferencePoints::find(const std::string& key) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.points.find(key);
    return it == r.points.end() ? nullptr : it->second;
}

void ReferencePoints::put(const std::string& key, ReferencePoint point) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.points[key] = std::move(point);
}

void ReferencePoints::erase(const std::string& key) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.points.erase(key);
}

bool is_live_process(const memory::Target& target) {
    return target.pid && !target.description.starts_with("core");
}

bool contains(const std::vector<uint64_t>& point, uint64_t address) {
    return std::binary_search(point.begin(), point.end(), address);
}

} // namespace heapy::commands
