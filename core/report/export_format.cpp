#include "core/report/export_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace heapy::report {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD in UTF-8
constexpr std::string_view kJsonReplacement = "\\ufffd";

bool continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// How text[i..] starts, for a byte >= 0x80: a valid UTF-8 sequence (its length), or bytes to
// replace by one U+FFFD (an invalid byte, a cut sequence, or an encoded surrogate, which
// heapy's str reader writes for a lone surrogate).
struct Sequence {
    size_t length;
    bool valid;
};

Sequence utf8_sequence(std::string_view text, size_t i) {
    const auto byte = [&](size_t k) { return i + k < text.size() ? uint8_t(text[i + k]) : 0; };
    const uint8_t lead = byte(0);
    size_t length = 0;
    uint8_t low = 0x80, high = 0xBF; // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return {1, false};
    }
    if (byte(1) < low || byte(1) > high) return {1, false};
    for (size_t k = 2; k < length; ++k)
        if (!continuation(byte(k))) return {k, false};
    if (lead == 0xED && byte(1) >= 0xA0) return {3, false}; // a surrogate
    return {length, true};
}

void append_number(uint64_t value, std::string& out) {
    std::array<char, 24> digits;
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    out.append(digits.data(), end);
}

bool json_plain(unsigned char c) {
    return c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
}

void append_json_escape(unsigned char c, std::string& out) {
    switch (c) {
    case '"':
        out += "\\\"";
        return;
    case '\\':
        out += "\\\\";
        return;
    case '\n':
        out += "\\n";
        return;
    case '\r':
        out += "\\r";
        return;
    case '\t':
        out += "\\t";
        return;
    case '\b':
        out += "\\b";
        return;
    case '\f':
        out += "\\f";
        return;
    default:
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
}

// `text` with what is not UTF-8 (and NUL, which C readers of CSV stop at) replaced by U+FFFD.
void append_clean_utf8(std::string_view text, std::string& out) {
    size_t i = 0;
    while (i < text.size()) {
        const size_t plain = i;
        while (i < text.size() && uint8_t(text[i]) < 0x80 && text[i] != '\0') ++i;
        out.append(text.substr(plain, i - plain));
        if (i == text.size()) break;
        if (text[i] == '\0') {
            out += kReplacement;
            ++i;
            continue;
        }
        const Sequence s = utf8_sequence(text, i);
        if (s.valid)
            out.append(text.substr(i, s.length));
        else
            out += kReplacement;
        i += s.length;
    }
}

bool csv_needs_quotes(std::string_view text) {
    return text.find_first_of(",\"\r\n") != std::string_view::npos;
}

// The text of a CSV field, quoted (and its quotes doubled) if it must be.
void append_csv_text(std::string_view text, std::string& out, bool quoted) {
    if (!quoted) {
        append_clean_utf8(text, out);
        return;
    }
    size_t start = 0;
    for (size_t quote = text.find('"'); quote != std::string_view::npos;
         quote = text.find('"', start)) {
        append_clean_utf8(text.substr(start, quote - start), out);
        out += "\"\"";
        start = quote + 1;
    }
    append_clean_utf8(text.substr(start), out);
}

void append_csv_field(std::string_view text, std::string& out) {
    const bool quoted = csv_needs_quotes(text);
    if (quoted) out.push_back('"');
    append_csv_text(text, out, quoted);
    if (quoted) out.push_back('"');
}

// One relation inside the (always quoted) relations field: a tab, which separates relations
// there, is written as the two characters \t.
void append_csv_relation(std::string_view text, std::string& out) {
    size_t start = 0;
    for (size_t tab = text.find('\t'); tab != std::string_view::npos;
         tab = text.find('\t', start)) {
        append_csv_text(text.substr(start, tab - start), out, true);
        out += "\\t";
        start = tab + 1;
    }
    append_csv_text(text.substr(start), out, true);
}

void append_json_object(const ExportedObject& object, const ExportedEdges& edges,
                        std::string& out) {
    out += "{\"address\": ";
    append_number(object.address, out);
    out += ", \"type\": ";
    append_json_string(object.type, out);
    out += ", \"type_address\": ";
    append_number(object.type_address, out);
    out += ", \"kind\": ";
    append_json_string(object.kind, out);
    out += ", \"size\": ";
    append_number(object.size, out);
    out += ", \"owner\": ";
    if (object.owner)
        append_number(*object.owner, out);
    else
        out += "null";
    out += ", \"referents\": [";
    for (size_t i = 0; i < edges.count; ++i) {
        if (i) out += ", ";
        append_number(edges.referent(i), out);
    }
    out += "], \"relations\": [";
    std::string relation;
    for (size_t i = 0; i < edges.count; ++i) {
        if (i) out += ", ";
        edges.relation(i, relation);
        append_json_string(relation, out);
        edges.drain(out);
    }
    out += "], \"root\": ";
    if (object.root)
        append_json_string(*object.root, out);
    else
        out += "null";
    out += ", \"virtual\": ";
    if (object.virtual_kind.empty())
        out += "null";
    else
        append_json_string(object.virtual_kind, out);
    out += object.reachable ? ", \"reachable\": true}\n" : ", \"reachable\": false}\n";
}

void append_csv_object(const ExportedObject& object, const ExportedEdges& edges, std::string& out) {
    append_number(object.address, out);
    out.push_back(',');
    append_csv_field(object.type, out);
    out.push_back(',');
    append_number(object.type_address, out);
    out.push_back(',');
    append_csv_field(object.kind, out);
    out.push_back(',');
    append_number(object.size, out);
    out.push_back(',');
    if (object.owner) append_number(*object.owner, out);
    out.push_back(',');
    for (size_t i = 0; i < edges.count; ++i) {
        if (i) out.push_back(' ');
        append_number(edges.referent(i), out);
    }
    out += ",\"";
    std::string relation;
    for (size_t i = 0; i < edges.count; ++i) {
        if (i) out.push_back('\t');
        edges.relation(i, relation);
        append_csv_relation(relation, out);
        edges.drain(out);
    }
    out += "\",";
    if (object.root) append_csv_field(*object.root, out);
    out.push_back(',');
    append_csv_field(object.virtual_kind, out);
    out += object.reachable ? ",true\n" : ",false\n";
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

} // namespace

std::optional<ExportFormat> export_format_named(std::string_view name) {
    const std::string lower = lowercase(name);
    if (lower == "jsonl") return ExportFormat::JsonLines;
    if (lower == "csv") return ExportFormat::Csv;
    return std::nullopt;
}

std::optional<ExportFormat> export_format_of_path(std::string_view path) {
    const size_t dot = path.rfind('.');
    if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos)
        return std::nullopt;
    const std::string extension = lowercase(path.substr(dot + 1));
    if (extension == "jsonl" || extension == "ndjson" || extension == "json")
        return ExportFormat::JsonLines;
    if (extension == "csv") return ExportFormat::Csv;
    return std::nullopt;
}

std::string_view export_format_name(ExportFormat format) {
    return format == ExportFormat::Csv ? "csv" : "jsonl";
}

std::string_view export_format_title(ExportFormat format) {
    return format == ExportFormat::Csv ? "CSV" : "JSON Lines";
}

void append_export_header(ExportFormat format, std::string& out) {
    if (format == ExportFormat::Csv)
        out += "address,type,type_address,kind,size,owner,referents,relations,root,virtual,"
               "reachable\n";
}

void append_exported_object(ExportFormat format, const ExportedObject& object,
                            const ExportedEdges& edges, std::string& out) {
    if (format == ExportFormat::Csv)
        append_csv_object(object, edges, out);
    else
        append_json_object(object, edges, out);
}

void append_json_string(std::string_view text, std::string& out) {
    out.push_back('"');
    size_t i = 0;
    while (i < text.size()) {
        const size_t plain = i;
        while (i < text.size() && json_plain(uint8_t(text[i]))) ++i;
        out.append(text.substr(plain, i - plain));
        if (i == text.size()) break;
        const auto c = uint8_t(text[i]);
        if (c < 0x80) {
            append_json_escape(c, out);
            ++i;
            continue;
        }
        const Sequence s = utf8_sequence(text, i);
        const std::string_view bytes = text.substr(i, s.length);
        if (!s.valid)
            out += kJsonReplacement;
        else if (bytes == "\xE2\x80\xA8" || bytes == "\xE2\x80\xA9")
            out += bytes[2] == '\xA8' ? "\\u2028" : "\\u2029"; // line breaks to some readers
        else
            out.append(bytes);
        i += s.length;
    }
    out.push_back('"');
}

} // namespace heapy::report
