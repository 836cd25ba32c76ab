#pragma once

// What `top` lists (top_command.cpp), for the report too.

#include "core/commands/analysis.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::commands {

// One row of the table: an object, or a kind (address 0) with its objects in `nodes`.
struct TopEntry {
    std::string name;
    uint64_t address = 0;
    uint64_t retained = 0;
    uint64_t size = 0;
    uint64_t count = 0;
    std::string path;
    std::vector<uint32_t> nodes;
};

struct TopOptions {
    size_t limit = 10;
    bool by_size = false;
    bool kinds = false;
    bool by_producer = false; // kinds are where objects were allocated (--by prod)
};

// The table `top` prints: a title line, the header, and a line per entry (with its path under
// it); the columns of numbers widen alike where a number does not fit.
std::string top_text(const std::vector<TopEntry>& entries, const TopOptions& options,
                     size_t reachable_count, uint64_t reachable_size);

// heapy's first shortest path to `node` ("" when none).
std::string first_path(Analysis& a, uint32_t node);
// The objects that retain (or, by_size, own) the most, with their first paths.
std::vector<TopEntry> top_objects(Analysis& a, const classify::ClassifyContext& context,
                                  const TopOptions& options);
// Per kind: the objects of the kind that no other object of the kind dominates.
std::vector<TopEntry> top_kinds(Analysis& a, const classify::ClassifyContext& context,
                                const TopOptions& options);

} // namespace heapy::commands
