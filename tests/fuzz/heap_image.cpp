#include "tests/fuzz/heap_image.hpp"

#include "core/commands/session.hpp"
#include "core/memory/target.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace heapy::fuzz {

namespace {

using test::PyHeap;

// The image seen through the Memory and Symbols interfaces a Session takes ownership of; the
// image itself stays with the HeapImage, so that it can be patched and restored.
class ImageMemory final : public memory::Memory {
  public:
    explicit ImageMemory(test::MemoryImage& image) : image_(image) {}
    size_t read(uint64_t address, std::span<std::byte> out) override {
        return image_.read(address, out);
    }
    const std::byte* view(uint64_t address, size_t length) override {
        return image_.view(address, length);
    }
    std::vector<memory::Region> regions() const override { return image_.regions(); }

  private:
    test::MemoryImage& image_;
};

class ImageSymbols final : public memory::Symbols {
  public:
    explicit ImageSymbols(const test::SymbolTable& table) : table_(table) {}
    std::optional<uint64_t> lookup(std::string_view name) const override {
        return table_.lookup(name);
    }
    std::vector<memory::LoadedModule> modules() const override { return table_.modules(); }

  private:
    const test::SymbolTable& table_;
};

uint64_t load_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

uint32_t load_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

template <class T> std::vector<std::byte> bytes_of(T value) {
    std::vector<std::byte> out(sizeof value);
    std::memcpy(out.data(), &value, sizeof value);
    return out;
}

} // namespace

HeapImage::HeapImage() {
    PyHeap& h = heap;
    const cpython::Layout& L = h.L;
    std::vector<uint64_t> objects; // heap objects, for the GC lists and the targets
    auto keep = [&](uint64_t object) {
        objects.push_back(object);
        return object;
    };

    const uint64_t builtins = keep(h.builtins_dict());
    const uint64_t foo = keep(h.heap_type({.name = "Foo"}));
    const uint64_t bar = keep(h.heap_type({.name = "Bar", .base = foo}));
    const uint64_t slotted =
        keep(h.heap_type({.name = "Slotted", .slots = std::vector<std::string>{"a", "b"}}));

    std::vector<uint64_t> foos;
    for (int i = 0; i < 6; ++i)
        foos.push_back(
            keep(h.instance(foo, {{"x", keep(h.integer(i))},
                                  {"name", keep(h.new_str(fmt::format("foo number {}", i)))}})));
    const uint64_t seven = keep(h.integer(7));
    const uint64_t big = keep(h.integer(int64_t{1} << 62));
    const uint64_t bar1 = keep(h.instance(
        bar, {{"x", keep(h.integer(100))}, {"y", keep(h.list({seven, big}))}, {"z", h.None}}));
    const uint64_t dict_of_foo = keep(h.materialize_dict(foos[0]));
    const uint64_t slot1 =
        keep(h.instance(slotted, {{"a", foos[1]}, {"b", keep(h.tuple({seven}))}}));

    const uint64_t items =
        keep(h.list({foos[0], foos[1], foos[2], keep(h.bytes("some bytes")), h.None, bar1}, 0, 4));
    const uint64_t pair = keep(h.tuple({items, h.str("a tuple")}));
    const uint64_t table = keep(h.dict({{h.str("items"), items}, {seven, pair}}));
    h.dict_set(table, h.str("bar"), bar1);
    h.dict_set(table, h.str("gone"), seven);
    h.dict_del(table, h.str("gone"));
    const uint64_t members = keep(h.set({h.str("member"), seven, pair, big}));
    h.set_discard(members, big);
    const uint64_t queue = keep(h.deque({foos[2], foos[3], slot1}));

    // C types decoded by recipe (an Element's children array, an lru_cache's linked list) and
    // one of unknown layout, scanned for guesses.
    const auto& element_struct = L.c_structs.at("ElementObject");
    const auto& extra_struct = L.c_structs.at("ElementObjectExtra");
    auto at = [](const cpython::CStruct& s, const char* member) {
        return s.members.at(member).offset;
    };
    const uint64_t element_type =
        h.static_type("xml.etree.ElementTree.Element", nullptr, h.t.object, element_struct.size, 0,
                      test::tpflags::kHaveGc | test::tpflags::kReady);
    const uint64_t element = keep(h.object(element_type, element_struct.size));
    h.poke(element + at(element_struct, "tag"), h.str("root"));
    const uint64_t extra = h.raw(extra_struct.size);
    h.poke(element + at(element_struct, "extra"), extra);
    const uint64_t children = h.raw(8 * 4);
    h.poke(extra + at(extra_struct, "children"), children);
    h.poke<int64_t>(extra + at(extra_struct, "length"), 3);
    h.poke<int64_t>(extra + at(extra_struct, "allocated"), 4);
    for (int i = 0; i < 3; ++i) h.poke(children + 8 * uint64_t(i), foos[i]);
    const auto& wrapper_struct = L.c_structs.at("lru_cache_object");
    const auto& link_struct = L.c_structs.at("lru_list_elem");
    const uint64_t wrapper_type =
        h.static_type("functools._lru_cache_wrapper", nullptr, h.t.object, wrapper_struct.size, 0,
                      test::tpflags::kHaveGc | test::tpflags::kReady);
    const uint64_t wrapper = keep(h.object(wrapper_type, wrapper_struct.size));
    const uint64_t root = wrapper + at(wrapper_struct, "root");
    const uint64_t link1 = h.raw(link_struct.size), link2 = h.raw(link_struct.size);
    h.poke(root + at(link_struct, "next"), link1);
    h.poke(link1 + at(link_struct, "next"), link2);
    h.poke(link2 + at(link_struct, "next"), root);
    h.poke(link1 + at(link_struct, "key"), seven);
    h.poke(link1 + at(link_struct, "result"), foos[4]);
    h.poke(link2 + at(link_struct, "key"), big);
    h.poke(link2 + at(link_struct, "result"), foos[5]);
    const uint64_t unknown_type =
        h.static_type("ext.Unknown", nullptr, h.t.object, 48, 0, test::tpflags::kReady);
    const uint64_t unknown = keep(h.object(unknown_type, 48));
    h.poke(unknown + 16, foos[1]);
    h.poke(unknown + 24, extra);
    h.poke(unknown + 32, bar1);

    const uint64_t f_code = keep(h.code({.name = "f", .locals = {"a", "b", "c"}}));
    const uint64_t main_code = keep(h.code({.name = "<module>", .filename = "main.py"}));
    const uint64_t globals = keep(h.dict({{h.str("__name__"), h.str("__main__")}}));
    const uint64_t cell = keep(h.cell(foos[4]));
    const uint64_t function = keep(h.function({.code = f_code,
                                               .globals = globals,
                                               .builtins = builtins,
                                               .closure = keep(h.tuple({cell})),
                                               .defaults = keep(h.tuple({seven}))}));
    const uint64_t generator = keep(h.generator(
        {.code = f_code, .globals = globals, .fast = {keep(h.instance(foo, {{"x", seven}}))}}));

    for (auto [name, value] : std::vector<std::pair<const char*, uint64_t>>{{"Foo", foo},
                                                                            {"Bar", bar},
                                                                            {"Slotted", slotted},
                                                                            {"items", items},
                                                                            {"table", table},
                                                                            {"members", members},
                                                                            {"queue", queue},
                                                                            {"f", function},
                                                                            {"gen", generator},
                                                                            {"slot1", slot1},
                                                                            {"element", element},
                                                                            {"cache", wrapper},
                                                                            {"unknown", unknown}})
        h.dict_set(globals, h.str(name), value);
    const uint64_t main = keep(h.module("__main__", globals));
    const uint64_t modules = keep(h.dict(
        {{h.str("__main__"), main}, {h.str("builtins"), keep(h.module("builtins", builtins))}}));
    const uint64_t interp = h.interpreter({.modules = modules, .builtins = builtins});

    const uint64_t t1 = h.thread(interp, 140001);
    const uint64_t bottom =
        h.push_frame(t1, {.code = main_code, .globals = globals, .locals = globals});
    const uint64_t top = h.push_frame(t1, {.code = f_code,
                                           .function = function,
                                           .globals = globals,
                                           .builtins = builtins,
                                           .fast = {foos[5], items},
                                           .stack = {pair}});
    const uint64_t frame_object = keep(h.frame_object(top));
    const uint64_t t2 = h.thread(interp, 140002);
    const uint64_t other =
        h.push_frame(t2, {.code = f_code, .globals = globals, .fast = {bar1}, .executing = true});

    // An unreachable cycle: garbage that only the GC lists know.
    const uint64_t c1 = keep(h.instance(foo, {{"x", seven}}));
    const uint64_t c2 = keep(h.instance(foo, {{"other", c1}}));
    h.set_attr(c1, "other", c2);
    const uint64_t lost = keep(h.list({c1, c2}));

    // The GC lists: the cycle and its list in generation 0, every other GC object in generation 2.
    if (L.has(L.interp_gc) && L.has(L.gc_generations)) {
        std::vector<uint64_t> young, old;
        for (uint64_t o : objects) {
            const uint64_t flags = h.peek<uint64_t>(h.type_of(o) + L.type_flags);
            if (!(flags & test::tpflags::kHaveGc)) continue;
            (o == c1 || o == c2 || o == lost ? young : old).push_back(o);
        }
        std::sort(old.begin(), old.end());
        old.erase(std::unique(old.begin(), old.end()), old.end());
        auto link = [&](int generation, const std::vector<uint64_t>& list) {
            const uint64_t head = interp + L.interp_gc + L.gc_generations +
                                  uint64_t(generation) * L.gc_generation_size;
            uint64_t prev = head;
            for (uint64_t o : list) {
                const uint64_t gc = o - L.gc_head_size;
                h.poke<uint64_t>(prev, gc);
                h.poke<uint64_t>(gc + 8, prev);
                prev = gc;
            }
            h.poke<uint64_t>(prev, head);
            h.poke<uint64_t>(head + 8, prev);
        };
        link(0, young);
        link(1, {});
        link(2, old);
        if (L.has(L.gc_permanent_generation)) {
            const uint64_t head = interp + L.interp_gc + L.gc_permanent_generation;
            h.poke<uint64_t>(head, head);
            h.poke<uint64_t>(head + 8, head);
        }
    }

    targets = objects;
    for (uint64_t o : foos) targets.push_back(h.values_of(o));
    for (uint64_t d : {table, globals, modules, builtins, dict_of_foo})
        targets.push_back(h.keys_of(d));
    targets.push_back(h.items_of(items));
    targets.push_back(h.word(queue + L.deque_leftblock));
    targets.push_back(h.word(members + L.set_table));
    targets.push_back(h.cached_keys(foo));
    for (uint64_t a : {extra, children, link1, link2}) targets.push_back(a);
    for (uint64_t a : {bottom, top, other, interp, t1, t2, h.runtime, h.t.list, h.t.dict, h.t.str,
                       h.t.type, h.t.tuple, h.t.int_, h.None, frame_object})
        targets.push_back(a);
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    std::erase(targets, uint64_t{0});

    regions_ = heap.memory.regions();
    for (const memory::Region& r : regions_) mapped_total_ += r.end - r.start;
    first_instance_ = foos[0];
}

uint64_t HeapImage::image_offset_to_address(uint64_t offset) const {
    if (mapped_total_ == 0) return 0;
    offset %= mapped_total_;
    for (const memory::Region& r : regions_) {
        if (offset < r.end - r.start) return r.start + offset;
        offset -= r.end - r.start;
    }
    return 0;
}

std::vector<HeapImage::Patch> HeapImage::decode(std::span<const uint8_t> input) {
    constexpr size_t kRecord = 13;
    std::vector<Patch> out;
    const uint64_t n = targets.size();
    for (size_t at = 0; at + kRecord <= input.size() && n > 0; at += kRecord) {
        const uint8_t op = input[at];
        const uint32_t where = load_u32(&input[at + 1]);
        const uint64_t value = load_u64(&input[at + 5]);
        Patch p;
        if ((op & 0xc0) == 0xc0) // far: a word anywhere in the first 8 KiB of a target
            p.address = targets[(where >> 10) % n] + (uint64_t(where & 0x3ff) << 3) - 64;
        else if (op & 0x80) // near: any byte of a target's header and first fields
            p.address = targets[(where >> 8) % n] + (where & 0xff) - 64;
        else
            p.address = image_offset_to_address(where);
        switch (op & 7) {
        case 0:
            p.bytes = bytes_of(value);
            break;
        case 1:
            p.bytes = bytes_of(uint8_t(value));
            break;
        case 2:
            p.bytes = bytes_of(uint32_t(value));
            break;
        case 3:
            p.bytes = bytes_of(targets[value % n] + ((value >> 32) & 0x3f) - 0x20);
            break;
        case 4:
            p.bytes = bytes_of(test::PyHeap::unmapped(value & 0xffff));
            break;
        case 5:
            p.bytes = bytes_of(int64_t(int8_t(value)));
            break;
        case 6:
            p.bytes = bytes_of((uint64_t{1} << 62) | (value & 0xffffffff));
            break;
        case 7: {
            uint64_t from = image_offset_to_address(value);
            p.bytes.resize(8);
            if (heap.memory.read(from, p.bytes) != p.bytes.size()) continue;
            break;
        }
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<std::vector<std::string>> HeapImage::commands() const {
    const std::string instance = fmt::format("{:#x}", first_instance_);
    return {
        {"heap"},
        {"heap", "--by", "type"},
        {"by", "via"},
        {"by", "rcs"},
        {"by", "size"},
        {"by", "module"},
        {"by", "class"},
        {"by", "unity"},
        {"by", "idset"},
        {"by", "id"},
        {"heap"},
        {"row", "0"},
        {"referrers"},
        {"referents"},
        {"shpaths"},
        {"rp"},
        {"more"},
        {"all"},
        {"heapu"},
        {"heapu", "--held"},
        {"heapu", "--garbage", "--json"},
        {"heap", "--json"},
        {"select", "str"},
        {"iso", instance},
        {"shpaths", instance},
        {"info"},
        {"stacks"},
        {"stacks", "--all", "--json"},
        {"leaks"},
        {"leaks", "--by", "via", "--json"},
        {"_objects", "--unreachable"},
        {"setref"},
        {"heap"},
    };
}

std::string HeapImage::run(const std::vector<Patch>& patches) {
    // Apply, remembering what was there.
    std::vector<Patch> undo;
    for (const Patch& p : patches) {
        if (p.bytes.empty() || !heap.memory.mapped(p.address, p.bytes.size())) continue;
        Patch old{p.address, std::vector<std::byte>(p.bytes.size())};
        heap.memory.read(p.address, old.bytes);
        heap.memory.write(p.address, p.bytes.data(), p.bytes.size());
        undo.push_back(std::move(old));
    }
    std::string transcript;
    {
        memory::Target target;
        target.memory = std::make_unique<ImageMemory>(heap.memory);
        target.symbols = std::make_unique<ImageSymbols>(heap.symbols);
        target.description = "fuzzed CPython 3.11 image";
        commands::Session session(std::move(target));
        for (const auto& words : commands()) {
            commands::CommandResult r = session.run(words);
            transcript +=
                fmt::format("{}: {} {}\n", fmt::join(words, " "), r.status,
                            r.status == 0 ? r.output.substr(0, r.output.find('\n')) : r.error);
        }
    }
    for (auto it = undo.rbegin(); it != undo.rend(); ++it)
        heap.memory.write(it->address, it->bytes.data(), it->bytes.size());
    return transcript;
}

HeapImage& shared_heap_image() {
    static HeapImage image;
    return image;
}

} // namespace heapy::fuzz
