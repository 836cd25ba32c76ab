#pragma once

// `heapy report`'s page: one self-contained HTML file (styles, scripts and data inline).

#include <string>
#include <string_view>

namespace heapy::report {

// The page's parts, embedded at build time (html_assets.cpp, made by report/html/assets.cmake).
struct HtmlAssets {
    std::string_view page;    // the template, with {{TITLE}}, {{STYLE}}, {{LIBRARY}}, ...
    std::string_view style;   // report.css
    std::string_view script;  // report.js
    std::string_view library; // d3-hierarchy's browser build
    std::string_view library_licence;
};
const HtmlAssets& html_assets();

// `data_json` (one JSON document) inside the page, so that no "</script>" in a string can end
// its script element: every '<' is written as \u003c, which JSON reads back as '<'.
std::string html_report(std::string_view title, std::string_view data_json);

// `text` with &, <, >, " and ' written as character references.
std::string html_escape(std::string_view text);

} // namespace heapy::report
