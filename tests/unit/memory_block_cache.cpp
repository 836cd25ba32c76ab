// BlockCache, CallbackMemory/CallbackSymbols and /proc/PID/maps parsing.
#include "core/errors.hpp"
#include "core/memory/block_cache.hpp"
#include "core/memory/callback_memory.hpp"
#include "core/memory/proc_maps.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <set>

using namespace heapy::memory;

namespace {

// A fake slow target: pages [base, base + pages * 4096) hold bytes (address & 0xff) except
// the pages in `bad`. Counts calls and remembers every address asked for.
class FakeSource final : public Memory {
  public:
    uint64_t base = 0x10000;
    uint64_t pages = 64;
    std::set<uint64_t> bad;      // page numbers relative to base
    bool all_or_nothing = false; // like gdb: any unreadable byte fails the whole read
    int throw_next = 0;          // throw heapy::Interrupted on the next N calls
    uint64_t calls = 0;
    std::vector<std::pair<uint64_t, size_t>> asked;

    bool ok(uint64_t a) const {
        return a >= base && a < base + pages * 4096 && !bad.count((a - base) / 4096);
    }
    size_t read(uint64_t address, std::span<std::byte> out) override {
        ++calls;
        asked.emplace_back(address, out.size());
        if (throw_next > 0) {
            --throw_next;
            throw heapy::Interrupted();
        }
        size_t n = 0;
        while (n < out.size() && ok(address + n)) {
            out[n] = std::byte{static_cast<uint8_t>((address + n) & 0xff)};
            ++n;
        }
        if (all_or_nothing && n < out.size()) return 0;
        return n;
    }
};

bool pattern_ok(std::span<const std::byte> bytes, uint64_t address) {
    for (size_t i = 0; i < bytes.size(); ++i)
        if (bytes[i] != std::byte{static_cast<uint8_t>((address + i) & 0xff)}) return false;
    return true;
}

} // namespace

TEST_CASE("block cache: blocks are read once and kept", "[memory]") {
    auto src = std::make_unique<FakeSource>();
    FakeSource& s = *src;
    BlockCache cache(std::move(src), {16 * 1024, 4096});
    std::vector<std::byte> buf(100);
    REQUIRE(cache.read(0x10010, buf) == 100);
    CHECK(pattern_ok(buf, 0x10010));
    CHECK(s.calls == 1);
    REQUIRE(cache.read(0x13000, buf) == 100); // same 16 KiB block
    CHECK(s.calls == 1);
    // Across a block boundary.
    REQUIRE(cache.read(0x13fd0, buf) == 100);
    CHECK(pattern_ok(buf, 0x13fd0));
    CHECK(s.calls == 2);
    // Views are stable pointers into a block; not across blocks.
    const std::byte* v = cache.view(0x14100, 64);
    REQUIRE(v != nullptr);
    CHECK(pattern_ok({v, 64}, 0x14100));
    CHECK(cache.view(0x14100, 64) == v);
    CHECK(cache.view(0x17ff0, 32) == nullptr);
    CHECK(cache.stats().blocks == 2);
    // A large read spanning several blocks.
    std::vector<std::byte> big(3 * 16 * 1024 + 123);
    REQUIRE(cache.read(0x10000 + 5, big) == big.size());
    CHECK(pattern_ok(big, 0x10005));
}

TEST_CASE("block cache: a partly readable block serves its readable pages", "[memory]") {
    for (bool all_or_nothing : {false, true}) {
        auto src = std::make_unique<FakeSource>();
        FakeSource& s = *src;
        s.bad = {5, 9};
        s.all_or_nothing = all_or_nothing;
        BlockCache cache(std::move(src), {64 * 1024, 4096});
        std::vector<std::byte> buf(2 * 4096);
        // Page 4 then page 5 (bad): short read at the start of page 5.
        CHECK(cache.read(0x10000 + 4 * 4096, buf) == 4096);
        uint64_t after_fill = s.calls;
        CHECK(after_fill > 1); // the failed block read was retried page by page
        // Pages 6-8 are fine, page 9 is not.
        CHECK(cache.read(0x10000 + 6 * 4096, buf) == 2 * 4096);
        CHECK(pattern_ok(buf, 0x10000 + 6 * 4096));
        CHECK(cache.read(0x10000 + 8 * 4096 + 100, buf) == 4096 - 100);
        CHECK(cache.read(0x10000 + 5 * 4096 + 8, buf) == 0);
        CHECK(cache.view(0x10000 + 4 * 4096, 4096) != nullptr);
        CHECK(cache.view(0x10000 + 4 * 4096 + 4000, 200) == nullptr);
        CHECK(cache.view(0x10000 + 5 * 4096, 1) == nullptr);
        // Unreadable pages are remembered: no new calls.
        CHECK(s.calls == after_fill);
        CHECK(cache.stats().unreadable_pages == 2);
        // A block with nothing readable at all is remembered too.
        CHECK(cache.read(0x900000, buf) == 0);
        uint64_t calls = s.calls;
        CHECK(cache.read(0x900010, buf) == 0);
        CHECK(s.calls == calls);
    }
}

TEST_CASE("block cache: known regions bound what the source is asked", "[memory]") {
    auto src = std::make_unique<FakeSource>();
    FakeSource& s = *src;
    std::vector<Region> regions{{0x10000, 0x12000, true, false, false, "", 0},
                                {0x12000, 0x13000, false, false, false, "", 0}, // PROT_NONE
                                {0x14000, 0x15000, true, false, false, "", 0}};
    BlockCache cache(std::move(src), {64 * 1024, 4096}, regions);
    std::vector<std::byte> buf(16);
    CHECK(cache.read(0x10100, buf) == 16);
    CHECK(cache.read(0x12000, buf) == 0);
    CHECK(cache.read(0x14000, buf) == 16);
    CHECK(cache.read(0x11ff8, buf) == 8);
    for (auto [a, n] : s.asked) {
        bool inside = (a >= 0x10000 && a + n <= 0x12000) || (a >= 0x14000 && a + n <= 0x15000);
        CHECK(inside);
    }
    CHECK(s.calls == 2); // one per readable region in the block, no retries
    CHECK(cache.regions().size() == 3);
    // Addresses in no region are never asked for.
    CHECK(cache.read(0x7f0000000000, buf) == 0);
    CHECK(s.calls == 2);
}

TEST_CASE("block cache: an exception from the source leaves nothing half-cached", "[memory]") {
    auto src = std::make_unique<FakeSource>();
    FakeSource& s = *src;
    s.throw_next = 1;
    BlockCache cache(std::move(src));
    std::vector<std::byte> buf(16);
    CHECK_THROWS_AS(cache.read(0x10000, buf), heapy::Interrupted);
    CHECK(cache.read(0x10000, buf) == 16);
    CHECK(pattern_ok(buf, 0x10000));
}

TEST_CASE("block cache: top of the address space", "[memory]") {
    auto src = std::make_unique<FakeSource>();
    src->base = UINT64_MAX - 0x3fff; // last 4 pages (ends exactly at 2^64 - 1)
    src->pages = 3;
    BlockCache cache(std::move(src), {16 * 1024, 4096});
    std::vector<std::byte> buf(32);
    CHECK(cache.read(UINT64_MAX - 0x3fff, buf) == 32);
    CHECK(cache.read(UINT64_MAX - 15, buf) == 0);
    CHECK(cache.view(UINT64_MAX - 0x3fff, 16) != nullptr);
}

TEST_CASE("callback target: reads and symbols through a debugger's functions", "[memory]") {
    uint64_t calls = 0;
    auto read = [&](uint64_t address, std::span<std::byte> out) -> size_t {
        ++calls;
        if (address < 0x1000 || address >= 0x100000) return 0;
        size_t n = std::min<uint64_t>(out.size(), 0x100000 - address);
        for (size_t i = 0; i < n; ++i) out[i] = std::byte{static_cast<uint8_t>(address + i)};
        return n + 1000; // a misbehaving callback: claims more than asked
    };
    auto lookup = [](std::string_view name) -> std::optional<uint64_t> {
        if (name == "_PyRuntime") return 0x5000;
        return std::nullopt;
    };
    CallbackTargetOptions options;
    options.description = "process 42 in a debugger";
    options.pid = 42;
    options.section = [](std::string_view name) -> std::optional<SectionRange> {
        if (name == ".PyRuntime") return SectionRange{0x5000, 0x6000};
        return std::nullopt;
    };
    Target t = make_callback_target(read, lookup, options);
    CHECK(t.description == "process 42 in a debugger");
    CHECK(t.pid == 42);
    CHECK(t.symbols->lookup("_PyRuntime") == 0x5000);
    CHECK_FALSE(t.symbols->lookup("nope").has_value());
    CHECK(t.symbols->section(".PyRuntime")->end == 0x6000);
    std::vector<std::byte> buf(64);
    CHECK(t.memory->read(0x5000, buf) == 64);
    CHECK(pattern_ok(buf, 0x5000));
    CHECK(t.memory->read(0xffff0, buf) == 16);
    CHECK(t.memory->view(0x5000, 8) != nullptr);
    CHECK(t.memory->read(0x100, buf) == 0);
    uint64_t before = calls;
    CHECK(t.memory->read(0x5100, buf) == 64);
    CHECK(calls == before);
}

TEST_CASE("proc maps: parsing", "[memory]") {
    const char* text =
        "00400000-0041f000 r--p 00000000 fd:01 1234                       /usr/bin/python3.11\n"
        "00945000-00946000 r--p 00544000 fd:01 1234                       /usr/bin/python3.11\n"
        "01d2b000-01dce000 rw-p 00000000 00:00 0                          [heap]\n"
        "7f0000000000-7f0000001000 rw-s 00001000 00:05 99                 /tmp/my file (deleted)\n"
        "7f0000002000-7f0000003000 ---p 00000000 00:00 0 \n"
        "garbage line\n"
        "7ffd4b5e0000-7ffd4b5e4000 r--p 00000000 00:00 0                  [vvar]\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0          [vsyscall]";
    auto r = parse_proc_maps(text);
    REQUIRE(r.size() == 7);
    CHECK(r[0].start == 0x400000);
    CHECK(r[0].path == "/usr/bin/python3.11");
    CHECK(r[1].file_offset == 0x544000);
    CHECK(r[2].path == "[heap]");
    CHECK(r[2].writable);
    CHECK(r[3].path == "/tmp/my file (deleted)");
    CHECK(r[3].file_offset == 0x1000);
    CHECK(r[4].path.empty());
    CHECK_FALSE(r[4].readable);
    CHECK(is_unreadable_pseudo_mapping(r[5].path));
    CHECK(is_unreadable_pseudo_mapping(r[6].path));
    CHECK_FALSE(is_unreadable_pseudo_mapping(r[2].path));
    CHECK(r[6].executable);
    CHECK(r[6].start == 0xffffffffff600000);
}
