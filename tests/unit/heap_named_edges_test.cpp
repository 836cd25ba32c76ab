// The root's named edges: heapy's `i0_...` attribute names, as paths and Via rows print them.
#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

using namespace heapy::test;

TEST_CASE("the root's edges are named after the interpreter's fields", "[heap][via]") {
    Program p;
    Walk w(p.h);
    const auto edges =
        heapy::heap::named_edges(w.decoder, w.graph, heapy::heap::ObjectGraph::kRoot);
    Lines names, texts;
    for (const auto& edge : edges) {
        names.emplace_back(edge.root_name);
        texts.push_back(heapy::heap::via_text(w.decoder, edge));
    }
    CHECK(names == w.root_names());
    REQUIRE(!texts.empty());
    CHECK(texts.front() == ".i0_modules");
    for (size_t i = 0; i < texts.size(); ++i) CHECK(texts[i] == "." + names[i]);
}
