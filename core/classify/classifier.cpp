#include "core/classify/classifier.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace heapy::classify {

namespace {

constexpr ClassifierInfo kClassifiers[] = {
    {Classifier::Clodo, "clodo", "Kind (class / dict of class)"},
    {Classifier::Type, "type", "Type"},
};

constexpr uint64_t kDictOfBit = uint64_t{1} << 40;
constexpr uint64_t kDictNoOwner = uint64_t{2} << 40;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// A number that identifies the kind of `node`; names are computed once per kind.
uint64_t kind_key(const ClassifyContext& context, uint32_t node, Classifier classifier) {
    const heap::Node& n = context.graph.nodes[node];
    if (classifier == Classifier::Type) return n.type();
    bool dict = n.kind() == heap::NodeKind::ManagedValues ||
                (n.kind() == heap::NodeKind::Object && n.type() == context.dict_type);
    if (!dict) return n.type();
    uint32_t owner = context.graph.dict_owner[node];
    if (owner == heap::ObjectGraph::kNoOwner) return kDictNoOwner;
    return kDictOfBit | context.graph.nodes[owner].type();
}

std::string kind_name(const ClassifyContext& context, uint64_t key) {
    if (key == kDictNoOwner) return "dict (no owner)";
    if (key & kDictOfBit) return "dict of " + context.names.name(uint32_t(key & ~kDictOfBit));
    return context.names.name(uint32_t(key));
}

} // namespace

std::optional<ClassifierInfo> find_classifier(std::string_view name) {
    for (const auto& info : kClassifiers)
        if (iequals(info.name, name)) return info;
    return std::nullopt;
}

std::string classifier_names() {
    std::string out;
    for (const auto& info : kClassifiers) {
        if (!out.empty()) out += ", ";
        out += info.name;
    }
    return out;
}

report::Partition partition(const ClassifyContext& context, const std::vector<uint32_t>& nodes,
                            const ClassifierInfo& classifier) {
    struct Totals {
        uint64_t count = 0;
        uint64_t size = 0;
    };
    std::unordered_map<uint64_t, Totals> totals;
    report::Partition out;
    out.classifier = std::string(classifier.name);
    out.header = std::string(classifier.header);
    for (uint32_t node : nodes) {
        uint64_t size = context.graph.size_of(node);
        Totals& t = totals[kind_key(context, node, classifier.classifier)];
        ++t.count;
        t.size += size;
        ++out.count;
        out.size += size;
    }
    out.rows.reserve(totals.size());
    for (const auto& [key, t] : totals) out.rows.push_back({kind_name(context, key), t.count, t.size});
    std::sort(out.rows.begin(), out.rows.end(), [](const report::PartitionRow& a, const report::PartitionRow& b) {
        return a.size != b.size ? a.size > b.size : a.kind < b.kind;
    });
    return out;
}

} // namespace heapy::classify
