// The root's named edges: heapy's `i0_...` attribute names, as paths and Via rows print them.
#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "tests/unit/support/decoding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace heapy::test;
using namespace heapy::test::tpflags;

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

TEST_CASE("a field decoded by name and again from its type's member table is one reference",
          "[heap][named_edges]") {
    Program p;
    PyHeap& h = p.h;
    // As types.SimpleNamespace: a C type whose member table names its instance dict, which the
    // decoder also finds through tp_dictoffset (functools.partial's `args` on 3.11 likewise).
    const uint64_t ns_type = h.static_type("mymod.Namespace", nullptr, h.t.object, 32, 0,
                                           kHaveGc | kReady | kBaseType, 16);
    h.poke(ns_type + h.L.type_members, h.member_table({{"__dict__", 16}}));
    const uint64_t ns = h.object(ns_type, 32);
    const uint64_t dict = h.name(h.dict({{h.str("a"), h.integer(1)}}), "the dict");
    h.poke(ns + 16, dict);
    p.global("ns", ns);
    Walk w(p.h);
    const uint32_t node = w.graph.index.find(ns);
    REQUIRE(node != heapy::heap::AddressIndex::kMissing);
    Lines texts;
    for (const auto& edge : heapy::heap::named_edges(w.decoder, w.graph, node))
        if (w.graph.nodes[edge.target].address() == dict)
            texts.push_back(heapy::heap::via_text(w.decoder, edge));
    CHECK(texts == Lines{".__dict__"});
    const auto counted = heapy::heap::counted_referents(w.decoder, w.graph, node);
    CHECK(std::count(counted.begin(), counted.end(), w.graph.index.find(dict)) == 1);
}
