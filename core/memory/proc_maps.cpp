#include "core/memory/proc_maps.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>

namespace heapy::memory {

namespace {

bool hex(std::string_view& s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    if (ec != std::errc() || p == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    return true;
}

bool skip(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

void skip_spaces(std::string_view& s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::string_view word(std::string_view& s) {
    skip_spaces(s);
    size_t n = 0;
    while (n < s.size() && s[n] != ' ' && s[n] != '\t') ++n;
    std::string_view w = s.substr(0, n);
    s.remove_prefix(n);
    return w;
}

} // namespace

std::vector<Region> parse_proc_maps(std::string_view text) {
    std::vector<Region> out;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        Region r;
        std::string_view s = line;
        if (!hex(s, r.start) || !skip(s, '-') || !hex(s, r.end) || r.end <= r.start) continue;
        std::string_view perms = word(s);
        if (perms.size() < 4) continue;
        r.readable = perms[0] == 'r';
        r.writable = perms[1] == 'w';
        r.executable = perms[2] == 'x';
        std::string_view off = word(s);
        if (!hex(off, r.file_offset)) continue;
        word(s); // device
        word(s); // inode
        skip_spaces(s);
        r.path = std::string(s);
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(),
              [](const Region& a, const Region& b) { return a.start < b.start; });
    return out;
}

std::vector<Region> read_proc_maps(int pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/maps";
    std::ifstream in(path);
    if (!in)
        throw Error("cannot read " + path + ": " + std::strerror(errno) + "; is process " +
                    std::to_string(pid) + " still running?");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_proc_maps(ss.str());
}

std::vector<int> list_threads(int pid) {
    std::vector<int> tids;
    std::string path = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return tids;
    while (dirent* e = ::readdir(dir)) {
        int tid = 0;
        const char* name = e->d_name;
        auto [p, ec] = std::from_chars(name, name + std::strlen(name), tid);
        if (ec == std::errc() && *p == '\0' && tid > 0) tids.push_back(tid);
    }
    ::closedir(dir);
    std::sort(tids.begin(), tids.end());
    return tids;
}

bool is_unreadable_pseudo_mapping(std::string_view path) {
    return path == "[vvar]" || path == "[vsyscall]" || path == "[vvar_vclock]";
}

} // namespace heapy::memory
