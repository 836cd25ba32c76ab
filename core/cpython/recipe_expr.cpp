#include "core/cpython/recipe_expr.hpp"

#include "core/errors.hpp"

#include <fmt/format.h>

#include <cctype>
#include <vector>

namespace heapy::cpython {

namespace {
// Below this no object or struct of the target lives: a read there is a NULL pointer's member.
constexpr uint64_t kFirstReadable = 4096;
constexpr int64_t kMaxStrlen = 1 << 20;
constexpr int64_t kMaxEntries = 1 << 16;
constexpr int64_t kMaxProductTerms = 64;
constexpr uint64_t kMaxProduct = uint64_t{1} << 48;
} // namespace

struct RecipeExpr::Node {
    enum class Op : uint8_t {
        Constant,
        Variable, // self, basicsize, itemsize, ob_size, kind_size
        Load,     // an integer of `size` bytes at the address a[0] computes
        Negate,
        Not,
        Complement,
        Binary,
        AndAlso,
        OrElse,
        Choose, // a[0] ? a[1] : a[2]
        Strlen,
        Entries,
        Refcnt,
        Getsizeof,
        Product, // of a[1] signed 64-bit numbers at a[0]
        HasType, // the type of the object at a[0] is named `text`
    };
    Op op = Op::Constant;
    char binary = 0; // + - * / % & | ^ < > l(<=) g(>=) e(==) n(!=) L(<<) R(>>)
    bool is_signed = false;
    uint32_t size = 0;
    int64_t value = 0; // Constant; Variable: which
    std::string text;  // HasType
    std::vector<std::unique_ptr<Node>> args;
};

namespace {

using Node = RecipeExpr::Node;
using Op = Node::Op;
using NodePtr = std::unique_ptr<Node>;

enum Variable : int64_t { kSelf, kBasicsize, kItemsize, kObSize, kKindSize };

NodePtr make(Op op, std::vector<NodePtr> args = {}) {
    auto node = std::make_unique<Node>();
    node->op = op;
    node->args = std::move(args);
    return node;
}

NodePtr constant(int64_t value) {
    NodePtr node = make(Op::Constant);
    node->value = value;
    return node;
}

NodePtr binary(char which, NodePtr left, NodePtr right) {
    std::vector<NodePtr> args;
    args.push_back(std::move(left));
    args.push_back(std::move(right));
    NodePtr node = make(Op::Binary, std::move(args));
    node->binary = which;
    return node;
}

// A parsed (sub)expression with its C type: a value, or a place in memory (a member) that
// becomes a value when used as one.
struct Typed {
    NodePtr node; // the value, or for a place its address
    bool place = false;
    CMember member; // of a place; of a value: its shape (Pointer with pointee, or Signed)
    std::string container, path; // a place that is a member: its struct and dotted name
};

class Parser {
  public:
    Parser(std::string_view text, const CStructs& structs, const std::string& root)
        : text_(text), structs_(structs), root_(root) {}

    NodePtr parse() {
        NodePtr node = value(conditional());
        skip_space();
        if (at_ < text_.size()) fail(fmt::format("unexpected '{}'", text_.substr(at_)));
        return node;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw Error(fmt::format("recipe expression '{}': {}", text_, what));
    }

    void skip_space() {
        while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
    }
    bool take(std::string_view token) {
        skip_space();
        if (text_.substr(at_, token.size()) != token) return false;
        // `&` is not `&&`, `|` not `||`, `<` not `<=` or `<<`...
        if (token.size() == 1 && at_ + 1 < text_.size()) {
            const char next = text_[at_ + 1];
            if ((token == "&" && next == '&') || (token == "|" && next == '|') ||
                (token == "<" && (next == '=' || next == '<')) ||
                (token == ">" && (next == '=' || next == '>')) || (token == "!" && next == '=') ||
                (token == "-" && next == '>'))
                return false;
        }
        at_ += token.size();
        return true;
    }
    void expect(std::string_view token) {
        if (!take(token)) fail(fmt::format("expected '{}'", token));
    }
    std::string identifier() {
        skip_space();
        size_t start = at_;
        while (at_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_'))
            ++at_;
        if (start == at_ || std::isdigit(static_cast<unsigned char>(text_[start])))
            fail(fmt::format("expected a name at '{}'", text_.substr(start)));
        return std::string(text_.substr(start, at_ - start));
    }

    const CStruct& struct_named(const std::string& name) const {
        auto it = structs_.find(name);
        if (it == structs_.end()) fail(fmt::format("no layout of struct {}", name));
        return it->second;
    }

    // The member `path` of struct `container` at the address `base` computes.
    Typed member_place(NodePtr base, const std::string& container, const std::string& path) {
        const CStruct& s = struct_named(container);
        auto it = s.members.find(path);
        if (it == s.members.end()) fail(fmt::format("struct {} has no member {}", container, path));
        Typed t;
        t.place = true;
        t.member = it->second;
        t.container = container;
        t.path = path;
        t.node = it->second.offset ? binary('+', std::move(base), constant(it->second.offset))
                                   : std::move(base);
        return t;
    }

    // Uses `t` as a value: a member is read, an array stands for its address.
    NodePtr value(Typed t) {
        if (!t.place) return std::move(t.node);
        switch (t.member.shape) {
        case CMember::Shape::Array:
            return std::move(t.node);
        case CMember::Shape::Struct:
            fail(fmt::format("{} is a struct, not a value", t.path));
        default:
            break;
        }
        if (t.member.size != 1 && t.member.size != 2 && t.member.size != 4 && t.member.size != 8)
            fail(fmt::format("{} has a size ({}) that cannot be read as a number", t.path,
                             t.member.size));
        std::vector<NodePtr> args;
        args.push_back(std::move(t.node));
        NodePtr load = make(Op::Load, std::move(args));
        load->size = t.member.size;
        load->is_signed = t.member.shape == CMember::Shape::Signed;
        return load;
    }
    Typed as_value(Typed t) {
        Typed out;
        out.member = t.member;
        if (t.place && t.member.shape == CMember::Shape::Array)
            out.member.shape = CMember::Shape::Pointer;
        out.node = value(std::move(t));
        return out;
    }
    static Typed plain(NodePtr node) {
        Typed t;
        t.node = std::move(node);
        t.member.shape = CMember::Shape::Signed;
        return t;
    }

    Typed conditional() {
        Typed condition = logical_or();
        if (!take("?")) return condition;
        NodePtr yes = value(conditional());
        expect(":");
        NodePtr no = value(conditional());
        std::vector<NodePtr> args;
        args.push_back(value(std::move(condition)));
        args.push_back(std::move(yes));
        args.push_back(std::move(no));
        return plain(make(Op::Choose, std::move(args)));
    }
    Typed logical_or() {
        Typed left = logical_and();
        while (take("||")) {
            std::vector<NodePtr> args;
            args.push_back(value(std::move(left)));
            args.push_back(value(logical_and()));
            left = plain(make(Op::OrElse, std::move(args)));
        }
        return left;
    }
    Typed logical_and() {
        Typed left = bit_or();
        while (take("&&")) {
            std::vector<NodePtr> args;
            args.push_back(value(std::move(left)));
            args.push_back(value(bit_or()));
            left = plain(make(Op::AndAlso, std::move(args)));
        }
        return left;
    }
    Typed bit_or() {
        Typed left = bit_xor();
        while (take("|")) left = plain(binary('|', value(std::move(left)), value(bit_xor())));
        return left;
    }
    Typed bit_xor() {
        Typed left = bit_and();
        while (take("^")) left = plain(binary('^', value(std::move(left)), value(bit_and())));
        return left;
    }
    Typed bit_and() {
        Typed left = equality();
        while (take("&")) left = plain(binary('&', value(std::move(left)), value(equality())));
        return left;
    }
    Typed equality() {
        Typed left = relational();
        for (;;) {
            if (take("=="))
                left = plain(binary('e', value(std::move(left)), value(relational())));
            else if (take("!="))
                left = plain(binary('n', value(std::move(left)), value(relational())));
            else
                return left;
        }
    }
    Typed relational() {
        Typed left = shift();
        for (;;) {
            char op = take("<=") ? 'l' : take(">=") ? 'g' : take("<") ? '<' : take(">") ? '>' : 0;
            if (!op) return left;
            left = plain(binary(op, value(std::move(left)), value(shift())));
        }
    }
    Typed shift() {
        Typed left = additive();
        for (;;) {
            char op = take("<<") ? 'L' : take(">>") ? 'R' : 0;
            if (!op) return left;
            left = plain(binary(op, value(std::move(left)), value(additive())));
        }
    }
    Typed additive() {
        Typed left = multiplicative();
        for (;;) {
            char op = take("+") ? '+' : take("-") ? '-' : 0;
            if (!op) return left;
            left = plain(binary(op, value(std::move(left)), value(multiplicative())));
        }
    }
    Typed multiplicative() {
        Typed left = unary();
        for (;;) {
            char op = take("*") ? '*' : take("/") ? '/' : take("%") ? '%' : 0;
            if (!op) return left;
            left = plain(binary(op, value(std::move(left)), value(unary())));
        }
    }
    Typed unary() {
        if (take("-")) return plain(make_unary(Op::Negate, value(unary())));
        if (take("!")) return plain(make_unary(Op::Not, value(unary())));
        if (take("~")) return plain(make_unary(Op::Complement, value(unary())));
        if (take("&")) {
            Typed place = postfix();
            if (!place.place) fail("'&' needs a member");
            Typed out;
            out.node = std::move(place.node);
            out.member.shape = CMember::Shape::Pointer;
            return out;
        }
        return postfix();
    }
    static NodePtr make_unary(Op op, NodePtr x) {
        std::vector<NodePtr> args;
        args.push_back(std::move(x));
        return make(op, std::move(args));
    }

    Typed postfix() {
        Typed t = primary();
        for (;;) {
            if (take("->")) {
                Typed pointer = as_value(std::move(t));
                if (pointer.member.shape != CMember::Shape::Pointer ||
                    pointer.member.pointee.empty())
                    fail("'->' needs a pointer to a struct whose layout is known");
                const std::string pointee = pointer.member.pointee;
                t = member_place(std::move(pointer.node), pointee, identifier());
            } else if (take(".")) {
                if (!t.place || t.member.shape != CMember::Shape::Struct)
                    fail("'.' needs a struct member");
                const std::string container = t.container, path = t.path + "." + identifier();
                // The struct's address less the member's offset: member_place adds the path's.
                NodePtr base = binary('-', std::move(t.node), constant(t.member.offset));
                t = member_place(std::move(base), container, path);
            } else {
                return t;
            }
        }
    }

    Typed primary() {
        skip_space();
        if (take("(")) {
            Typed inner = conditional();
            expect(")");
            return inner;
        }
        if (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])))
            return plain(constant(number()));
        const std::string name = identifier();
        if (name == "sizeof") {
            expect("(");
            const std::string of = identifier();
            expect(")");
            return plain(constant(struct_named(of).size));
        }
        if (name == "cast") {
            // cast(STRUCT, pointer): the pointer as a pointer to STRUCT, for `->`.
            expect("(");
            const std::string to = identifier();
            struct_named(to);
            expect(",");
            Typed pointer;
            pointer.node = value(conditional());
            pointer.member.shape = CMember::Shape::Pointer;
            pointer.member.pointee = to;
            expect(")");
            return pointer;
        }
        if (take("(")) return call(name);
        static const std::pair<const char*, Variable> kVariables[] = {
            {"self", kSelf},      {"basicsize", kBasicsize}, {"itemsize", kItemsize},
            {"ob_size", kObSize}, {"kind_size", kKindSize},
        };
        for (const auto& [variable_name, which] : kVariables) {
            if (name != variable_name) continue;
            NodePtr node = make(Op::Variable);
            node->value = which;
            Typed t = plain(std::move(node));
            if (which == kSelf && !root_.empty()) { // a pointer to the recipe's struct
                t.member.shape = CMember::Shape::Pointer;
                t.member.pointee = root_;
            }
            return t;
        }
        NodePtr self = make(Op::Variable);
        self->value = kSelf;
        return member_place(std::move(self), root_, name);
    }

    std::string string_literal() {
        skip_space();
        if (at_ >= text_.size() || text_[at_] != '"') fail("expected a \"string\"");
        const size_t end = text_.find('"', at_ + 1);
        if (end == std::string_view::npos) fail("unterminated string");
        std::string literal(text_.substr(at_ + 1, end - at_ - 1));
        at_ = end + 1;
        return literal;
    }

    Typed call(const std::string& name) {
        if (name == "has_type") {
            std::vector<NodePtr> args;
            args.push_back(value(conditional()));
            expect(",");
            NodePtr node = make(Op::HasType, std::move(args));
            node->text = string_literal();
            expect(")");
            return plain(std::move(node));
        }
        static const std::pair<const char*, std::pair<Op, size_t>> kFunctions[] = {
            {"strlen", {Op::Strlen, 1}},   {"entries", {Op::Entries, 2}},
            {"refcnt", {Op::Refcnt, 1}},   {"getsizeof", {Op::Getsizeof, 1}},
            {"product", {Op::Product, 2}},
        };
        for (const auto& [function, spec] : kFunctions) {
            if (name != function) continue;
            std::vector<NodePtr> args;
            for (size_t i = 0; i < spec.second; ++i) {
                if (i) expect(",");
                args.push_back(value(conditional()));
            }
            expect(")");
            return plain(make(spec.first, std::move(args)));
        }
        fail(fmt::format("unknown function {}", name));
    }

    int64_t number() {
        skip_space();
        size_t used = 0;
        int64_t n = 0;
        try {
            n = std::stoll(std::string(text_.substr(at_)), &used, 0);
        } catch (const std::exception&) {
            fail("bad number");
        }
        at_ += used;
        return n;
    }

    std::string_view text_;
    const CStructs& structs_;
    const std::string& root_;
    size_t at_ = 0;
};

struct Evaluator {
    Reader& reader;
    const RecipeContext& context;

    std::optional<int64_t> load(uint64_t address, uint32_t size, bool is_signed) {
        if (address < kFirstReadable) return std::nullopt;
        uint64_t bits = 0;
        if (!reader.read_bytes(address, &bits, size)) return std::nullopt;
        if (is_signed && size < 8) {
            const unsigned shift = 64 - 8 * size;
            return int64_t(bits << shift) >> shift;
        }
        return int64_t(bits);
    }

    std::optional<int64_t> eval(const Node& n) {
        switch (n.op) {
        case Op::Constant:
            return n.value;
        case Op::Variable:
            switch (n.value) {
            case kSelf:
                return int64_t(context.self);
            case kBasicsize:
                return context.basicsize;
            case kItemsize:
                return context.itemsize;
            case kObSize:
                return context.ob_size;
            default:
                return context.kind_size;
            }
        case Op::Load: {
            auto address = eval(*n.args[0]);
            if (!address) return std::nullopt;
            return load(uint64_t(*address), n.size, n.is_signed);
        }
        case Op::Negate:
        case Op::Not:
        case Op::Complement: {
            auto x = eval(*n.args[0]);
            if (!x) return std::nullopt;
            if (n.op == Op::Negate) return int64_t(0 - uint64_t(*x));
            return n.op == Op::Not ? int64_t(*x == 0) : ~*x;
        }
        case Op::AndAlso:
        case Op::OrElse: {
            auto left = eval(*n.args[0]);
            if (!left) return std::nullopt;
            if ((n.op == Op::AndAlso) != (*left != 0)) return int64_t(*left != 0);
            auto right = eval(*n.args[1]);
            if (!right) return std::nullopt;
            return int64_t(*right != 0);
        }
        case Op::Choose: {
            auto condition = eval(*n.args[0]);
            if (!condition) return std::nullopt;
            return eval(*n.args[*condition ? 1 : 2]);
        }
        case Op::Binary:
            return eval_binary(n);
        case Op::Strlen: {
            auto address = eval(*n.args[0]);
            if (!address || uint64_t(*address) < kFirstReadable) return std::nullopt;
            for (int64_t length = 0; length < kMaxStrlen; ++length) {
                char c = 0;
                if (!reader.read(uint64_t(*address) + uint64_t(length), c)) return std::nullopt;
                if (c == 0) return length;
            }
            return std::nullopt;
        }
        case Op::Entries: {
            auto address = eval(*n.args[0]);
            auto stride = eval(*n.args[1]);
            if (!address || !stride || *stride <= 0 || uint64_t(*address) < kFirstReadable)
                return std::nullopt;
            for (int64_t count = 0; count < kMaxEntries; ++count) {
                uint64_t word = 0;
                if (!reader.read(uint64_t(*address) + uint64_t(count * *stride), word))
                    return std::nullopt;
                if (word == 0) return count;
            }
            return std::nullopt;
        }
        case Op::Refcnt: {
            auto address = eval(*n.args[0]);
            if (!address || uint64_t(*address) < kFirstReadable) return std::nullopt;
            if (context.refcount) return context.refcount(uint64_t(*address));
            return load(uint64_t(*address), 8, true);
        }
        case Op::HasType: {
            auto address = eval(*n.args[0]);
            if (!address || uint64_t(*address) < kFirstReadable || !context.type_name)
                return std::nullopt;
            auto name = context.type_name(uint64_t(*address));
            if (!name) return std::nullopt;
            return int64_t(*name == n.text);
        }
        case Op::Product: {
            auto address = eval(*n.args[0]);
            auto count = eval(*n.args[1]);
            if (!count || *count < 0 || *count > kMaxProductTerms) return std::nullopt;
            if (*count == 0) return 1; // a numpy 0-d array's NULL dimensions
            if (!address || uint64_t(*address) < kFirstReadable) return std::nullopt;
            uint64_t product = 1;
            for (int64_t i = 0; i < *count; ++i) {
                int64_t term = 0;
                if (!reader.read(uint64_t(*address) + uint64_t(i) * 8, term) || term < 0 ||
                    (term != 0 && product > kMaxProduct / uint64_t(term)))
                    return std::nullopt;
                product *= uint64_t(term);
            }
            return int64_t(product);
        }
        case Op::Getsizeof: {
            auto address = eval(*n.args[0]);
            if (!address || uint64_t(*address) < kFirstReadable || !context.object_size)
                return std::nullopt;
            return context.object_size(uint64_t(*address));
        }
        }
        return std::nullopt;
    }

    std::optional<int64_t> eval_binary(const Node& n) {
        auto left = eval(*n.args[0]);
        if (!left) return std::nullopt;
        auto right = eval(*n.args[1]);
        if (!right) return std::nullopt;
        const int64_t a = *left, b = *right;
        const uint64_t ua = uint64_t(a), ub = uint64_t(b);
        switch (n.binary) {
        case '+':
            return int64_t(ua + ub);
        case '-':
            return int64_t(ua - ub);
        case '*':
            return int64_t(ua * ub);
        case '/':
            if (b == 0 || (a == INT64_MIN && b == -1)) return std::nullopt;
            return a / b;
        case '%':
            if (b == 0 || (a == INT64_MIN && b == -1)) return std::nullopt;
            return a % b;
        case '&':
            return a & b;
        case '|':
            return a | b;
        case '^':
            return a ^ b;
        case '<':
            return int64_t(a < b);
        case '>':
            return int64_t(a > b);
        case 'l':
            return int64_t(a <= b);
        case 'g':
            return int64_t(a >= b);
        case 'e':
            return int64_t(a == b);
        case 'n':
            return int64_t(a != b);
        case 'L':
            return ub < 64 ? int64_t(ua << ub) : 0;
        case 'R':
            return ub < 64 ? int64_t(ua >> ub) : 0;
        }
        return std::nullopt;
    }
};

} // namespace

RecipeExpr RecipeExpr::compile(std::string_view text, const CStructs& structs,
                               const std::string& root_struct) {
    RecipeExpr expr;
    expr.root_ = Parser(text, structs, root_struct).parse();
    return expr;
}

RecipeExpr::RecipeExpr() = default;
RecipeExpr::RecipeExpr(RecipeExpr&&) noexcept = default;
RecipeExpr& RecipeExpr::operator=(RecipeExpr&&) noexcept = default;
RecipeExpr::~RecipeExpr() = default;

std::optional<int64_t> RecipeExpr::eval(Reader& reader, const RecipeContext& context) const {
    if (!root_) return std::nullopt;
    return Evaluator{reader, context}.eval(*root_);
}

} // namespace heapy::cpython
