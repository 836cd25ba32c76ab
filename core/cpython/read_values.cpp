// Values of simple objects: str contents (as UTF-8) and small ints.
#include "core/cpython/object_decoder.hpp"
#include "core/report/pyunicode.hpp"

#include <cstdlib>

namespace heapy::cpython {

std::optional<std::string> ObjectDecoder::read_str(uint64_t address, size_t max_chars) {
    const Layout& l = layout_;
    if (address == 0 || (address & 7) != 0) return std::nullopt;
    const TypeInfo* type = types_.get(reader_.pointer(address + l.object_type));
    if (!type || type->kind != Kind::Str) return std::nullopt;
    uint32_t state = 0;
    int64_t length = 0;
    if (!reader_.read(address + l.str_state, state) ||
        !reader_.read(address + l.str_length, length))
        return std::nullopt;
    if (length < 0 || uint64_t(length) > max_chars) return std::nullopt;
    const uint32_t kind = (state >> l.str_kind_shift) & 7;
    const bool compact = (state >> l.str_compact_bit) & 1;
    const bool ascii = (state >> l.str_ascii_bit) & 1;
    if (kind != 1 && kind != 2 && kind != 4) return std::nullopt;
    uint64_t data = compact ? address + (ascii ? l.str_ascii_size : l.str_compact_size)
                            : reader_.pointer(address + l.str_data);
    if (!data) return std::nullopt;
    std::string raw(size_t(length) * kind, '\0');
    if (length && !reader_.read_bytes(data, raw.data(), raw.size())) return std::nullopt;
    if (kind == 1 && ascii) return raw;
    std::string out;
    out.reserve(raw.size());
    for (int64_t i = 0; i < length; ++i) {
        uint32_t c = 0;
        if (kind == 1)
            c = uint8_t(raw[i]);
        else if (kind == 2)
            c = uint8_t(raw[2 * i]) | (uint32_t(uint8_t(raw[2 * i + 1])) << 8);
        else
            std::memcpy(&c, raw.data() + 4 * i, 4);
        report::append_utf8(out, c);
    }
    return out;
}

int ObjectDecoder::int_sign(uint64_t address) {
    if (layout_.int_tagged) {
        uint64_t tag = 0;
        reader_.read(address + layout_.long_tag, tag);
        return (tag & 3) == 2 ? -1 : (tag & 3) == 1 ? 0 : 1;
    }
    int64_t size = ob_size(address);
    return size < 0 ? -1 : size == 0 ? 0 : 1;
}

std::optional<int64_t> ObjectDecoder::read_small_int(uint64_t address) {
    const Layout& l = layout_;
    int64_t digits = int_digit_count(address);
    if (digits < 0 || digits > 2) return std::nullopt;
    int64_t value = 0;
    for (int64_t i = digits - 1; i >= 0; --i) {
        uint32_t digit = 0;
        if (!reader_.read(address + l.long_digits + uint64_t(i) * 4, digit)) return std::nullopt;
        value = (value << l.int_digit_bits) | digit;
    }
    return int_sign(address) < 0 ? -value : value;
}

} // namespace heapy::cpython
