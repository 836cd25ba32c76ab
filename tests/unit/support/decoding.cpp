#include "tests/unit/support/decoding.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace heapy::test {

std::string locate_error(PyHeap& h) {
    cpython::Reader reader(h.memory);
    try {
        cpython::locate_runtime(reader, h.symbols);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

using cpython::RelationKind;

Lines sorted(Lines lines) {
    std::sort(lines.begin(), lines.end());
    return lines;
}

void RecordingSink::edge(uint64_t address, const cpython::Relation& relation,
                         cpython::Referent referent, uint64_t aux) {
    if (edges.size() >= limit_) throw TooManyEdges();
    edges.push_back({address, relation, referent, aux});
}

namespace {

std::string c_string(const PyHeap& heap, uint64_t address) {
    std::string out;
    for (char c; heap.memory.mapped(address) && (c = heap.peek<char>(address)) != 0; ++address)
        out += c;
    return out;
}

} // namespace

std::string relation_text(const PyHeap& heap, const cpython::Relation& relation) {
    std::string text;
    switch (relation.kind) {
    case RelationKind::Attribute:
        text = fmt::format(".{}", relation.name);
        break;
    case RelationKind::AttributeCName:
        text = fmt::format(".{}", c_string(heap, relation.object));
        break;
    case RelationKind::AttributeKey:
        text = fmt::format(".{}", heap.text_of(relation.object));
        break;
    case RelationKind::InterAttribute:
        text = std::string_view(relation.name) == "??" ? fmt::format("->??@{}", relation.index)
                                                       : fmt::format("->{}", relation.name);
        break;
    case RelationKind::Index:
        text = fmt::format("[{}]", relation.index);
        break;
    case RelationKind::DictValue:
        text = fmt::format("[{}]", heap.describe(relation.object));
        break;
    case RelationKind::DictKey:
        text = fmt::format(".keys()[{}]", relation.index);
        break;
    case RelationKind::LocalVar:
        text = relation.object ? fmt::format(".f_locals[{}]", heap.describe(relation.object))
                               : fmt::format(".f_locals[#{}]", relation.index);
        break;
    case RelationKind::Stack:
        text = fmt::format("->f_valuestack[{}]", relation.index);
        break;
    case RelationKind::SetMember:
        text = fmt::format("list(_)[{}]", relation.index);
        break;
    case RelationKind::Root:
        text = "<root>";
        break;
    case RelationKind::Unknown:
        text = ".??";
        break;
    }
    if (relation.owned_dict) text += " (owns)";
    return text;
}

std::string edge_text(const PyHeap& heap, const Edge& edge) {
    std::string text = relation_text(heap, edge.relation) + " " + heap.describe(edge.target);
    switch (edge.referent) {
    case cpython::Referent::Object:
        break;
    case cpython::Referent::Guess:
    case cpython::Referent::Scanned:
        text += " (guess)";
        break;
    case cpython::Referent::ManagedValues:
        text += " (values)";
        break;
    case cpython::Referent::InterpreterFrame:
        text += " (frame)";
        break;
    }
    return text;
}

Decoding::Decoding(PyHeap& h)
    : heap(h), reader(h.memory), types(reader, h.L, h.symbols), decoder(reader, h.L, types) {}

const cpython::TypeInfo& Decoding::type(uint64_t object) {
    const cpython::TypeInfo* info = types.get(heap.type_of(object));
    if (!info) throw std::runtime_error(fmt::format("{} has no valid type", heap.describe(object)));
    return *info;
}

uint64_t Decoding::size(uint64_t object) {
    return decoder.size(object, type(object));
}

std::vector<Edge> Decoding::edges(uint64_t object, size_t limit) {
    RecordingSink sink(limit);
    decoder.referents(object, type(object), sink);
    return sink.edges;
}

Lines Decoding::referents(uint64_t object, size_t limit) {
    Lines out;
    for (const Edge& edge : edges(object, limit)) out.push_back(edge_text(heap, edge));
    return out;
}

Lines Decoding::frame_referents(uint64_t frame) {
    RecordingSink sink;
    decoder.interpreter_frame_referents(frame, sink);
    Lines out;
    for (const Edge& edge : sink.edges) out.push_back(edge_text(heap, edge));
    return out;
}

Lines Decoding::values_referents(uint64_t values, uint64_t owner_type) {
    const cpython::TypeInfo* info = types.get(owner_type);
    if (!info) throw std::runtime_error(heap.describe(owner_type) + " is not a valid type");
    RecordingSink sink;
    decoder.managed_values_referents(values, *info, sink);
    Lines out;
    for (const Edge& edge : sink.edges) out.push_back(edge_text(heap, edge));
    return out;
}

Program::Program() {
    builtins = h.name(h.dict({{h.str("int"), h.t.int_},
                              {h.str("str"), h.t.str},
                              {h.str("dict"), h.t.dict},
                              {h.str("tuple"), h.t.tuple},
                              {h.str("type"), h.t.type},
                              {h.str("object"), h.t.object}}),
                      "builtins");
    globals = h.name(h.dict({{h.str("__name__"), h.str("__main__")}}), "globals");
    main = h.module("__main__", globals);
    modules = h.name(h.dict({{h.str("__main__"), main}}), "sys.modules");
    interp = h.interpreter({.modules = modules, .builtins = builtins});
}

uint64_t Program::global(std::string_view name, uint64_t value) {
    h.dict_set(globals, h.str(name), value);
    return value;
}

std::string row(const Lines& rows, std::string_view kind) {
    const std::string prefix = std::string(kind) + " ";
    for (const auto& line : rows)
        if (line.rfind(prefix, 0) == 0 &&
            std::count(line.begin() + long(prefix.size()), line.end(), ' ') == 1)
            return line;
    return "";
}

namespace {
uint64_t builtins_of(const cpython::Runtime& runtime, cpython::Reader& reader) {
    if (runtime.interpreters.empty()) return 0;
    return reader.pointer(runtime.interpreters.front().address + runtime.layout->interp_builtins);
}
} // namespace

Walk::Walk(PyHeap& h, bool record_relations)
    : heap(h), reader(h.memory), runtime(cpython::locate_runtime(reader, h.symbols)),
      types(reader, *runtime.layout, h.symbols), decoder(reader, *runtime.layout, types),
      roots(cpython::collect_roots(runtime, decoder)),
      graph(heap::walk_heap(decoder, roots, {}, record_relations)),
      namer(decoder, builtins_of(runtime, reader)) {}

uint32_t Walk::node(uint64_t address) const {
    return graph.index.find(address);
}

bool Walk::reached(uint64_t address) const {
    return node(address) != heap::AddressIndex::kMissing;
}

uint64_t Walk::size_of(uint64_t address) const {
    uint32_t n = node(address);
    if (n == heap::AddressIndex::kMissing)
        throw std::runtime_error(heap.describe(address) + " was not reached");
    return graph.size_of(n);
}

namespace {

// The classifier API has changed shape over time (the context grew a reachable_end, partition
// returned the table alone); these keep the tests independent of that.
template <class Context>
Context make_context(const heap::ObjectGraph& graph, classify::TypeNamer& namer, uint32_t dict) {
    if constexpr (requires(Context c) { c.reachable_end; })
        return Context{graph, namer, dict, uint32_t(graph.nodes.size())};
    else
        return Context{graph, namer, dict};
}

template <class Result> const report::Partition& table_of(const Result& result) {
    if constexpr (requires { result.table; })
        return result.table;
    else
        return result;
}

} // namespace

classify::ClassifyContext Walk::context() {
    const cpython::TypeInfo* dict = types.get(types.address_of(cpython::Kind::Dict));
    return make_context<classify::ClassifyContext>(graph, namer, dict ? dict->index : 0);
}

Lines Walk::rows(classify::Classifier classifier) {
    std::vector<uint32_t> nodes(graph.object_count());
    std::iota(nodes.begin(), nodes.end(), 1u);
    auto info =
        classify::find_classifier(classifier == classify::Classifier::Clodo ? "clodo" : "type");
    const auto result = classify::partition(context(), nodes, *info);
    const report::Partition& table = table_of(result);
    Lines out;
    for (size_t i = 0; i < table.rows.size(); ++i)
        out.push_back(
            fmt::format("{} {} {}", table.kind(i), table.rows[i].count, table.rows[i].size));
    return out;
}

std::string Walk::clodo_kind(uint64_t address) {
    uint32_t n = node(address);
    if (n == heap::AddressIndex::kMissing) return "(not reached)";
    const auto result = classify::partition(context(), {n}, *classify::find_classifier("clodo"));
    const report::Partition& table = table_of(result);
    return table.rows.empty() ? "" : table.kind(0);
}

Lines Walk::referents(uint64_t address) const {
    uint32_t n = node(address);
    if (n == heap::AddressIndex::kMissing) return {"(not reached)"};
    Lines out;
    for (uint32_t e = graph.edge_begin[n]; e < graph.edge_begin[n + 1]; ++e)
        out.push_back(heap.describe(graph.nodes[graph.targets[e]].address()));
    return out;
}

Lines Walk::root_names() const {
    return graph.root_names;
}

} // namespace heapy::test
