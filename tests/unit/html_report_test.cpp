// heapy report's page: the template filled in, data that cannot end its script element.
#include "core/report/html_report.hpp"

#include <catch2/catch.hpp>

using heapy::report::html_assets;
using heapy::report::html_report;

TEST_CASE("html report: one page with the style, d3-hierarchy, the script and the data") {
    const std::string page = html_report("core <1>", R"({"kind": "</script><b>"})");
    CHECK(page.starts_with("<!DOCTYPE html>"));
    CHECK(page.find("<title>core &lt;1&gt;</title>") != std::string::npos);
    CHECK(page.find("{{") == std::string::npos);
    CHECK(page.find(html_assets().library) != std::string::npos);
    CHECK(page.find(html_assets().script) != std::string::npos);
    CHECK(page.find("Redistribution and use") != std::string::npos); // d3-hierarchy's licence
    CHECK(page.find(R"({"kind": "\u003c/script>\u003cb>"})") != std::string::npos);
    CHECK(page.find("</script><b>") == std::string::npos);
}

TEST_CASE("html report: the chart library is d3-hierarchy 1.x's browser build") {
    const std::string_view library = html_assets().library;
    CHECK(library.find("d3-hierarchy/ v1.") != std::string_view::npos);
    CHECK(library.find("partition") != std::string_view::npos);
}
