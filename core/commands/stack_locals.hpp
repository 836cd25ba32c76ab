#pragma once

#include "core/commands/analysis.hpp"
#include "core/cpython/python_stacks.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::commands {

// A frame's local as the tables show an object: its kind, its size and what it retains.
struct LocalRow {
    const cpython::LocalVariable* local;
    std::string kind;
    uint64_t size = 0;
    uint64_t retained = 0;
    bool known = false; // the object is a node of the reachable heap
};

// The locals of `frame`, those that retain most first (stacks, report).
std::vector<LocalRow> local_rows(Analysis& a, classify::ClassifyContext& context,
                                 const cpython::PythonFrame& frame);

} // namespace heapy::commands
