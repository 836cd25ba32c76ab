#include "core/heap/address_index.hpp"
#include "core/heap/dict_owners.hpp"
#include "core/heap/huge_pages.hpp"
#include "core/heap/node_map.hpp"
#include "core/heap/object_graph.hpp"
#include "core/heap/pod_array.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <unordered_map>

using heapy::heap::AddressIndex;
using heapy::heap::DictOwners;
using heapy::heap::Node;
using heapy::heap::NodeKind;
using heapy::heap::NodeMap;
using heapy::heap::ObjectGraph;
using heapy::heap::PodArray;

TEST_CASE("address index: finds what was inserted and nothing else", "[heap][index]") {
    AddressIndex index;
    CHECK(index.find(0x7f0000001000) == AddressIndex::kMissing);
    CHECK(index.insert(0x7f0000001000, 1) == 1);
    CHECK(index.insert(0x7f0000001000, 2) == 1); // already there: the first node stays
    CHECK(index.find(0x7f0000001000) == 1);
    CHECK(index.find(0x7f0000001010) == AddressIndex::kMissing);
    CHECK(index.find(0x7f0000002000) == AddressIndex::kMissing);
    CHECK(index.size() == 1);
}

TEST_CASE("address index: addresses in one 32-byte granule stay apart", "[heap][index]") {
    AddressIndex index;
    index.insert(0x555500000008, 7); // an instance's values, 8 bytes into the granule
    CHECK(index.find(0x555500000008) == 7);
    for (uint64_t other : {0x555500000000, 0x555500000010, 0x555500000018})
        CHECK(index.find(other) == AddressIndex::kMissing);
    // Two 16-byte objects share a granule; a damaged pointer may ask for any of its words.
    CHECK(index.insert(0x555500000018, 9) == 9);
    CHECK(index.insert(0x555500000000, 10) == 10);
    CHECK(index.insert(0x555500000010, 11) == 11);
    CHECK(index.find(0x555500000000) == 10);
    CHECK(index.find(0x555500000008) == 7);
    CHECK(index.find(0x555500000010) == 11);
    CHECK(index.find(0x555500000018) == 9);
    CHECK(index.find(0x555500000020) == AddressIndex::kMissing);
    CHECK(index.size() == 4);
}

TEST_CASE("address index: odd, kernel-space and huge node numbers use the hash", "[heap][index]") {
    AddressIndex index;
    const uint64_t odd = 0x555500000004;
    const uint64_t kernel = 0xffffffffff600000;
    index.insert(odd, 3);
    index.insert(kernel, 4);
    index.insert(0x555500000100, 0x7fffffff); // past the 30 bits a slot has for node numbers
    index.insert(0x555500000218, 0x3fffffff); // would be kMissing in the granule's last word
    CHECK(index.find(odd) == 3);
    CHECK(index.find(kernel) == 4);
    CHECK(index.find(0x555500000100) == 0x7fffffff);
    CHECK(index.find(0x555500000218) == 0x3fffffff);
    CHECK(index.find(0x555500000200) == AddressIndex::kMissing);
    CHECK(index.size() == 4);
}

TEST_CASE("address index: agrees with a hash map on scattered and dense addresses",
          "[heap][index]") {
    AddressIndex index;
    std::unordered_map<uint64_t, uint32_t> truth;
    std::mt19937_64 random(42);
    for (uint32_t node = 0; node < 150000; ++node) {
        uint64_t address = node < 100000 ? 0x7f1200000000 + uint64_t(node) * 40
                                         : 0x7f0000000000 + (random() & 0x3ffffff8);
        uint32_t stored = index.insert(address, node);
        auto [it, added] = truth.emplace(address, node);
        CHECK(stored == it->second);
        (void)added;
    }
    CHECK(index.size() == truth.size());
    for (const auto& [address, node] : truth) REQUIRE(index.find(address) == node);
    for (int i = 0; i < 1000; ++i) {
        uint64_t address = 0x7f0000000000 + (random() & 0x3ffffff8);
        if (!truth.count(address)) REQUIRE(index.find(address) == AddressIndex::kMissing);
    }
}

TEST_CASE("pod array: grows, keeps its contents and moves", "[heap][index]") {
    PodArray<uint32_t> values;
    for (uint32_t i = 0; i < 100000; ++i) values.push_back(i * 3);
    REQUIRE(values.size() == 100000);
    CHECK(values[99999] == 99999 * 3);
    CHECK(values.back() == 99999 * 3);
    values.resize(100010, 7);
    CHECK(values[100009] == 7);
    PodArray<uint32_t> moved(std::move(values));
    CHECK(values.empty());
    CHECK(moved.size() == 100010);
    CHECK(moved[12345] == 12345 * 3);
    uint64_t sum = 0;
    for (uint32_t v : moved) sum += v;
    CHECK(sum > 0);
}

TEST_CASE("pod array: pinned, its elements stay where they are up to the limit", "[heap][index]") {
    PodArray<uint64_t> values;
    for (uint64_t i = 0; i < 10; ++i) values.push_back(i);
    REQUIRE(values.pin(size_t{1} << 24));
    CHECK(values.pinned());
    CHECK(values[9] == 9); // kept when pinned
    const uint64_t* first = values.begin();
    for (uint64_t i = 10; i < 3000000; ++i) values.push_back(i);
    CHECK(values.begin() == first); // 24 MB later, not moved
    CHECK(values[2999999] == 2999999);
    values.resize(4000000, 5);
    CHECK(values.begin() == first);
    CHECK(values[3999999] == 5);
    CHECK_THROWS_AS(values.resize((size_t{1} << 24) + 1), std::bad_alloc);
    PodArray<uint64_t> moved(std::move(values));
    CHECK(moved.pinned());
    CHECK(moved.begin() == first);
    CHECK(moved[1234567] == 1234567);
    // A range too large to reserve leaves the array as it was.
    PodArray<uint64_t> huge;
    huge.push_back(1);
    CHECK_FALSE(huge.pin(size_t{1} << 62));
    CHECK_FALSE(huge.pinned());
    CHECK(huge[0] == 1);
}

TEST_CASE("big vector: big blocks on 2 MiB boundaries, small ones as usual; contents kept",
          "[heap][index]") {
    heapy::heap::BigVector<uint32_t> small(1000, 7);
    heapy::heap::BigVector<uint32_t> big;
    for (uint32_t i = 0; i < 3'000'000; ++i) big.push_back(i); // grows through both kinds
    REQUIRE(reinterpret_cast<uintptr_t>(big.data()) % heapy::heap::kHugePageBytes == 0);
    for (uint32_t i = 0; i < big.size(); i += 4099) REQUIRE(big[i] == i);
    REQUIRE(big.back() == 2'999'999);
    REQUIRE(std::count(small.begin(), small.end(), 7u) == 1000);
    big.resize(10);      // shrinking keeps the block
    big.shrink_to_fit(); // back to a small one
    REQUIRE(big.size() == 10);
    REQUIRE(big[9] == 9);
    heapy::heap::BigVector<uint32_t> moved = std::move(small);
    REQUIRE(moved.size() == 1000);
}

TEST_CASE("node map: keeps values of the nodes that have one", "[heap][index]") {
    NodeMap<uint64_t> map;
    CHECK(map.find(0) == nullptr);
    CHECK(map.insert(5, 50) == 50);
    CHECK(map.insert(5, 99) == 50); // already there: the first value stays
    map.insert(5, 0) = 51;
    for (uint32_t node = 1000; node < 1000 + 5000 * 7; node += 7) map.insert(node, node * 2ULL);
    REQUIRE(map.size() == 5001);
    CHECK(*map.find(5) == 51);
    for (uint32_t node = 1000; node < 1000 + 5000 * 7; ++node) {
        const uint64_t* value = map.find(node);
        if ((node - 1000) % 7 == 0) {
            REQUIRE(value);
            CHECK(*value == node * 2ULL);
        } else {
            CHECK(value == nullptr);
        }
    }
    CHECK(map.find(UINT32_MAX - 1) == nullptr);
    CHECK(map.find(UINT32_MAX) == nullptr); // the empty slots' mark
}

TEST_CASE("graph nodes: 8 bytes, with big types and sizes kept aside", "[heap][index]") {
    ObjectGraph graph;
    graph.dict_type = 7;
    const uint64_t top = (uint64_t{1} << 48) - 8;
    CHECK(Node::fits(top));
    CHECK_FALSE(Node::fits(top + 8));
    CHECK_FALSE(Node::fits(0x7f0000000004));
    const uint32_t root = graph.add_node(0, 0, NodeKind::Root);
    const uint32_t a = graph.add_node(top, Node::kTypeEscape - 1, NodeKind::Object);
    const uint32_t b = graph.add_node(0x7f0000001000, Node::kTypeEscape, NodeKind::ManagedValues);
    const uint32_t c = graph.add_node(0x7f0000002010, 300000, NodeKind::InterpreterFrame);
    graph.set_size(a, 65534);
    graph.set_size(b, 65535);
    graph.set_size(c, uint64_t{5} << 32);
    CHECK(graph.nodes[root].kind() == NodeKind::Root);
    CHECK(graph.nodes[a].address() == top);
    CHECK(graph.nodes[a].kind() == NodeKind::Object);
    CHECK(graph.type_of(a) == Node::kTypeEscape - 1);
    CHECK(graph.nodes[b].address() == 0x7f0000001000);
    CHECK(graph.nodes[b].kind() == NodeKind::ManagedValues);
    CHECK(graph.type_of(b) == 7); // values are a dict; the node holds its owner's type
    CHECK(graph.stored_type(b) == Node::kTypeEscape);
    CHECK(graph.nodes[c].kind() == NodeKind::InterpreterFrame);
    CHECK(graph.type_of(c) == 300000);
    CHECK(graph.size_of(root) == 0);
    CHECK(graph.size_of(a) == 65534);
    CHECK(graph.size_of(b) == 65535);
    CHECK(graph.size_of(c) == uint64_t{5} << 32);
    CHECK(graph.big_types.size() == 2);
    CHECK(graph.sizes.big_count() == 2);
}

TEST_CASE("dict owners: found before and after they are laid out in node order", "[heap][index]") {
    DictOwners owners;
    std::unordered_map<uint32_t, uint32_t> truth;
    auto check = [&](uint32_t node_count) {
        for (uint32_t node = 0; node < node_count + 10; ++node) {
            auto it = truth.find(node);
            REQUIRE(owners.find(node) == (it == truth.end() ? DictOwners::kNone : it->second));
        }
        CHECK(owners.size() == truth.size());
    };
    // Made-just-now nodes in order (asked for in order and out of it), the others hashed.
    for (uint32_t node = 3; node < 1000; node += 7) owners.add_new(node, truth[node] = node - 1);
    owners.set(63, truth[63] = 5);
    owners.set(64, truth[64] = 6);
    owners.set(10, truth[10] = 7);       // one made just now gets another owner
    owners.add_new(500, truth[500] = 8); // not newer than the last: kept all the same
    check(1000);
    for (uint32_t node = 999; node > 13; node -= 13) {
        auto it = truth.find(node);
        REQUIRE(owners.find(node) == (it == truth.end() ? DictOwners::kNone : it->second));
    }
    owners.freeze(1000);
    check(1000);
    // After the layout: an owner changes in place, new nodes and nodes that had none get one.
    owners.set(10, truth[10] = 1);
    owners.set(11, truth[11] = 2);
    owners.set(1500, truth[1500] = 3);
    check(1600);
    owners.freeze(1600);
    check(1600);
}
