#include "core/commands/analysis.hpp"

#include "core/heap/heap_walker.hpp"

#include <numeric>

namespace heapy::commands {

Analysis::Analysis(memory::Target& target, const FrontEnd& frontend)
    : reader_(*target.memory), runtime_(cpython::locate_runtime(reader_, *target.symbols)) {
    types_ = std::make_unique<cpython::TypeRegistry>(reader_, *runtime_.layout, *target.symbols);
    decoder_ = std::make_unique<cpython::ObjectDecoder>(reader_, *runtime_.layout, *types_);
    auto roots = cpython::collect_roots(runtime_, *decoder_);
    heap::WalkHooks hooks;
    hooks.interrupted = frontend.interrupted;
    hooks.progress = [&](uint64_t objects) { frontend.progress("walking the heap", objects, 0); };
    graph_ = heap::walk_heap(*decoder_, roots, hooks);
    reachable_.resize(graph_.object_count());
    std::iota(reachable_.begin(), reachable_.end(), 1u);

    uint64_t builtins = 0;
    if (!runtime_.interpreters.empty())
        builtins = reader_.pointer(runtime_.interpreters.front().address + runtime_.layout->interp_builtins);
    namer_ = std::make_unique<classify::TypeNamer>(*decoder_, builtins);
    if (const cpython::TypeInfo* dict = types_->get(types_->address_of(cpython::Kind::Dict))) dict_type_ = dict->index;
}

} // namespace heapy::commands
