#include "core/report/html_report.hpp"

namespace heapy::report {

namespace {

// JSON with every '<' escaped (outside strings JSON has none).
std::string script_safe_json(std::string_view json) {
    std::string out;
    out.reserve(json.size() + json.size() / 64);
    for (char c : json) {
        if (c == '<')
            out += "\\u003c";
        else
            out += c;
    }
    return out;
}

// A licence as a block comment: "*/" inside it cannot end the comment early.
std::string comment_safe(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        out += text[i];
        if (text[i] == '*' && i + 1 < text.size() && text[i + 1] == '/') out += ' ';
    }
    return out;
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string html_report(std::string_view title, std::string_view data_json) {
    const HtmlAssets& assets = html_assets();
    const std::pair<std::string_view, std::string> parts[] = {
        {"{{TITLE}}", html_escape(title)},
        {"{{STYLE}}", std::string(assets.style)},
        {"{{LIBRARY_LICENCE}}", comment_safe(assets.library_licence)},
        {"{{LIBRARY}}", std::string(assets.library)},
        {"{{SCRIPT}}", std::string(assets.script)},
        {"{{DATA}}", script_safe_json(data_json)},
    };
    std::string out;
    out.reserve(assets.page.size() + assets.library.size() + assets.script.size() +
                data_json.size() + 4096);
    std::string_view rest = assets.page;
    while (!rest.empty()) {
        const size_t open = rest.find("{{");
        if (open == std::string_view::npos) break;
        out += rest.substr(0, open);
        rest.remove_prefix(open);
        bool replaced = false;
        for (const auto& [name, text] : parts)
            if (rest.starts_with(name)) {
                out += text;
                rest.remove_prefix(name.size());
                replaced = true;
                break;
            }
        if (!replaced) {
            out += "{{";
            rest.remove_prefix(2);
        }
    }
    out += rest;
    return out;
}

} // namespace heapy::report
