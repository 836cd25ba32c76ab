#include "core/cpython/object_repr.hpp"

#include "core/report/pyrepr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace heapy::cpython {

namespace {
// Beyond this (about 9,000 decimal digits) no repr is attempted: the conversion is quadratic, and
// CPython itself refuses ints of over 4,300 digits (sys.get_int_max_str_digits()).
constexpr int64_t kMaxDigits = 1 << 10;
constexpr int kMaxTupleItems = 64;
constexpr int kMaxDepth = 4;

std::optional<std::string> repr_at(ObjectDecoder& decoder, uint64_t address, bool limited,
                                   int depth);

std::optional<std::string> tuple_repr(ObjectDecoder& decoder, uint64_t address, bool limited,
                                      int depth) {
    int64_t size = decoder.ob_size(address);
    if (size < 0 || size > kMaxTupleItems || depth > kMaxDepth) return std::nullopt;
    std::string out = "(";
    for (int64_t i = 0; i < size; ++i) {
        uint64_t item =
            decoder.reader().pointer(address + decoder.layout().tuple_items + uint64_t(i) * 8);
        auto text = repr_at(decoder, item, limited, depth + 1);
        if (!text) return std::nullopt;
        if (i) out += ", ";
        out += *text;
    }
    out += size == 1 ? ",)" : ")";
    return limited ? report::reprlib_limit(out, 30) : out;
}

std::optional<std::string> repr_at(ObjectDecoder& decoder, uint64_t address, bool limited,
                                   int depth) {
    const Layout& l = decoder.layout();
    Reader& reader = decoder.reader();
    const TypeInfo* type = decoder.types().get(reader.pointer(address + l.object_type));
    if (!type) return std::nullopt;
    switch (type->kind) {
    case Kind::Str: {
        auto text = decoder.read_str(address);
        if (!text) return std::nullopt;
        return limited ? report::reprlib_repr_str(*text) : report::py_repr_str(*text);
    }
    case Kind::Bytes: {
        int64_t size = decoder.ob_size(address);
        if (size < 0 || size > (int64_t{1} << 24)) return std::nullopt;
        std::string bytes(size_t(size), '\0');
        if (size && !reader.read_bytes(address + l.bytes_sval, bytes.data(), bytes.size()))
            return std::nullopt;
        return limited ? report::reprlib_repr_bytes(bytes) : report::py_repr_bytes(bytes);
    }
    case Kind::Bool: {
        auto value = decoder.read_small_int(address);
        if (!value) return std::nullopt;
        return *value ? "True" : "False";
    }
    case Kind::Int: {
        auto text = int_decimal(decoder, address);
        if (!text) return std::nullopt;
        return limited ? report::reprlib_limit(*text, 40) : *text;
    }
    case Kind::Float: {
        double value = 0;
        if (!reader.read(address + l.float_value, value)) return std::nullopt;
        return report::py_repr_float(value);
    }
    case Kind::None:
        return "None";
    case Kind::Ellipsis:
        return "Ellipsis";
    case Kind::NotImplemented:
        return "NotImplemented";
    case Kind::Tuple:
        if (type->heap) return std::nullopt; // namedtuples have their own repr
        return tuple_repr(decoder, address, limited, depth);
    default:
        return std::nullopt;
    }
}
} // namespace

std::optional<std::string> int_decimal(ObjectDecoder& decoder, uint64_t address) {
    const Layout& l = decoder.layout();
    const int sign = decoder.int_sign(address);
    int64_t ndigits = decoder.int_digit_count(address);
    if (ndigits < 0 || ndigits > kMaxDigits) return std::nullopt;
    std::vector<uint32_t> digits(static_cast<size_t>(ndigits));
    if (ndigits &&
        !decoder.reader().read_bytes(address + l.long_digits, digits.data(), digits.size() * 4))
        return std::nullopt;
    // Repeated division by 10^9 of the base-2^30 number, least significant chunk first.
    std::vector<uint32_t> chunks;
    while (!digits.empty()) {
        uint64_t remainder = 0;
        for (size_t i = digits.size(); i-- > 0;) {
            uint64_t current = (remainder << l.int_digit_bits) | digits[i];
            digits[i] = uint32_t(current / 1000000000u);
            remainder = current % 1000000000u;
        }
        while (!digits.empty() && digits.back() == 0) digits.pop_back();
        chunks.push_back(uint32_t(remainder));
    }
    std::string out = sign < 0 ? "-" : "";
    out += std::to_string(chunks.empty() ? 0 : chunks.back());
    for (size_t i = chunks.size() - (chunks.empty() ? 0 : 1); i-- > 0;)
        out += fmt::format("{:09d}", chunks[i]);
    return out;
}

std::optional<std::string> object_repr(ObjectDecoder& decoder, uint64_t address, bool limited) {
    return repr_at(decoder, address, limited, 0);
}

} // namespace heapy::cpython
