// Completion of commands, options and their values (issue 21, points 4 and 14).
#include "core/commands/completion.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using heapy::commands::complete;
using Words = std::vector<std::string>;

TEST_CASE("commands, not the tools for heapy's tests", "[commands]") {
    CHECK(complete({}, "hea") == Words{"heap", "heapu"});
    CHECK(complete({}, "se") == Words{"select", "setref"});
    CHECK(complete({}, "sp") == Words{"sp"});
    CHECK(complete({}, "_").empty());
    CHECK(complete(Words{"help"}, "to") == Words{"top"});
}

TEST_CASE("a command's options", "[commands]") {
    CHECK(complete(Words{"heap"}, "--") == Words{"--all", "--by", "--json"});
    CHECK(complete(Words{"heap"}, "") == Words{"--all", "--by", "--json"});
    CHECK(complete(Words{"heapu", "--json"}, "--g") == Words{"--garbage"});
    CHECK(complete(Words{"nosuch"}, "").empty());
}

TEST_CASE("the values of an option, and the classifier of `by`", "[commands]") {
    CHECK(complete(Words{"heap", "--by"}, "") == Words{"class", "clodo", "id", "idset", "module",
                                                       "prod", "rcs", "size", "type", "unity",
                                                       "via"});
    CHECK(complete(Words{"heap", "--by"}, "c") == Words{"class", "clodo"});
    CHECK(complete(Words{"top", "--by"}, "") == Words{"prod", "retained", "size"});
    CHECK(complete(Words{"export", "out.csv", "--format"}, "") == Words{"csv", "jsonl"});
    CHECK(complete(Words{"by"}, "v") == Words{"via"});
    CHECK(complete(Words{"by"}, "--") == Words{"--all", "--json"});
    CHECK(complete(Words{"shpaths", "--limit"}, "").empty()); // a number
}
