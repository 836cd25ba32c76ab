// The definitions lldb 19's parsed commands are registered from (plugin/lldb/parsed_commands.hpp):
// what lldb completes and prints comes from these, so each option, value and argument is checked.
#include "plugin/lldb/parsed_commands.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

using heapy::lldb_frontend::parsed_command_definitions;
using nlohmann::json;

namespace {

const json& definitions() {
    static const json parsed = json::parse(parsed_command_definitions());
    return parsed;
}

const json* command(std::string_view name) {
    for (const json& c : definitions()["commands"])
        if (c["name"] == name) return &c;
    return nullptr;
}

const json& option(std::string_view command_name, std::string_view name) {
    const json* c = command(command_name);
    REQUIRE(c != nullptr);
    for (const json& o : (*c)["options"])
        if (o["name"] == name) return o;
    FAIL("no option --" << name << " for " << command_name);
    throw;
}

std::vector<std::string> enum_values(const json& o) {
    std::vector<std::string> out;
    for (const json& v : o.value("enum_values", json::array())) out.push_back(v[0]);
    return out;
}

std::vector<std::string> option_names(std::string_view command_name) {
    std::vector<std::string> out;
    for (const json& o : (*command(command_name))["options"]) out.push_back(o["name"]);
    return out;
}

} // namespace

TEST_CASE("lldb definitions: every shown command and alias, not the tools, not row", "[frontend]") {
    for (const char* name :
         {"heap", "by", "select", "shpaths", "sp", "stacks", "bt", "top", "help"})
        CHECK(command(name) != nullptr);
    // `row -1` would be an option to lldb: row stays the library's own command.
    for (const char* name : {"row", "_objects", "_wait"}) CHECK(command(name) == nullptr);
    CHECK(definitions()["no_repeat"] == heapy::lldb_frontend::kNoRepeat);
    CHECK((*command("sp"))["short_help"].get<std::string>().starts_with(
        "Alias for 'heapy shpaths': "));
}

TEST_CASE("lldb definitions: options, the values they take and their help", "[frontend]") {
    CHECK(option_names("heap") == std::vector<std::string>{"by", "all", "json", "allow-truncated",
                                                           "progress", "no-progress"});
    const json& by = option("heap", "by");
    CHECK(by["value_type"] == "eArgTypeValue"); // a <name> would complete lldb's type categories
    CHECK(by["completion_type"] == "eNoCompletion");
    std::vector<std::string> kinds = enum_values(by);
    CHECK(kinds.front() == "clodo");
    CHECK(std::ranges::count(kinds, "via") == 1);
    CHECK(by["help"].get<std::string>().starts_with("clodo (class or dict owner; the default)"));
    CHECK(!option("heap", "all").contains("value_type"));
    CHECK(option("heap", "all")["help"] == "print every row");

    CHECK(enum_values(option("top", "by")) == std::vector<std::string>{"retained", "size", "prod"});
    CHECK(option("top", "by")["help"] ==
          "size: order by own size instead; prod: the same by the line that allocated each "
          "object (needs tracemalloc)");
    CHECK(enum_values(option("export", "format")) == std::vector<std::string>{"jsonl", "csv"});
    CHECK(option("shpaths", "limit")["value_type"] == "eArgTypeCount");
    CHECK(option("shpaths", "limit")["help"] ==
          "print N paths per page (default 10; 'heapy more' continues)");
    CHECK(option("report", "diff")["value_type"] == "eArgTypeFilename");
    CHECK(option("report", "diff")["completion_type"] == "eDiskFileCompletion");
    CHECK(option("report", "diff")["help"] ==
          "also what grew and shrank by kind since a 'heapy dump' of the same program");
    CHECK(option("heapu", "garbage")["help"] ==
          "only the cyclic garbage the next collection would free");
}

TEST_CASE("lldb definitions: arguments from the usage line", "[frontend]") {
    auto arguments = [](std::string_view name) { return (*command(name))["arguments"]; };
    CHECK(arguments("heap") == json::array());
    CHECK(arguments("iso") ==
          json::parse(R"([{"arg_type": "eArgTypeAddress", "repeat": "plus"}])"));
    CHECK(arguments("sp") ==
          json::parse(R"([{"arg_type": "eArgTypeAddress", "repeat": "optional"}])"));
    CHECK(arguments("top") ==
          json::parse(R"([{"arg_type": "eArgTypeCount", "repeat": "optional"}])"));
    CHECK(arguments("dump") ==
          json::parse(R"([{"arg_type": "eArgTypeFilename", "repeat": "plain"}])"));
    CHECK(arguments("select") ==
          json::parse(R"([{"arg_type": "eArgTypeValue", "repeat": "plain"}])"));
}

TEST_CASE("lldb definitions: the long help leaves the options to lldb", "[frontend]") {
    std::string help = (*command("shpaths"))["long_help"];
    CHECK(help.starts_with("\nPaths in heapy's notation"));
    CHECK(help.find("--limit") == std::string::npos);
    CHECK(help.find("  (lldb) heapy sp 0x7f3a5c1d2e40") != std::string::npos);
    CHECK(heapy::lldb_frontend::help_after_usage("Summary.\n\nUsage: heapy x\n\nBody.\n") ==
          "Body.\n");
}
