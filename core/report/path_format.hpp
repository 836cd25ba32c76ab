#pragma once

// heapy's shortest-path listing (HEAPY.md §5.2): `X.sp`, `X.sp.more`, `X.sp.all`.

#include "core/report/set_format.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace heapy::report {

// '%2d: %s' % (index, text), e.g. " 0: hp.Root.i0_modules['__main__'].__dict__['alias']".
std::string format_path_line(size_t index, std::string_view text);

// "<... %d more paths ...>"
std::string more_paths_msg(int64_t remaining);

// Lines [first, first + max_lines) of the path listing, no label, no header, with the 11th-line
// rule and the "<... N more paths ...>" footer; "<No more paths>" when `first` is past the end
// of a non-empty listing; "" when there is no path. `paths` are the path texts (e.g.
// "hp.Root.i0_modules['__main__']"), in heapy's order.
std::string format_paths(const std::vector<std::string>& paths, size_t first = 0,
                         size_t max_lines = kRowsPerPage);

// The same for a listing produced lazily: `num_paths` paths, `path(i)` the text of path i
// (called only for the lines printed and the one after them).
std::string format_paths(size_t num_paths, const std::function<std::string(size_t)>& path,
                         size_t first = 0, size_t max_lines = kRowsPerPage);

// Where `.more` continues after format_paths(..., first, max_lines).
size_t paths_page_end(size_t num_paths, size_t first, size_t max_lines = kRowsPerPage);

// {"paths": ["hp.Root....", ...]} on one line (DESIGN.md).
std::string paths_json(const std::vector<std::string>& paths);

} // namespace heapy::report
