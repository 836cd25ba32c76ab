#include "core/commands/analysis.hpp"

#include "core/cpython/allocations.hpp"
#include "core/cpython/type_cache.hpp"
#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

namespace {
heap::WalkHooks hooks_for(const FrontEnd& frontend, const char* what) {
    heap::WalkHooks hooks;
    hooks.interrupted = frontend.interrupted;
    hooks.progress = [&frontend, what](uint64_t objects) { frontend.progress(what, objects, 0); };
    return hooks;
}
// The runtime, or an error that also names the Python file the core needs and this machine
// lacks (the executable or libpython): the usual cause when a core comes from elsewhere.
cpython::Runtime locate_runtime(cpython::Reader& reader, const memory::Target& target) {
    cpython::LocateOptions options;
    options.assume_layout = target.assume_layout;
    if (const char* assume = std::getenv("HEAPY_ASSUME_LAYOUT");
        assume && options.assume_layout.empty())
        options.assume_layout = assume;
    try {
        return cpython::locate_runtime(reader, *target.symbols, options);
    } catch (const Error& e) {
        const auto& missing = target.missing_modules;
        auto python = std::find_if(missing.begin(), missing.end(), [](const std::string& path) {
            return path.substr(path.rfind('/') + 1).find("python") != std::string::npos;
        });
        if (python == missing.end()) throw;
        const size_t n = missing.size();
        throw Error(fmt::format("{}; {} file{} the core names {} not here (e.g. {}): for a core "
                                "from a container or another machine, pass --sysroot DIR, the "
                                "directory its files are under",
                                e.what(), n, n == 1 ? "" : "s", n == 1 ? "is" : "are", *python));
    }
}
} // namespace

Analysis::Analysis(memory::Target& target, const FrontEnd& frontend, bool record_relations)
    : frontend_(frontend), symbols_(*target.symbols), reader_(*target.memory),
      runtime_(locate_runtime(reader_, target)) {
    types_ = std::make_unique<cpython::TypeRegistry>(reader_, *runtime_.layout, *target.symbols);
    decoder_ = std::make_unique<cpython::ObjectDecoder>(reader_, *runtime_.layout, *types_);
    if (!runtime_.interpreters.empty())
        decoder_->set_interpreter(runtime_.interpreters.front().address);
    walker_ = std::make_unique<heap::HeapWalker>(*decoder_, graph_);
    if (record_relations) walker_->record_relations();
    walker_->walk_roots(cpython::collect_roots(runtime_, *decoder_),
                        hooks_for(frontend, "objects walked"));
    reachable_end_ = uint32_t(graph_.nodes.size());

    uint64_t builtins = 0;
    if (!runtime_.interpreters.empty())
        builtins = reader_.pointer(runtime_.interpreters.front().address +
                                   runtime_.layout->interp_builtins);
    namer_ = std::make_unique<classify::TypeNamer>(*decoder_, builtins);
    if (const cpython::TypeInfo* dict = types_->get(types_->address_of(cpython::Kind::Dict)))
        dict_type_ = dict->index;
    type_cache_tables_ = cpython::type_cache_tables(runtime_, *target.symbols);
}

Analysis::~Analysis() = default;

const cpython::GcObjects& Analysis::gc_lists() {
    if (!gc_lists_) gc_lists_ = cpython::gc_tracked_objects(runtime_, reader_);
    return *gc_lists_;
}

std::shared_ptr<const std::vector<uint32_t>> Analysis::reachable_set() {
    if (!reachable_) reachable_ = classify::list_reachable(reachable_end_);
    return reachable_;
}

const heap::UnreachableSplit& Analysis::unreachable() {
    if (!unreachable_) {
        std::vector<uint64_t> seeds;
        for (uint64_t address : gc_lists().objects)
            if (graph_.index.find(address) == heap::AddressIndex::kMissing)
                seeds.push_back(address);
        walker_->walk_more(seeds, hooks_for(frontend_, "unreachable objects walked"));
        unreachable_ = heap::split_unreachable(*decoder_, graph_, reachable_end_);
    }
    return *unreachable_;
}

const Analysis::Leaks& Analysis::leaks() {
    if (!leaks_) {
        unreachable();
        // A search cut short by Ctrl-C may have walked some of its objects already: they stay
        // part of the next one.
        if (leaks_first_ == 0) leaks_first_ = uint32_t(graph_.nodes.size());
        Leaks leaks;
        const std::vector<uint64_t> cached_names =
            cpython::type_cache_names(runtime_, reader_, type_cache_tables_);
        auto progress = [this](uint64_t blocks) {
            frontend_.progress("allocator blocks searched", blocks, 0);
        };
        leaks.search = heap::find_unfound_objects(*decoder_, runtime_, graph_, leaks_first_,
                                                  cached_names, frontend_.interrupted, progress);
        std::vector<uint64_t> found = leaks.search.objects;
        std::sort(found.begin(), found.end());
        const std::vector<uint64_t> held = heap::held_by_c(
            reader_, runtime_, symbols_, types_->static_images(), found, leaks.search);
        walker_->walk_more(leaks.search.objects, hooks_for(frontend_, "leaked objects walked"));
        // What C holds, and what it reaches, is not leaked.
        std::vector<bool> held_by_c(graph_.nodes.size() - leaks_first_, false);
        std::vector<uint32_t> stack;
        for (uint64_t address : held)
            if (auto node = node_at(address); node && *node >= leaks_first_) stack.push_back(*node);
        while (!stack.empty()) {
            const uint32_t node = stack.back();
            stack.pop_back();
            if (held_by_c[node - leaks_first_]) continue;
            held_by_c[node - leaks_first_] = true;
            for (uint32_t e = graph_.edge_begin[node]; e < graph_.edge_begin[node + 1]; ++e)
                if (graph_.targets[e] >= leaks_first_) stack.push_back(graph_.targets[e]);
        }
        for (uint32_t node = leaks_first_; node < graph_.nodes.size(); ++node)
            (held_by_c[node - leaks_first_] ? leaks.held_by_c : leaks.nodes).push_back(node);
        leaks_ = std::move(leaks);
    }
    return *leaks_;
}

cpython::Tracemalloc& Analysis::tracemalloc() {
    if (!tracemalloc_)
        tracemalloc_ = std::make_unique<cpython::Tracemalloc>(runtime_, *decoder_, symbols_);
    return *tracemalloc_;
}

std::string Analysis::producer(uint32_t node) {
    if (graph_.nodes[node].kind() != heap::NodeKind::Object) return "";
    const cpython::TypeInfo& type = types_->at(graph_.type_of(node));
    const uint64_t block =
        graph_.nodes[node].address() - cpython::allocation_offset(*runtime_.layout, type.flags);
    const auto trace = tracemalloc().trace(block);
    if (!trace || trace->frames.empty()) return "";
    return fmt::format("{}:{}", trace->frames.front().file, trace->frames.front().line);
}

const heap::Referrers& Analysis::referrers() {
    if (!referrers_ || referrers_->node_count() != graph_.nodes.size()) {
        frontend_.progress("indexing who refers to each object", 0, 0);
        referrers_ = std::make_unique<heap::Referrers>(graph_, frontend_.interrupted);
    }
    return *referrers_;
}

const heap::DominatorTree& Analysis::dominators() {
    if (!dominators_) {
        frontend_.progress("computing dominators", 0, 0);
        dominators_ = heap::dominator_tree(graph_, reachable_end_, frontend_.interrupted);
    }
    return *dominators_;
}

std::optional<uint32_t> Analysis::node_at(uint64_t address) const {
    uint32_t node = graph_.index.find(address);
    if (node == heap::AddressIndex::kMissing) return std::nullopt;
    return node;
}

} // namespace heapy::commands
