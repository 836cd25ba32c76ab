#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/render.hpp"
#include "core/heap/reference_pattern.hpp"
#include "core/heap/referrers.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::commands {

// Everything a reference pattern needs after the command returned: heapy's referrers, Clodo
// partition, stop kinds and summaries over the analysis. Long steps report progress and stop at
// Ctrl-C (the context's checkpoint).
class ClassifiedSource final : public heap::RefPatSource {
  public:
    ClassifiedSource(classify::ClassifyContext context, const heap::Referrers& referrers);

    heap::NodeList referrers(const heap::NodeList& set) override;
    std::vector<heap::NodeList> partition(const heap::NodeList& set) override;
    bool stops(const heap::NodeList& set) override;
    std::string summary(const heap::NodeList& set, long max_length) override;

    classify::Renderer& renderer() { return renderer_; }

  private:
    // `nodes` sorted, without duplicates.
    heap::NodeList sorted_unique(heap::NodeList nodes) const;

    classify::ClassifyContext context_;
    classify::Renderer renderer_;
    const heap::Referrers& referrers_;
    classify::ClassifierInfo clodo_;
    std::vector<uint8_t> held_by_root_;
};

} // namespace heapy::commands
