#pragma once

#include "core/commands/frontend.hpp"

#include <cstdint>
#include <vector>

namespace heapy::commands {

// `nodes` (node numbers below `node_count`) sorted, without duplicates. Millions of nodes are
// marked and listed in order rather than sorted, polling for Ctrl-C (heapy::Interrupted) as it
// goes.
std::vector<uint32_t> sorted_unique(std::vector<uint32_t> nodes, size_t node_count,
                                    const FrontEnd& frontend);

// Polls for Ctrl-C every `kNodesPerPoll` steps of a loop over nodes (heapy::Interrupted).
inline constexpr size_t kNodesPerPoll = 1 << 16;
void poll_interrupt(const FrontEnd& frontend);

} // namespace heapy::commands
