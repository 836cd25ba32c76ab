// export: the whole object graph as JSON Lines or CSV, for other tools.
#include "core/commands/commands.hpp"
#include "core/commands/export_file.hpp"
#include "core/errors.hpp"
#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "core/report/export_format.hpp"

#include <fmt/format.h>

#include <unordered_map>

namespace heapy::commands {

namespace {

constexpr size_t kWriteBytes = size_t{1} << 20; // written out when the buffer holds this much
constexpr uint32_t kNodesPerPoll = 4096;        // Ctrl-C and progress

report::ExportFormat format_option(const Arguments& args, const std::string& path) {
    if (const std::string* name = args.value("format")) {
        if (auto format = report::export_format_named(*name)) return *format;
        throw Error(fmt::format("unknown export format '{}': use jsonl or csv", *name));
    }
    if (auto format = report::export_format_of_path(path)) return *format;
    throw Error(fmt::format("cannot tell the format of {} from its name: give --format jsonl or "
                            "--format csv (or name it .jsonl, .ndjson, .json or .csv)",
                            path));
}

// What each node is exported as; the names of kinds and the root's edges are found once.
class ObjectDescriber {
  public:
    explicit ObjectDescriber(SessionState& state)
        : analysis_(state.analysis()), graph_(analysis_.graph()),
          context_(state.context(*classify::find_classifier("clodo"))) {
        for (const heap::NamedEdge& edge :
             heap::named_edges(analysis_.decoder(), graph_, heap::ObjectGraph::kRoot))
            root_names_.emplace(edge.target, edge.root_name); // the first name of each
    }

    report::ExportedObject describe(uint32_t node) {
        const heap::Node& n = graph_.nodes[node];
        const uint32_t type = graph_.type_of(node);
        report::ExportedObject out;
        out.address = n.address();
        out.type = context_.names.name(type);
        out.type_address = analysis_.decoder().types().at(type).address;
        out.kind = kind_name(node);
        out.size = graph_.size_of(node);
        if (const uint32_t owner = graph_.dict_owner(node); owner != heap::ObjectGraph::kNoOwner)
            out.owner = graph_.nodes[owner].address();
        if (auto root = root_names_.find(node); root != root_names_.end()) out.root = root->second;
        if (n.kind() == heap::NodeKind::ManagedValues) out.virtual_kind = "dict";
        if (n.kind() == heap::NodeKind::InterpreterFrame) out.virtual_kind = "frame";
        out.reachable = analysis_.is_reachable(node);
        return out;
    }

  private:
    const std::string& kind_name(uint32_t node) {
        const uint64_t key = classify::clodo_key(context_, node);
        auto [it, added] = kind_names_.try_emplace(key);
        if (added) it->second = classify::clodo_name(context_, node);
        return it->second;
    }

    Analysis& analysis_;
    const heap::ObjectGraph& graph_;
    classify::ClassifyContext context_;
    std::unordered_map<uint32_t, std::string_view> root_names_;
    std::unordered_map<uint64_t, std::string> kind_names_;
};

struct ExportCounts {
    uint64_t objects = 0;
    uint64_t references = 0;
};

// Writes `nodes` to `file`, counting into `counts`.
void export_nodes(SessionState& state, const std::vector<uint32_t>& nodes,
                  report::ExportFormat format, ObjectDescriber& describer, ExportFile& file,
                  std::string& buffer, ExportCounts& counts, uint64_t total) {
    Analysis& a = state.analysis();
    const heap::ObjectGraph& graph = a.graph();
    std::vector<heap::NamedEdge> edges;
    report::ExportedEdges exported;
    exported.referent = [&](size_t i) { return graph.nodes[edges[i].target].address(); };
    exported.relation = [&](size_t i, std::string& text) {
        text = heap::via_text(a.decoder(), edges[i]);
    };
    exported.drain = [&](std::string& out) {
        if (out.size() >= kWriteBytes) file.write(out);
    };
    for (uint32_t node : nodes) {
        if (counts.objects % kNodesPerPoll == 0) {
            if (state.frontend().interrupted()) throw Interrupted();
            state.frontend().progress("exporting objects", counts.objects, total);
        }
        heap::named_edges(a.decoder(), graph, node, edges);
        exported.count = edges.size();
        report::append_exported_object(format, describer.describe(node), exported, buffer);
        if (buffer.size() >= kWriteBytes) file.write(buffer);
        ++counts.objects;
        counts.references += edges.size();
    }
    if (state.frontend().interrupted()) throw Interrupted();
}

} // namespace

std::string cmd_export(SessionState& state, const Arguments& args) {
    if (args.positional.size() != 1)
        throw Error("'heapy export' needs one file name (see 'heapy help export')");
    const std::string& path = args.positional[0];
    const report::ExportFormat format = format_option(args, path);
    ExportFile file(path); // before the walk: a path that cannot be written fails at once
    Analysis& a = state.analysis();
    const std::vector<uint32_t>& reachable = a.reachable();
    const std::vector<uint32_t>* unreachable =
        args.flag("unreachable") ? &a.unreachable().all : nullptr;
    const uint64_t total = reachable.size() + (unreachable ? unreachable->size() : 0);

    ObjectDescriber describer(state);
    std::string buffer;
    buffer.reserve(kWriteBytes + (kWriteBytes >> 2));
    report::append_export_header(format, buffer);
    ExportCounts counts;
    export_nodes(state, reachable, format, describer, file, buffer, counts, total);
    if (unreachable)
        export_nodes(state, *unreachable, format, describer, file, buffer, counts, total);
    file.write(buffer);
    file.finish();

    if (args.flag("json")) {
        std::string out = "{\"file\": ";
        report::append_json_string(path, out);
        return out + fmt::format(", \"format\": \"{}\", \"objects\": {}, \"references\": {}}}\n",
                                 report::export_format_name(format), counts.objects,
                                 counts.references);
    }
    return fmt::format("Exported {} objects ({} references) to {} as {}.\n", counts.objects,
                       counts.references, path, report::export_format_title(format));
}

} // namespace heapy::commands
