#pragma once

#include "core/heap/object_graph.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace heapy::heap {

// The graph's edges reversed: who refers to each node (compressed rows, like ObjectGraph).
class Referrers {
  public:
    // `interrupted` is polled every kNodesPerPoll nodes of each pass (heapy::Interrupted).
    explicit Referrers(const ObjectGraph& graph, const std::function<bool()>& interrupted = {});

    std::span<const uint32_t> of(uint32_t node) const {
        return {sources_.data() + begin_[node], sources_.data() + begin_[node + 1]};
    }
    size_t node_count() const { return begin_.empty() ? 0 : begin_.size() - 1; }

    static constexpr uint32_t kNodesPerPoll = uint32_t{1} << 16;

  private:
    std::vector<uint32_t> begin_;
    std::vector<uint32_t> sources_;
};

} // namespace heapy::heap
