#include "core/classify/id_hash_set.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using heapy::classify::IdHashSet;

TEST_CASE("id hash set: equal keys get one id, through growth and hash collisions", "[classify]") {
    std::vector<std::string> keys;
    IdHashSet ids;
    auto name = [](uint32_t i) { return std::to_string(i).append("-k"); };
    auto insert = [&](const std::string& key, uint64_t hash) {
        auto [id, added] = ids.insert(
            hash, [&](uint32_t known) { return keys[known] == key; }, uint32_t(keys.size()));
        if (added) keys.push_back(key);
        return id;
    };
    for (uint32_t i = 0; i < 50000; ++i) CHECK(insert(name(i), uint64_t(i) * 7) == i);
    for (uint32_t i = 0; i < 50000; i += 97) CHECK(insert(name(i), uint64_t(i) * 7) == i);
    // Every key with the same hash: told apart by the keys themselves.
    const uint32_t a = insert("same-a", 12345);
    const uint32_t b = insert("same-b", 12345);
    CHECK(a != b);
    CHECK(insert("same-a", 12345) == a);
    CHECK(insert("same-b", 12345) == b);
    CHECK(ids.size() == 50002);
}
