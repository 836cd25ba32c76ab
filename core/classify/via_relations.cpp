#include "core/classify/via_relations.hpp"

#include "core/heap/named_edges.hpp"
#include "core/heap/relation_text.hpp"
#include "core/heap/second_thread.hpp"
#include "core/report/pyrepr.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace heapy::classify {

namespace {

// Below this many texts a second thread costs more than it saves.
constexpr size_t kTextsForTwoThreads = size_t{1} << 16;
constexpr size_t kTextsPerCheckpoint = size_t{1} << 14;

// The relation a key stands for (root names are NUL-terminated: the graph's strings, or "??").
heap::NamedEdge edge_of(const RelationKey& key) {
    cpython::Relation r;
    r.kind = cpython::RelationKind(key.kind_index >> 32);
    r.index = uint32_t(key.kind_index);
    r.object = key.object;
    const char* name = reinterpret_cast<const char*>(uintptr_t(key.name));
    if (r.kind == cpython::RelationKind::Root)
        return {0, r, name ? std::string_view(name) : std::string_view()};
    r.name = name;
    return {0, r, {}};
}

// Whether the repr of a str is the str between single quotes, and `['s']` between double ones.
bool plain_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return c >= ' ' && c <= '~' && c != '\'' && c != '"' && c != '\\';
    });
}

// The texts most of a big heap's relations have, written into `out` without the general path's
// strings: a list index (`'[3]'`), a dict key's place (`'.keys()[3]'`), a dict value under a
// short plain str key (`"['name']"`). False for the others. The same text as
// py_repr_str(via_text(...)).
bool direct_text(cpython::ObjectDecoder& decoder, const RelationKey& key, std::string& out) {
    constexpr size_t kMaxKeyChars = 64;
    std::string_view start;
    switch (cpython::RelationKind(key.kind_index >> 32)) {
    case cpython::RelationKind::Index:
        start = "'[";
        break;
    case cpython::RelationKind::DictKey:
        start = "'.keys()[";
        break;
    case cpython::RelationKind::DictValue: {
        const auto text = decoder.read_str(key.object, kMaxKeyChars);
        if (!text || !plain_ascii(*text)) return false;
        out.assign("\"['").append(*text).append("']\"");
        return true;
    }
    default:
        return false;
    }
    std::array<char, 16> digits;
    char* end =
        std::to_chars(digits.data(), digits.data() + digits.size(), uint32_t(key.kind_index)).ptr;
    out.assign(start).append(digits.data(), size_t(end - digits.data())).append("]'");
    return true;
}

// Texts [begin, end) of `keys` into `out`; stops early once `stop` is set.
void make_texts(cpython::ObjectDecoder& decoder, const heap::BigVector<RelationKey>& keys,
                size_t begin, size_t end, TextArena& out, const std::atomic<bool>& stop) {
    std::string text;
    for (size_t i = begin; i < end; ++i) {
        if (i % kTextsPerCheckpoint == 0 && stop.load(std::memory_order_relaxed)) return;
        if (direct_text(decoder, keys[i], text))
            out.add(text);
        else
            out.add(report::py_repr_str(heap::via_text(decoder, edge_of(keys[i]))));
    }
}

// The second half of the texts, made in a thread of its own.
struct TextWorker {
    TextWorker(cpython::ObjectDecoder& main, const heap::BigVector<RelationKey>& keys, size_t begin)
        : reader(main.reader().memory()), types(main.types().fork(reader)),
          decoder(reader, main.layout(), *types),
          thread([this, &keys, begin, interpreter = main.interpreter()](const auto& stop) {
              decoder.set_interpreter(interpreter);
              make_texts(decoder, keys, begin, keys.size(), texts, stop);
          }) {}

    cpython::Reader reader;
    std::unique_ptr<cpython::TypeRegistry> types;
    cpython::ObjectDecoder decoder;
    TextArena texts;
    heap::SecondThread thread; // last: it uses the others
};

} // namespace

TextArena relation_texts(const ClassifyContext& context, const heap::BigVector<RelationKey>& keys) {
    cpython::ObjectDecoder& decoder = *context.decoder;
    size_t split = keys.size();
    std::unique_ptr<TextWorker> worker;
    if (keys.size() >= kTextsForTwoThreads &&
        heap::second_thread_allowed(decoder.reader().memory())) {
        split = keys.size() / 2;
        worker = std::make_unique<TextWorker>(decoder, keys, split);
        if (!worker->thread.started()) {
            worker.reset();
            split = keys.size();
        }
    }
    TextArena texts;
    const std::atomic<bool> never{false};
    for (size_t begin = 0; begin < split; begin += kTextsPerCheckpoint) {
        context.checkpoint("naming relations", begin, keys.size());
        make_texts(decoder, keys, begin, std::min(begin + kTextsPerCheckpoint, split), texts,
                   never);
    }
    if (worker) {
        worker->thread.finish();
        texts.append(worker->texts);
    }
    return texts;
}

} // namespace heapy::classify
