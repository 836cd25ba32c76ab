// `heapy export`: the JSON Lines and CSV texts of objects (exact, and valid UTF-8 whatever the
// heap holds), and the command on a hand-built heap: every object once, its type, kind, owner,
// referents and relations, the root's names, the unreachable objects, errors and Ctrl-C.
#include "core/commands/session.hpp"
#include "core/report/export_format.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace heapy::test;
using heapy::report::ExportFormat;

namespace {

using Json = nlohmann::ordered_json; // keys in the file's order

std::string json_string(std::string_view text) {
    std::string out;
    heapy::report::append_json_string(text, out);
    return out;
}

struct TextEdge {
    uint64_t referent;
    std::string relation;
};

std::string exported(ExportFormat format, const heapy::report::ExportedObject& object,
                     const std::vector<TextEdge>& edges) {
    heapy::report::ExportedEdges out_edges;
    out_edges.count = edges.size();
    out_edges.referent = [&](size_t i) { return edges[i].referent; };
    out_edges.relation = [&](size_t i, std::string& text) { text = edges[i].relation; };
    std::string out;
    heapy::report::append_exported_object(format, object, out_edges, out);
    return out;
}

// A test's memory image as a Target's memory and symbols.
class ImageMemory final : public heapy::memory::Memory {
  public:
    explicit ImageMemory(MemoryImage& image) : image_(image) {}
    size_t read(uint64_t address, std::span<std::byte> out) override {
        return image_.read(address, out);
    }
    const std::byte* view(uint64_t address, size_t length) override {
        return image_.view(address, length);
    }
    std::vector<heapy::memory::Region> regions() const override { return image_.regions(); }
    bool concurrent_reads() const override { return image_.concurrent_reads(); }

  private:
    MemoryImage& image_;
};

class ImageSymbols final : public heapy::memory::Symbols {
  public:
    explicit ImageSymbols(const SymbolTable& table) : table_(table) {}
    std::optional<uint64_t> lookup(std::string_view name) const override {
        return table_.lookup(name);
    }
    std::optional<heapy::memory::SectionRange> section(std::string_view name) const override {
        return table_.section(name);
    }
    std::vector<heapy::memory::LoadedModule> modules() const override { return table_.modules(); }

  private:
    const SymbolTable& table_;
};

heapy::commands::Session session_on(PyHeap& h, heapy::commands::FrontEnd frontend = {}) {
    heapy::memory::Target target;
    target.memory = std::make_unique<ImageMemory>(h.memory);
    target.symbols = std::make_unique<ImageSymbols>(h.symbols);
    target.description = "hand-built CPython 3.11 image";
    return heapy::commands::Session(std::move(target), std::move(frontend));
}

heapy::commands::CommandResult run(heapy::commands::Session& session,
                                   std::vector<std::string> words) {
    return session.run(words);
}

// A file name of this test's own, deleted when the test ends.
struct TempPath {
    explicit TempPath(std::string_view name)
        : path((std::filesystem::temp_directory_path() /
                fmt::format("heapy-export-test-{}-{}", ::getpid(), name))
                   .string()) {}
    ~TempPath() { std::filesystem::remove(path); }
    std::string path;
};

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<Json> json_lines(const std::string& path) {
    std::vector<Json> out;
    std::istringstream lines(file_text(path));
    for (std::string line; std::getline(lines, line);) out.push_back(Json::parse(line));
    return out;
}

// RFC 4180 records (fields may be quoted, quotes doubled, quoted fields may hold line breaks).
std::vector<std::vector<std::string>> csv_records(const std::string& text) {
    std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        std::string& field = records.back().back();
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            records.back().emplace_back();
        } else if (c == '\n') {
            records.emplace_back(1);
        } else {
            field.push_back(c);
        }
    }
    if (records.back() == std::vector<std::string>(1)) records.pop_back();
    return records;
}

// The exported objects by address.
std::map<uint64_t, Json> by_address(const std::vector<Json>& objects) {
    std::map<uint64_t, Json> out;
    for (const auto& object : objects) out[object["address"].get<uint64_t>()] = object;
    return out;
}

struct ExportHeap {
    ExportHeap() {
        PyHeap& h = p.h;
        foo = h.heap_type({.name = "Foo"});
        seven = h.integer(7);
        instance = p.global("obj", h.instance(foo, {{"x", seven}, {"y", h.str("why")}}));
        one = h.integer(1);
        items = p.global("items", h.tuple({one, instance, one}));
        odd = p.global("odd", h.dict({{h.str("tab\there \"q\", caf\xc3\xa9"), h.integer(3)}}));
    }
    Program p;
    uint64_t foo = 0, seven = 0, instance = 0, one = 0, items = 0, odd = 0;
};

} // namespace

TEST_CASE("export: JSON strings are valid UTF-8 whatever the text holds", "[export]") {
    CHECK(json_string("plain") == "\"plain\"");
    CHECK(json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(json_string("\n\t\r\b\f") == "\"\\n\\t\\r\\b\\f\"");
    CHECK(json_string(std::string_view("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
    CHECK(json_string("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80") ==
          "\"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80\"");
    // Not UTF-8: a stray continuation byte, a Latin-1 byte, a cut sequence, an overlong form,
    // beyond U+10FFFF. One U+FFFD per maximal bad part.
    CHECK(json_string("a\x80z") == "\"a\\ufffdz\"");
    CHECK(json_string("caf\xe9") == "\"caf\\ufffd\"");
    CHECK(json_string("\xe2\x98") == "\"\\ufffd\"");
    CHECK(json_string("\xe2\x98z") == "\"\\ufffdz\"");
    CHECK(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");
    CHECK(json_string("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    // A lone surrogate as heapy's str reader writes it (3 bytes): one replacement.
    CHECK(json_string("<\xed\xa0\x80>") == "\"<\\ufffd>\"");
    // Line and paragraph separators are line breaks to some JSON Lines readers.
    CHECK(json_string("a\xe2\x80\xa8"
                      "b\xe2\x80\xa9") == "\"a\\u2028b\\u2029\"");
}

TEST_CASE("export: one object as JSON Lines and as CSV", "[export]") {
    heapy::report::ExportedObject object;
    object.address = 140000000000016;
    object.type = "dict";
    object.type_address = 9451232;
    object.kind = "dict of __main__.Foo";
    object.size = 104;
    object.owner = 140000000000000;
    const std::vector<TextEdge> edges = {{140000000000100, "['a, \"b\"']"},
                                         {140000000000200, "['tab\there']"},
                                         {140000000000100, ".keys()[0]"}};
    CHECK(exported(ExportFormat::JsonLines, object, edges) ==
          "{\"address\": 140000000000016, \"type\": \"dict\", \"type_address\": 9451232, "
          "\"kind\": \"dict of __main__.Foo\", \"size\": 104, \"owner\": 140000000000000, "
          "\"referents\": [140000000000100, 140000000000200, 140000000000100], \"relations\": "
          "[\"['a, \\\"b\\\"']\", \"['tab\\there']\", \".keys()[0]\"], \"root\": null, "
          "\"virtual\": null, \"reachable\": true}\n");
    CHECK(exported(ExportFormat::Csv, object, edges) ==
          "140000000000016,dict,9451232,dict of __main__.Foo,104,140000000000000,"
          "140000000000100 140000000000200 140000000000100,"
          "\"['a, \"\"b\"\"']\t['tab\\there']\t.keys()[0]\",,,true\n");

    heapy::report::ExportedObject values;
    values.address = 16;
    values.type = "dict";
    values.type_address = 32;
    values.kind = "dict, \"odd\"";
    values.root = "i0_t1_f0";
    values.virtual_kind = "dict";
    values.reachable = false;
    CHECK(exported(ExportFormat::JsonLines, values, {}) ==
          "{\"address\": 16, \"type\": \"dict\", \"type_address\": 32, \"kind\": \"dict, "
          "\\\"odd\\\"\", \"size\": 0, \"owner\": null, \"referents\": [], \"relations\": [], "
          "\"root\": \"i0_t1_f0\", \"virtual\": \"dict\", \"reachable\": false}\n");
    CHECK(exported(ExportFormat::Csv, values, {}) ==
          "16,dict,32,\"dict, \"\"odd\"\"\",0,,,\"\",i0_t1_f0,dict,false\n");
    values.kind = "a, b";
    CHECK(exported(ExportFormat::Csv, values, {}) ==
          "16,dict,32,\"a, b\",0,,,\"\",i0_t1_f0,dict,false\n");
    values.kind = "line\nbreak";
    CHECK(exported(ExportFormat::Csv, values, {}) ==
          "16,dict,32,\"line\nbreak\",0,,,\"\",i0_t1_f0,dict,false\n");
    // CSV text is UTF-8 too, without NUL bytes.
    values.kind = std::string_view("caf\xe9\0x", 6);
    CHECK(exported(ExportFormat::Csv, values, {}) ==
          "16,dict,32,caf\xef\xbf\xbd\xef\xbf\xbdx,0,,,\"\",i0_t1_f0,dict,false\n");

    std::string header;
    heapy::report::append_export_header(ExportFormat::Csv, header);
    CHECK(header ==
          "address,type,type_address,kind,size,owner,referents,relations,root,virtual,reachable\n");
    header.clear();
    heapy::report::append_export_header(ExportFormat::JsonLines, header);
    CHECK(header.empty());
}

TEST_CASE("export: the format is --format's or the file name's", "[export]") {
    using heapy::report::export_format_named;
    using heapy::report::export_format_of_path;
    CHECK(export_format_named("jsonl") == ExportFormat::JsonLines);
    CHECK(export_format_named("CSV") == ExportFormat::Csv);
    CHECK_FALSE(export_format_named("json5"));
    CHECK(export_format_of_path("/tmp/heap.jsonl") == ExportFormat::JsonLines);
    CHECK(export_format_of_path("heap.NDJSON") == ExportFormat::JsonLines);
    CHECK(export_format_of_path("heap.json") == ExportFormat::JsonLines);
    CHECK(export_format_of_path("a.b/heap.csv") == ExportFormat::Csv);
    CHECK_FALSE(export_format_of_path("a.csv/heap"));
    CHECK_FALSE(export_format_of_path("heap.txt"));
    CHECK_FALSE(export_format_of_path("heap"));
}

TEST_CASE("export: every object of the heap, with its edges, owner and root names",
          "[export][commands]") {
    ExportHeap e;
    PyHeap& h = e.p.h;
    auto session = session_on(h);
    TempPath path("all.jsonl");
    const auto result = run(session, {"export", path.path});
    INFO(result.error);
    REQUIRE(result.status == 0);
    const auto objects = json_lines(path.path);
    const auto heap = Json::parse(run(session, {"heap", "--json"}).output);
    CHECK(objects.size() == heap["count"].get<size_t>());
    CHECK(result.output == fmt::format(
                               "Exported {} objects ({} references) to {} as JSON Lines.\n",
                               objects.size(),
                               [&] {
                                   size_t references = 0;
                                   for (const auto& o : objects)
                                       references += o["referents"].size();
                                   return references;
                               }(),
                               path.path));
    const auto all = by_address(objects);
    CHECK(all.size() == objects.size()); // each object once

    // Keys in the contract's order.
    std::vector<std::string> keys;
    for (const auto& item : objects.front().items()) keys.push_back(item.key());
    CHECK(keys == std::vector<std::string>{"address", "type", "type_address", "kind", "size",
                                           "owner", "referents", "relations", "root", "virtual",
                                           "reachable"});

    const auto& items = all.at(e.items);
    CHECK(items["type"] == "tuple");
    CHECK(items["kind"] == "tuple");
    CHECK(items["type_address"] == h.t.tuple);
    CHECK(items["owner"].is_null());
    CHECK(items["virtual"].is_null());
    CHECK(items["root"].is_null());
    CHECK(items["reachable"] == true);
    // Duplicates as the list holds them.
    CHECK(items["referents"] == Json::array({e.one, e.instance, e.one}));
    CHECK(items["relations"] == Json::array({"[0]", "[1]", "[2]"}));

    const auto& instance = all.at(e.instance);
    CHECK(instance["type"] == "__main__.Foo");
    CHECK(instance["kind"] == "__main__.Foo");
    CHECK(instance["type_address"] == e.foo);
    // The instance's inline values: a virtual `dict of __main__.Foo` owned by it.
    const uint64_t values = h.values_of(e.instance);
    REQUIRE(all.count(values));
    const auto& dict = all.at(values);
    CHECK(dict["virtual"] == "dict");
    CHECK(dict["type"] == "dict");
    CHECK(dict["type_address"] == h.t.dict);
    CHECK(dict["kind"] == "dict of __main__.Foo");
    CHECK(dict["owner"] == e.instance);
    CHECK(dict["referents"] == Json::array({h.str("x"), e.seven, h.str("y"), h.str("why")}));
    CHECK(dict["relations"] == Json::array({".keys()[0]", "['x']", ".keys()[1]", "['y']"}));
    bool instance_holds_values = false;
    for (size_t i = 0; i < instance["referents"].size(); ++i)
        if (instance["referents"][i] == values)
            instance_holds_values = instance["relations"][i] == ".__dict__";
    CHECK(instance_holds_values);

    // A key with a tab, quotes, a comma and an accent: its relation as by via shows it.
    const auto& odd = all.at(e.odd);
    CHECK(odd["kind"] == "dict (no owner)");
    CHECK(odd["relations"] == Json::array({".keys()[0]", "['tab\\there \"q\", caf\xc3\xa9']"}));

    // The root's edges name the objects it holds.
    CHECK(all.at(e.p.modules)["root"] == "i0_modules");
    size_t rooted = 0;
    for (const auto& object : objects) rooted += !object["root"].is_null();
    CHECK(rooted > 0);

    // The CSV says the same.
    TempPath csv_path("all.csv");
    REQUIRE(run(session, {"export", csv_path.path, "--json"}).status == 0);
    const auto records = csv_records(file_text(csv_path.path));
    REQUIRE(records.size() == objects.size() + 1);
    CHECK(records[0] == std::vector<std::string>{"address", "type", "type_address", "kind", "size",
                                                 "owner", "referents", "relations", "root",
                                                 "virtual", "reachable"});
    for (size_t i = 0; i < objects.size(); ++i) {
        const auto& object = objects[i];
        const auto& record = records[i + 1];
        REQUIRE(record.size() == 11);
        CHECK(record[0] == std::to_string(object["address"].get<uint64_t>()));
        CHECK(record[1] == object["type"].get<std::string>());
        CHECK(record[3] == object["kind"].get<std::string>());
        CHECK(record[5] ==
              (object["owner"].is_null() ? "" : std::to_string(object["owner"].get<uint64_t>())));
        std::string referents, relations;
        for (size_t k = 0; k < object["referents"].size(); ++k) {
            if (k) {
                referents += ' ';
                relations += '\t';
            }
            referents += std::to_string(object["referents"][k].get<uint64_t>());
            // A tab inside a relation is written as \t.
            for (char c : object["relations"][k].get<std::string>())
                relations += c == '\t' ? std::string("\\t") : std::string(1, c);
        }
        CHECK(record[6] == referents);
        CHECK(record[7] == relations);
        CHECK(record[8] == (object["root"].is_null() ? "" : object["root"].get<std::string>()));
        CHECK(record[10] == "true");
    }
}

TEST_CASE("export --unreachable: the objects heapu shows, not reachable", "[export][commands]") {
    ExportHeap e;
    PyHeap& h = e.p.h;
    // A cycle of two lists that nothing reachable holds, the youngest GC generation's only
    // objects (the other GC lists are empty).
    const uint64_t a = h.list({h.None});
    const uint64_t b = h.list({a});
    h.poke<uint64_t>(h.items_of(a), b);
    const uint64_t gc = e.p.interp + h.L.interp_gc;
    const auto link = [&](uint64_t head, std::vector<uint64_t> members) {
        uint64_t previous = head;
        for (uint64_t object : members) {
            const uint64_t node = object - h.L.gc_head_size;
            h.poke<uint64_t>(previous, node);
            h.poke<uint64_t>(node + 8, previous);
            previous = node;
        }
        h.poke<uint64_t>(previous, head);
        h.poke<uint64_t>(head + 8, previous);
    };
    link(gc + h.L.gc_generations, {a, b});
    for (int g = 1; g < 3; ++g) link(gc + h.L.gc_generations + g * h.L.gc_generation_size, {});
    if (h.L.has(h.L.gc_permanent_generation)) link(gc + h.L.gc_permanent_generation, {});

    auto session = session_on(h);
    TempPath reachable_path("reachable.jsonl"), all_path("all.jsonl");
    REQUIRE(run(session, {"export", reachable_path.path}).status == 0);
    const auto result = run(session, {"export", all_path.path, "--unreachable", "--json"});
    REQUIRE(result.status == 0);
    const auto reachable = json_lines(reachable_path.path);
    const auto all = json_lines(all_path.path);
    REQUIRE(all.size() == reachable.size() + 2);
    const auto summary = Json::parse(result.output);
    CHECK(summary["file"] == all_path.path);
    CHECK(summary["format"] == "jsonl");
    CHECK(summary["objects"] == all.size());
    for (size_t i = 0; i < reachable.size(); ++i) CHECK(all[i] == reachable[i]);
    const auto cycle = by_address(std::vector<Json>(all.end() - 2, all.end()));
    REQUIRE(cycle.count(a));
    REQUIRE(cycle.count(b));
    CHECK(cycle.at(a)["reachable"] == false);
    CHECK(cycle.at(a)["referents"] == Json::array({b}));
    CHECK(cycle.at(b)["referents"] == Json::array({a}));
    CHECK(cycle.at(b)["relations"] == Json::array({"[0]"}));
    CHECK(cycle.at(b)["root"].is_null());
}

TEST_CASE("export: errors in one line, and no file left behind", "[export][commands]") {
    ExportHeap e;
    SECTION("a name that says no format") {
        auto session = session_on(e.p.h);
        TempPath path("heap.txt");
        const auto result = run(session, {"export", path.path});
        CHECK(result.status == 1);
        CHECK(result.error == fmt::format("cannot tell the format of {} from its name: give "
                                          "--format jsonl or --format csv (or name it .jsonl, "
                                          ".ndjson, .json or .csv)",
                                          path.path));
        CHECK_FALSE(std::filesystem::exists(path.path));
        CHECK(run(session, {"export", path.path, "--format", "csv"}).status == 0);
        CHECK(file_text(path.path).rfind("address,type,", 0) == 0);
        CHECK(run(session, {"export", path.path, "--format", "xml"}).error ==
              "unknown export format 'xml': use jsonl or csv");
    }
    SECTION("a file that cannot be made") {
        auto session = session_on(e.p.h);
        const auto result = run(session, {"export", "/nonexistent-heapy-dir/heap.jsonl"});
        CHECK(result.status == 1);
        CHECK(result.error ==
              "cannot create /nonexistent-heapy-dir/heap.jsonl: No such file or directory");
        CHECK(run(session, {"export"}).error ==
              "'heapy export' needs one file name (see 'heapy help export')");
    }
    SECTION("a file that cannot be written") {
        if (!std::filesystem::exists("/dev/full")) return;
        auto session = session_on(e.p.h);
        const auto result = run(session, {"export", "/dev/full", "--format", "jsonl"});
        CHECK(result.status == 1);
        CHECK(result.error == "cannot write /dev/full: No space left on device");
        CHECK(std::filesystem::exists("/dev/full")); // only a regular file is deleted
    }
    SECTION("Ctrl-C while exporting") {
        TempPath path("stopped.jsonl");
        // Ctrl-C once the export has begun (after the walk), while `armed`.
        struct Stop {
            bool armed = true;
            bool exporting = false;
        };
        auto stop = std::make_shared<Stop>();
        heapy::commands::FrontEnd frontend;
        frontend.progress = [stop](std::string_view what, uint64_t, uint64_t) {
            stop->exporting = what == "exporting objects";
        };
        frontend.interrupted = [stop] { return stop->armed && stop->exporting; };
        auto session = session_on(e.p.h, frontend);
        REQUIRE(run(session, {"heap"}).status == 0);
        std::ofstream(path.path) << "an older file\n";
        const auto result = run(session, {"export", path.path});
        CHECK(result.status == 130);
        CHECK_FALSE(std::filesystem::exists(path.path));
        stop->armed = false;
        CHECK(run(session, {"export", path.path}).status == 0);
        CHECK(std::filesystem::exists(path.path));
    }
}
