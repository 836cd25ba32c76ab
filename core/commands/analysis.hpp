#pragma once

#include "core/classify/classifier.hpp"
#include "core/classify/type_namer.hpp"
#include "core/commands/frontend.hpp"
#include "core/cpython/object_decoder.hpp"
#include "core/cpython/reader.hpp"
#include "core/cpython/runtime.hpp"
#include "core/cpython/type_registry.hpp"
#include "core/heap/object_graph.hpp"
#include "core/memory/target.hpp"

#include <memory>
#include <vector>

namespace heapy::commands {

// The analysed target: its runtime, decoders and the reachable heap, built once per session.
class Analysis {
  public:
    // Finds the runtime and walks the heap. Throws heapy::Error / heapy::Interrupted.
    Analysis(memory::Target& target, const FrontEnd& frontend);

    const cpython::Runtime& runtime() const { return runtime_; }
    cpython::ObjectDecoder& decoder() { return *decoder_; }
    const heap::ObjectGraph& graph() const { return graph_; }
    const std::vector<uint32_t>& reachable() const { return reachable_; }
    classify::ClassifyContext classify_context() { return {graph_, *namer_, dict_type_}; }

  private:
    cpython::Reader reader_;
    cpython::Runtime runtime_;
    std::unique_ptr<cpython::TypeRegistry> types_;
    std::unique_ptr<cpython::ObjectDecoder> decoder_;
    heap::ObjectGraph graph_;
    std::unique_ptr<classify::TypeNamer> namer_;
    std::vector<uint32_t> reachable_;
    uint32_t dict_type_ = 0;
};

} // namespace heapy::commands
