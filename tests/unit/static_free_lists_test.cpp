// The C static free lists of a layout (3.9's "static_free_lists") and how the symbols place them:
// by source file and name, since several files have a static called `free_list`.

#include "core/cpython/layout.hpp"
#include "core/errors.hpp"
#include "core/memory/callback_memory.hpp"
#include "core/memory/elf_image.hpp"
#include "core/memory/elf_module.hpp"
#include "core/memory/elf_symbols.hpp"
#include "core/memory/mapped_file.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace heapy;

namespace {

std::string with_constants(const std::string& constants) {
    return R"({"version": "3.9", "fields": {}, "sizes": {}, "constants": {)" + constants + "}}";
}

// pyenv's 3.9 with its symbol table (tests that need it skip where it is absent).
std::string pyenv_libpython39() {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + "/.pyenv/versions/3.9.18/lib/libpython3.9.so.1.0";
}

} // namespace

TEST_CASE("layout: static free lists and the states' free lists", "[layout][leaks]") {
    const cpython::Layout none = cpython::parse_layout(with_constants(""));
    CHECK_FALSE(none.state_free_lists_known);
    CHECK(none.static_free_lists.empty());

    const cpython::Layout empty = cpython::parse_layout(with_constants(
        R"("interp_free_lists": [], "tstate_free_lists": [],
           "static_free_lists": [["listobject.c", "free_list"], ["dictobject.c", "free_list"]])"));
    CHECK(empty.state_free_lists_known); // given, and empty: the states hold no free list
    CHECK(empty.interp_free_lists.empty());
    REQUIRE(empty.static_free_lists.size() == 2);
    CHECK(empty.static_free_lists[1].file == "dictobject.c");
    CHECK(empty.static_free_lists[1].symbol == "free_list");

    CHECK_THROWS_AS(cpython::parse_layout(with_constants(R"("static_free_lists": [["a.c"]])")),
                    Error);

    // The embedded 3.9 layout names its free lists and scans both states.
    const cpython::Layout* py39 = cpython::find_layout(3, 9);
    REQUIRE(py39);
    CHECK(py39->state_free_lists_known);
    CHECK(py39->static_free_lists.size() >= 5);
}

TEST_CASE("symbols: a file-local static by source file and name", "[memory][leaks]") {
    const std::string path = pyenv_libpython39();
    if (!std::filesystem::exists(path)) {
        WARN(path << " is not installed: skipped");
        return;
    }
    auto file = memory::MappedFile::open(path);
    memory::ElfProblem problem;
    auto image = memory::ElfImage::parse(file->bytes(), &problem);
    REQUIRE(image);
    const uint64_t bias = 0x7f0000000000;
    std::vector<memory::ElfModule> modules;
    modules.push_back(memory::place_elf_module(path, path, file, *image, bias, 4096));
    const memory::ElfSymbols symbols(std::move(modules));

    const auto list = symbols.lookup_static("listobject.c", "free_list");
    const auto dict = symbols.lookup_static("dictobject.c", "free_list");
    const auto keys = symbols.lookup_static("dictobject.c", "keys_free_list");
    REQUIRE(list);
    REQUIRE(dict);
    REQUIRE(keys);
    CHECK(list->start != dict->start);
    CHECK(list->end - list->start == 80 * 8); // PyList_MAXFREELIST pointers
    CHECK(dict->end - dict->start == 80 * 8);
    CHECK(keys->end - keys->start == 80 * 8);
    CHECK(list->start >= bias);
    CHECK_FALSE(symbols.lookup_static("nosuchfile.c", "free_list"));
    CHECK_FALSE(symbols.lookup_static("listobject.c", "no_such_static"));
    CHECK_FALSE(symbols.lookup_static("listobject.c", "PyList_New")); // a function, not data
}

TEST_CASE("symbols: a debugger's modules place file-local statics too", "[memory][leaks]") {
    const std::string path = pyenv_libpython39();
    if (!std::filesystem::exists(path)) {
        WARN(path << " is not installed: skipped");
        return;
    }
    memory::LoadedModule module;
    module.path = "/elsewhere/libpython3.9.so.1.0";
    module.opened = path;
    module.bias = 0x7f0000000000;
    const memory::CallbackSymbols symbols([](std::string_view) { return std::nullopt; }, {},
                                          {module});
    const auto list = symbols.lookup_static("listobject.c", "free_list");
    REQUIRE(list);
    CHECK(list->end - list->start == 80 * 8);
    CHECK(list->start >= module.bias);
    CHECK_FALSE(symbols.lookup_static("nosuchfile.c", "free_list"));
    // Without modules, nothing.
    const memory::CallbackSymbols bare([](std::string_view) { return std::nullopt; });
    CHECK_FALSE(bare.lookup_static("listobject.c", "free_list"));
}
