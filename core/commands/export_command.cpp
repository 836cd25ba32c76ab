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

// Writes objects to the file as they are described, a chunk at a time.
class Exporter {
  public:
    Exporter(SessionState& state, report::ExportFormat format, ExportFile& file, uint64_t total)
        : state_(state), analysis_(state.analysis()), describer_(state), format_(format),
          file_(file), total_(total) {
        // The callbacks point into this object: it is neither copied nor moved.
        edges_.referent = [this](size_t i) {
            return analysis_.graph().nodes[named_[i].target].address();
        };
        edges_.relation = [this](size_t i, std::string& text) {
            text = heap::via_text(analysis_.decoder(), named_[i]);
        };
        edges_.drain = [this](std::string& out) {
            if (out.size() >= kWriteBytes) file_.write(out);
        };
        buffer_.reserve(kWriteBytes + kWriteBytes / 4);
        report::append_export_header(format_, buffer_);
    }

    Exporter(const Exporter&) = delete;
    Exporter& operator=(const Exporter&) = delete;

    void write(const std::vector<uint32_t>& nodes) {
        for (uint32_t node : nodes) {
            if (objects_ % kNodesPerPoll == 0) {
                if (state_.frontend().interrupted()) throw Interrupted();
                state_.frontend().progress("exporting objects", objects_, total_);
            }
            heap::named_edges(analysis_.decoder(), analysis_.graph(), node, named_);
            edges_.count = named_.size();
            report::append_exported_object(format_, describer_.describe(node), edges_, buffer_);
            if (buffer_.size() >= kWriteBytes) file_.write(buffer_);
            ++objects_;
            references_ += named_.size();
        }
        if (state_.frontend().interrupted()) throw Interrupted();
    }

    void finish() {
        file_.write(buffer_);
        file_.finish();
    }

    uint64_t objects() const { return objects_; }
    uint64_t references() const { return references_; }

  private:
    SessionState& state_;
    Analysis& analysis_;
    ObjectDescriber describer_;
    report::ExportFormat format_;
    ExportFile& file_;
    uint64_t total_;
    std::vector<heap::NamedEdge> named_; // the edges of the object being written
    report::ExportedEdges edges_;        // reads them
    std::string buffer_;
    uint64_t objects_ = 0;
    uint64_t references_ = 0;
};

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

    Exporter exporter(state, format, file, total);
    exporter.write(reachable);
    if (unreachable) exporter.write(*unreachable);
    exporter.finish();

    if (args.flag("json")) {
        std::string out = "{\"file\": ";
        report::append_json_string(path, out);
        return out + fmt::format(", \"format\": \"{}\", \"objects\": {}, \"references\": {}}}\n",
                                 report::export_format_name(format), exporter.objects(),
                                 exporter.references());
    }
    return fmt::format("Exported {} objects ({} references) to {} as {}.\n", exporter.objects(),
                       exporter.references(), path, report::export_format_title(format));
}

} // namespace heapy::commands
