// heapy's renders (UniSet.Summary_str, Classifiers.OwnedDictFamily, UniSet.OrFamily) and the
// strings built from them: identity tables, briefs, reference pattern summaries.
#include "core/classify/render.hpp"
#include "core/report/pyunicode.hpp"

#include "core/cpython/object_repr.hpp"
#include "core/report/pyrepr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace heapy::classify {

namespace {

using cpython::Kind;
using cpython::TypeInfo;

constexpr std::string_view kRootKind = "guppy.heapy.heapyc.RootStateType";
constexpr size_t kMaxSortChars = size_t{1} << 20;
constexpr int64_t kMaxLength = int64_t{1} << 40;

// Python str lengths and slices count code points; our strings are UTF-8.
size_t cp_len(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// s[:n] in code points, with Python's meaning of a negative n (len(s) + n, at least 0).
std::string cp_prefix(std::string_view s, long n) {
    if (n < 0) n = std::max<long>(0, long(cp_len(s)) + n);
    size_t count = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (count == size_t(n)) return std::string(s.substr(0, i));
            ++count;
        }
    }
    return std::string(s);
}

// Where a str object keeps its characters, so that slices of long strings can be read.
struct StrData {
    int64_t length = 0;
    uint32_t kind = 1; // bytes per character
    uint64_t data = 0;
};

std::optional<StrData> str_data(cpython::ObjectDecoder& decoder, uint64_t address) {
    const cpython::Layout& l = decoder.layout();
    cpython::Reader& reader = decoder.reader();
    uint32_t state = 0;
    StrData s;
    if (!reader.read(address + l.str_state, state) ||
        !reader.read(address + l.str_length, s.length))
        return std::nullopt;
    if (s.length < 0 || s.length > kMaxLength) return std::nullopt;
    s.kind = (state >> l.str_kind_shift) & 7;
    const bool compact = (state >> l.str_compact_bit) & 1;
    const bool ascii = (state >> l.str_ascii_bit) & 1;
    if (s.kind != 1 && s.kind != 2 && s.kind != 4) return std::nullopt;
    s.data = compact ? address + (ascii ? l.str_ascii_size : l.str_compact_size)
                     : reader.pointer(address + l.str_data);
    if (!s.data) return std::nullopt;
    return s;
}

// Characters [begin, end) of a str as UTF-8.
std::optional<std::string> str_chars(cpython::Reader& reader, const StrData& s, int64_t begin,
                                     int64_t end) {
    begin = std::clamp<int64_t>(begin, 0, s.length);
    end = std::clamp<int64_t>(end, begin, s.length);
    std::string raw(size_t(end - begin) * s.kind, '\0');
    if (!raw.empty() &&
        !reader.read_bytes(s.data + uint64_t(begin) * s.kind, raw.data(), raw.size()))
        return std::nullopt;
    if (s.kind == 1) {
        bool ascii = std::all_of(raw.begin(), raw.end(), [](char c) {
            return (static_cast<unsigned char>(c) & 0x80) == 0;
        });
        if (ascii) return raw;
    }
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); i += s.kind) {
        uint32_t c = 0;
        if (s.kind == 1)
            c = static_cast<unsigned char>(raw[i]);
        else if (s.kind == 2)
            c = static_cast<unsigned char>(raw[i]) |
                (uint32_t(static_cast<unsigned char>(raw[i + 1])) << 8);
        else
            std::memcpy(&c, raw.data() + i, 4);
        report::append_utf8(out, c > 0x10FFFF ? 0xFFFD : c);
    }
    return out;
}

// repr() of a float inside a complex repr: the 'r' format without the '.0' heapy's float repr adds.
std::string complex_part(double value, bool sign) {
    std::string text = report::py_repr_float(value);
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0)
        text.resize(text.size() - 2);
    if (sign && text[0] != '-') text.insert(text.begin(), '+');
    return text;
}

// What an object is sorted by among objects of the same size and kind.
struct SortKey {
    enum Class : uint8_t { Address, Text, Int, Float, None };
    Class cls = Address;
    bool negative = false; // Int
    std::string text;      // Text: the value (str as UTF-8, bytes, render); Int: decimal magnitude
    double number = 0;     // Float
};

int compare_keys(const SortKey& a, const SortKey& b) {
    if (a.cls != b.cls) return a.cls < b.cls ? -1 : 1;
    switch (a.cls) {
    case SortKey::Text: {
        int c = a.text.compare(b.text);
        return c < 0 ? -1 : c > 0;
    }
    case SortKey::Int: {
        if (a.negative != b.negative) return a.negative ? -1 : 1;
        int c = a.text.size() != b.text.size() ? (a.text.size() < b.text.size() ? -1 : 1)
                                               : a.text.compare(b.text);
        c = c < 0 ? -1 : c > 0;
        return a.negative ? -c : c;
    }
    case SortKey::Float: {
        bool an = std::isnan(a.number), bn = std::isnan(b.number);
        if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
        return a.number < b.number ? -1 : a.number > b.number;
    }
    case SortKey::Address:
    case SortKey::None:
        break;
    }
    return 0;
}

std::string basename(std::string_view path) {
    size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

} // namespace

std::string Renderer::KindInfo::header() const {
    std::string_view h;
    switch (fn) {
    case RenderFn::Address:
        h = "Address";
        break;
    case RenderFn::AddressLen:
        h = "Address*Length";
        break;
    case RenderFn::LimRepr:
        h = "Representation (limited)";
        break;
    case RenderFn::Repr:
        h = "Value";
        break;
    case RenderFn::Type:
    case RenderFn::Builtin:
    case RenderFn::Function:
    case RenderFn::Module:
        h = "Name";
        break;
    case RenderFn::Code:
        h = "File:Line:Name";
        break;
    case RenderFn::Frame:
        h = "Name at Address";
        break;
    case RenderFn::Method:
        h = "Type/<Type at address> . method";
        break;
    case RenderFn::Traceback:
        h = "Frame at Address";
        break;
    }
    return dict_of ? "Owner " + std::string(h) : std::string(h);
}

Renderer::Renderer(const ClassifyContext& context) : context_(context) {}

uint64_t Renderer::kind_key(uint32_t node) const {
    return clodo_key(context_, node);
}

namespace {
// heapy's Summary_str table: the render of objects of exactly this type.
Renderer::RenderFn render_fn_of(const TypeInfo& type) {
    using F = Renderer::RenderFn;
    if (type.flags & cpython::kTpFlagTypeSubclass) return F::Type; // issubclass(key, type)
    if (type.heap) return F::Address;
    switch (type.kind) {
    case Kind::Str:
    case Kind::Bytes:
        return F::LimRepr;
    case Kind::Int:
    case Kind::Bool:
    case Kind::Float:
    case Kind::Complex:
    case Kind::None:
        return F::Repr;
    case Kind::CFunction:
        return F::Builtin;
    case Kind::Code:
        return F::Code;
    case Kind::Frame:
        return F::Frame;
    case Kind::Function:
        return F::Function;
    case Kind::Method:
        return F::Method;
    case Kind::Module:
        return F::Module;
    case Kind::Traceback:
        return F::Traceback;
    case Kind::List:
    case Kind::Tuple:
    case Kind::Dict:
        return F::AddressLen;
    default:
        return F::Address;
    }
}
} // namespace

const Renderer::KindInfo& Renderer::kind_of(uint32_t node) {
    const uint64_t key = kind_key(node);
    auto [it, inserted] = kind_index_.emplace(key, kinds_.size());
    if (!inserted) return kinds_[it->second];
    KindInfo info;
    cpython::TypeRegistry& types = context_.decoder->types();
    if (key == kRootKey) {
        info.brief = std::string(kRootKind);
    } else if (key == kDictNoOwner) {
        info.brief = "dict (no owner)";
        info.fn = RenderFn::AddressLen;
    } else if (key & kDictOfBit) {
        uint32_t owner_type = uint32_t(key & ~kDictOfBit);
        info.brief = "dict of " + context_.names.name(owner_type);
        info.fn = render_fn_of(types.at(owner_type));
        info.dict_of = true;
    } else {
        info.brief = context_.names.name(uint32_t(key));
        info.fn = render_fn_of(types.at(uint32_t(key)));
    }
    kinds_.push_back(std::move(info));
    return kinds_.back();
}

std::string Renderer::kind_brief(uint32_t node) {
    return kind_of(node).brief;
}

std::string Renderer::render_fn(RenderFn fn, uint32_t node) {
    cpython::ObjectDecoder& decoder = *context_.decoder;
    cpython::Reader& reader = decoder.reader();
    const cpython::Layout& l = decoder.layout();
    const heap::Node& n = context_.graph.nodes[node];
    const uint64_t address = n.address();
    const std::string hex = fmt::format("0x{:x}", address);
    auto str_at = [&](uint64_t object) -> std::optional<std::string> {
        return decoder.read_str(object, 4096);
    };
    auto type_name_at = [&](uint64_t type) -> std::string {
        const TypeInfo* info = decoder.types().get(type);
        return info ? context_.names.name(info->index) : fmt::format("<type at 0x{:x}>", type);
    };
    // str(x) of an attribute heapy formats with '%s' (__module__): a str, or None.
    auto str_or_none = [&](uint64_t object) -> std::string {
        if (object == 0) return "None";
        if (auto text = str_at(object)) return *text;
        return cpython::object_repr(decoder, object, false)
            .value_or(fmt::format("<object at 0x{:x}>", object));
    };
    auto frame_render = [&](uint64_t frame_node_address, bool interpreter_frame) -> std::string {
        uint64_t iframe = interpreter_frame ? frame_node_address
                                            : reader.pointer(frame_node_address + l.frame_frame);
        uint64_t code = iframe ? decoder.frame_code(iframe) : 0;
        std::string name = code ? str_at(reader.pointer(code + l.code_name)).value_or("?") : "?";
        return fmt::format("<{} at 0x{:x}>", name, frame_node_address);
    };
    switch (fn) {
    case RenderFn::Address:
        return hex;
    case RenderFn::AddressLen: {
        int64_t length = 0;
        if (n.kind() == heap::NodeKind::ManagedValues) {
            length = int64_t(context_.graph.edge_begin[node + 1] - context_.graph.edge_begin[node]);
        } else {
            const TypeInfo& type = decoder.types().at(context_.graph.type_of(node));
            if (type.kind == Kind::Dict)
                reader.read(address + l.dict_used, length);
            else
                length = decoder.ob_size(address);
        }
        return fmt::format("{}*{}", hex, length);
    }
    case RenderFn::LimRepr: {
        const TypeInfo& type = decoder.types().at(context_.graph.type_of(node));
        if (type.kind == Kind::Str) {
            // reprlib looks at s[:30] and s[-14:] only.
            if (auto s = str_data(decoder, address)) {
                std::optional<std::string> text;
                if (s->length <= 44) {
                    text = str_chars(reader, *s, 0, s->length);
                } else {
                    auto head = str_chars(reader, *s, 0, 30);
                    auto tail = str_chars(reader, *s, s->length - 14, s->length);
                    if (head && tail) text = *head + *tail;
                }
                if (text) return report::reprlib_repr_str(*text);
            }
            return hex;
        }
        return cpython::object_repr(decoder, address, true).value_or(hex);
    }
    case RenderFn::Repr: {
        const TypeInfo& type = decoder.types().at(context_.graph.type_of(node));
        if (type.kind == Kind::Complex) {
            double re = 0, im = 0;
            if (!reader.read(address + l.float_value, re) ||
                !reader.read(address + l.float_value + 8, im))
                return hex;
            if (re == 0 && !std::signbit(re)) return complex_part(im, false) + "j";
            return "(" + complex_part(re, false) + complex_part(im, true) + "j)";
        }
        return cpython::object_repr(decoder, address, false).value_or(hex);
    }
    case RenderFn::Type:
        return type_name_at(address);
    case RenderFn::Builtin: {
        uint64_t ml = reader.pointer(address + l.cfunction_ml);
        std::string name =
            ml ? reader.c_string(reader.pointer(ml + l.methoddef_name), 256).value_or("?") : "?";
        std::string module = str_or_none(reader.pointer(address + l.cfunction_module));
        return module == "builtins" ? name : module + "." + name;
    }
    case RenderFn::Function:
        return str_or_none(reader.pointer(address + l.function_module)) + "." +
               str_at(reader.pointer(address + l.function_name)).value_or("?");
    case RenderFn::Code: {
        int32_t line = 0;
        reader.read(address + l.code_firstlineno, line);
        return fmt::format(
            "{}:{}:{}", basename(str_at(reader.pointer(address + l.code_filename)).value_or("?")),
            line, str_at(reader.pointer(address + l.code_name)).value_or("?"));
    }
    case RenderFn::Module: {
        if (uint64_t dict = reader.pointer(address + l.module_dict))
            if (uint64_t name = decoder.dict_lookup(dict, "__name__"))
                if (auto text = str_at(name)) return *text;
        return str_at(reader.pointer(address + l.module_name)).value_or("?");
    }
    case RenderFn::Frame:
        return frame_render(address, n.kind() == heap::NodeKind::InterpreterFrame);
    case RenderFn::Method: {
        uint64_t self = reader.pointer(address + l.method_self);
        uint64_t func = reader.pointer(address + l.method_func);
        std::string cls = type_name_at(reader.pointer(self + l.object_type));
        if (self) cls = fmt::format("<{} at 0x{:x}>", cls, self);
        std::string name = "?";
        if (const TypeInfo* ft = decoder.types().get(reader.pointer(func + l.object_type))) {
            if (ft->kind == Kind::Function) {
                name = str_at(reader.pointer(func + l.function_name)).value_or("?");
            } else if (ft->kind == Kind::CFunction) {
                uint64_t ml = reader.pointer(func + l.cfunction_ml);
                name =
                    ml ? reader.c_string(reader.pointer(ml + l.methoddef_name), 256).value_or("?")
                       : "?";
            } else if (ft->kind == Kind::Method || ft->kind == Kind::ClassMethod ||
                       ft->kind == Kind::StaticMethod) {
                // func.__func__ exists: heapy formats that object with '%s'.
                uint64_t inner = reader.pointer(
                    func + (ft->kind == Kind::Method ? l.method_func : l.classmethod_callable));
                const TypeInfo* it = decoder.types().get(reader.pointer(inner + l.object_type));
                if (it && it->kind == Kind::Function)
                    name = fmt::format(
                        "<function {} at 0x{:x}>",
                        str_at(reader.pointer(inner + l.function_qualname)).value_or("?"), inner);
            }
        }
        return cls + "." + name;
    }
    case RenderFn::Traceback: {
        uint64_t frame = reader.pointer(address + l.traceback_frame);
        return fmt::format("<in frame {} at {}>", frame ? frame_render(frame, false) : "None", hex);
    }
    }
    return hex;
}

std::string Renderer::render_with(const KindInfo& kind, uint32_t node, bool short_owner) {
    if (!kind.dict_of) return render_fn(kind.fn, node);
    uint32_t owner = context_.graph.dict_owner(node);
    if (owner == heap::ObjectGraph::kNoOwner) return render_fn(RenderFn::AddressLen, node);
    std::string text = render_fn(kind.fn, owner);
    if (short_owner) {
        size_t dot = text.rfind('.');
        if (dot != std::string::npos) text = ".." + text.substr(dot + 1);
    }
    return text;
}

std::string Renderer::render(uint32_t node, bool short_owner) {
    return render_with(kind_of(node), node, short_owner);
}

report::IdTable Renderer::id_table(const std::vector<uint32_t>& nodes,
                                   std::vector<uint32_t>* order) {
    const heap::ObjectGraph& graph = context_.graph;
    report::IdTable table;
    // One kind for all, or mixed (indices: kinds_ grows while kinds are looked up).
    size_t common = SIZE_MAX;
    bool mixed = false;
    for (uint32_t node : nodes) {
        size_t k = size_t(&kind_of(node) - kinds_.data());
        if (common == SIZE_MAX)
            common = k;
        else if (k != common)
            mixed = true;
    }
    if (nodes.empty()) {
        table.kindname = "<<Nothing>>";
        table.header = "Address";
    } else if (mixed) {
        table.kindname = "<mixed>";
        table.header = "Brief";
    } else {
        table.kindname = "<" + kinds_[common].brief + ">";
        table.header = kinds_[common].header();
    }

    struct Row {
        uint32_t node;
        uint64_t size;
        uint64_t address;
        size_t kind;
        SortKey key;
        std::string render;
    };
    std::vector<Row> rows;
    rows.reserve(nodes.size());
    for (uint32_t node : nodes) {
        Row row{node, graph.size_of(node), graph.nodes[node].address(), 0, {}, {}};
        row.kind = size_t(&kind_of(node) - kinds_.data());
        const KindInfo& kind = kinds_[row.kind];
        row.render = render_with(kind, node, mixed);
        // heapy's idpart sortrender of the kind.
        if (kind.dict_of) {
            row.key.cls = SortKey::Text;
            row.key.text = mixed ? render_with(kind, node, false) : row.render;
        } else {
            switch (kind.fn) {
            case RenderFn::Address:
            case RenderFn::AddressLen:
                row.key.cls = SortKey::Address;
                break;
            case RenderFn::LimRepr:
            case RenderFn::Repr: {
                // The value itself.
                cpython::ObjectDecoder& decoder = *context_.decoder;
                const TypeInfo& type = decoder.types().at(graph.type_of(node));
                row.key.cls = SortKey::None;
                if (type.kind == Kind::Str) {
                    if (auto s = str_data(decoder, row.address))
                        if (auto text = str_chars(
                                decoder.reader(), *s, 0,
                                int64_t(std::min<uint64_t>(uint64_t(s->length), kMaxSortChars)))) {
                            row.key.cls = SortKey::Text;
                            row.key.text = std::move(*text);
                        }
                } else if (type.kind == Kind::Bytes) {
                    int64_t length = std::clamp<int64_t>(decoder.ob_size(row.address), 0,
                                                         int64_t(kMaxSortChars));
                    std::string bytes(size_t(length), '\0');
                    if (decoder.reader().read_bytes(row.address + decoder.layout().bytes_sval,
                                                    bytes.data(), bytes.size())) {
                        row.key.cls = SortKey::Text;
                        row.key.text = std::move(bytes);
                    }
                } else if (type.kind == Kind::Int || type.kind == Kind::Bool) {
                    if (auto text = cpython::int_decimal(decoder, row.address)) {
                        row.key.cls = SortKey::Int;
                        row.key.negative = !text->empty() && (*text)[0] == '-';
                        row.key.text = row.key.negative ? text->substr(1) : *text;
                        if (row.key.text == "0") row.key.negative = false;
                    }
                } else if (type.kind == Kind::Float) {
                    if (decoder.reader().read(row.address + decoder.layout().float_value,
                                              row.key.number))
                        row.key.cls = SortKey::Float;
                }
                // None and complex: equal among themselves (complex has no order).
                break;
            }
            default:
                // The render (short and full renders differ only for `dict of X`).
                row.key.cls = SortKey::Text;
                row.key.text = row.render;
                break;
            }
        }
        if (mixed) row.render = kinds_[row.kind].brief + ": " + row.render;
        rows.push_back(std::move(row));
    }
    // Kinds ranked by brief, so that mixed rows compare kinds as numbers.
    std::vector<size_t> by_brief(kinds_.size()), rank(kinds_.size());
    for (size_t i = 0; i < by_brief.size(); ++i) by_brief[i] = i;
    std::sort(by_brief.begin(), by_brief.end(),
              [&](size_t a, size_t b) { return kinds_[a].brief < kinds_[b].brief; });
    for (size_t i = 0; i < by_brief.size(); ++i) rank[by_brief[i]] = i;
    // Sort a permutation: rows are big.
    std::vector<uint32_t> perm(rows.size());
    for (uint32_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::sort(perm.begin(), perm.end(), [&](uint32_t x, uint32_t y) {
        const Row& a = rows[x];
        const Row& b = rows[y];
        if (a.size != b.size) return a.size > b.size;
        if (mixed && a.kind != b.kind) return rank[a.kind] < rank[b.kind];
        int c = compare_keys(a.key, b.key);
        if (c != 0) return c < 0;
        return a.address < b.address;
    });
    if (order) order->clear();
    table.rows.reserve(rows.size());
    for (uint32_t i : perm) {
        Row& row = rows[i];
        table.rows.push_back({row.size, std::move(row.render)});
        if (order) order->push_back(row.node);
        ++table.count;
        table.size += row.size;
    }
    return table;
}

std::string Renderer::rendered_list(std::vector<uint32_t> nodes, const KindInfo* common,
                                    bool all_repr, long max_length) {
    const heap::ObjectGraph& graph = context_.graph;
    std::sort(nodes.begin(), nodes.end(), [&](uint32_t a, uint32_t b) {
        return graph.nodes[a].address() < graph.nodes[b].address();
    });
    std::vector<std::string> strs;
    long lens = 0;
    for (uint32_t node : nodes) {
        std::string rs;
        if (common)
            rs = render_with(*common, node, true);
        else if (all_repr)
            rs = render_fn(RenderFn::Repr, node);
        else
            rs = fmt::format("0x{:x}", graph.nodes[node].address());
        long len = long(cp_len(rs));
        if (lens && lens + len + 2 >= max_length) {
            strs.back() += "...";
            break;
        }
        lens += len + 2;
        strs.push_back(std::move(rs));
    }
    std::sort(strs.begin(), strs.end());
    return fmt::format("{}", fmt::join(strs, ", "));
}

std::string Renderer::brief(const std::vector<uint32_t>& nodes) {
    constexpr long kMax = 80;
    if (nodes.empty()) return "<Nothing>";
    // The set partitioned by Clodo kind (heapy's order is that of its kind objects; ours is by
    // brief, which only matters for which parts fit before the cut).
    std::vector<std::pair<size_t, std::vector<uint32_t>>> parts;
    for (uint32_t node : nodes) {
        size_t kind = size_t(&kind_of(node) - kinds_.data());
        auto it = std::find_if(parts.begin(), parts.end(),
                               [&](const auto& p) { return p.first == kind; });
        if (it == parts.end())
            parts.push_back({kind, {node}});
        else
            it->second.push_back(node);
    }
    std::sort(parts.begin(), parts.end(), [&](const auto& a, const auto& b) {
        return kinds_[a.first].brief < kinds_[b.first].brief;
    });
    std::string kind_text;
    if (parts.size() == 1) {
        kind_text = kinds_[parts[0].first].brief;
    } else {
        std::vector<std::string> names;
        for (const auto& p : parts) names.push_back(kinds_[p.first].brief);
        std::sort(names.begin(), names.end());
        kind_text = fmt::format("({})", fmt::join(names, " | "));
    }
    std::string s = fmt::format("<{} {}: ", nodes.size(), kind_text);
    long bslen = long(cp_len(s));
    std::vector<std::string> bstrs;
    for (const auto& [kind, members] : parts) {
        const KindInfo copy = kinds_[kind];
        std::string css = rendered_list(members, &copy, false, kMax - bslen);
        if (parts.size() > 1) css = fmt::format("<{} {}: {}>", members.size(), copy.brief, css);
        bslen += long(cp_len(css)) + 3;
        bstrs.push_back(std::move(css));
        if (bslen > kMax) break;
    }
    if (bstrs.size() > 1)
        std::stable_sort(bstrs.begin(), bstrs.end(),
                         [](const std::string& a, const std::string& b) {
                             return std::string_view(a).substr(a.find(' ')) <
                                    std::string_view(b).substr(b.find(' '));
                         });
    s += fmt::format("{}", fmt::join(bstrs, " | ")) + ">";
    if (long(cp_len(s)) > kMax) s = cp_prefix(s, kMax - 4) + "...>";
    return s;
}

std::string Renderer::refpat_summary(const std::vector<uint32_t>& nodes, long max_length) {
    // The set's kind: one Clodo kind, or heapy's union of kinds `(a | b)`.
    std::vector<size_t> kinds;
    for (uint32_t node : nodes) {
        size_t kind = size_t(&kind_of(node) - kinds_.data());
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
    }
    std::string kind_text;
    std::optional<KindInfo> common;
    bool all_repr = true;
    if (kinds.size() == 1) {
        common = kinds_[kinds[0]];
        kind_text = common->brief;
    } else {
        std::vector<std::string> names;
        for (size_t k : kinds) {
            names.push_back(kinds_[k].brief);
            all_repr &= !kinds_[k].dict_of && kinds_[k].fn == RenderFn::Repr;
        }
        std::sort(names.begin(), names.end());
        kind_text = kinds.empty() ? "<Nothing>" : fmt::format("({})", fmt::join(names, " | "));
    }
    std::string s = fmt::format("{} {}: ", nodes.size(), kind_text);
    s += rendered_list(nodes, common ? &*common : nullptr, all_repr, max_length - long(cp_len(s)));
    if (long(cp_len(s)) > max_length) s = cp_prefix(s, max_length - 3) + "...";
    return s;
}

bool refpat_stop_kind(const ClassifyContext& context, uint32_t node) {
    const heap::ObjectGraph& graph = context.graph;
    const heap::Node& n = graph.nodes[node];
    cpython::TypeRegistry& types = context.decoder->types();
    auto exact = [&](uint32_t type_index, Kind kind) {
        const TypeInfo& t = types.at(type_index);
        return !t.heap && t.kind == kind;
    };
    switch (n.kind()) {
    case heap::NodeKind::Root:
        return false;
    case heap::NodeKind::InterpreterFrame:
        return true;
    case heap::NodeKind::ManagedValues:
    case heap::NodeKind::Object:
        break;
    }
    const uint32_t type = graph.type_of(node);
    bool dict = n.kind() == heap::NodeKind::ManagedValues || type == context.dict_type;
    if (dict) {
        uint32_t owner = graph.dict_owner(node);
        if (owner == heap::ObjectGraph::kNoOwner) return false;
        uint32_t owner_type = graph.type_of(owner);
        return exact(owner_type, Kind::Module) || exact(owner_type, Kind::Type);
    }
    return exact(type, Kind::Module) || exact(type, Kind::Type) || exact(type, Kind::Code) ||
           exact(type, Kind::Frame);
}

} // namespace heapy::classify
