// The object graph as data (`heapy export`): one JSON Lines object or CSV row per object.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace heapy::report {

enum class ExportFormat { JsonLines, Csv };

// "jsonl" or "csv" (as --format takes them).
std::optional<ExportFormat> export_format_named(std::string_view name);
// By the file name's extension: .jsonl, .ndjson, .json -> JSON Lines; .csv -> CSV.
std::optional<ExportFormat> export_format_of_path(std::string_view path);
std::string_view export_format_name(ExportFormat format);  // "jsonl", "csv"
std::string_view export_format_title(ExportFormat format); // "JSON Lines", "CSV"

// One object of the graph, as exported.
struct ExportedObject {
    uint64_t address = 0;
    std::string_view type; // heapy's Type classifier name
    uint64_t type_address = 0;
    std::string_view kind; // heapy's Clodo name
    uint64_t size = 0;
    std::optional<uint64_t> owner;        // of a dict: the object whose __dict__ it is
    std::optional<std::string_view> root; // the root's name for it, if the root holds it
    std::string_view virtual_kind;        // "dict", "frame", or empty for a real object
    bool reachable = true;
};

// The edges of one object, read one by one as they are written (an object can have millions).
struct ExportedEdges {
    size_t count = 0;
    std::function<uint64_t(size_t)> referent;
    // Sets `text` to the relation of edge i, e.g. "[3]", ".__dict__", "['key']".
    std::function<void(size_t, std::string& text)> relation;
    // Called between edges: lets the caller write out (and empty) a buffer grown large.
    std::function<void(std::string& out)> drain = [](std::string&) {};
};

// What starts the file: CSV's header line; nothing for JSON Lines.
void append_export_header(ExportFormat format, std::string& out);
// One object, as one line (CSV: one record; a quoted field may span lines).
void append_exported_object(ExportFormat format, const ExportedObject& object,
                            const ExportedEdges& edges, std::string& out);

// `text` as a JSON string literal, quotes included. The result is valid UTF-8 whatever `text`
// holds: bytes that are not UTF-8 (and encoded surrogates) become \ufffd.
void append_json_string(std::string_view text, std::string& out);

} // namespace heapy::report
