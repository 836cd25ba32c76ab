#include "core/cpython/thread_activity.hpp"

#include "core/cpython/dict_reader.hpp"
#include "core/cpython/edge_sink.hpp"
#include "core/cpython/type_registry.hpp"

#include <optional>
#include <vector>

namespace heapy::cpython {

namespace {

constexpr size_t kMaxName = 1 << 10;
// _Py_THREAD_DETACHED, _Py_THREAD_ATTACHED, _Py_THREAD_SUSPENDED (3.13+).
constexpr int32_t kDetached = 0;
constexpr int32_t kAttached = 1;
constexpr int32_t kSuspended = 2;

// The value of an instance's attribute `name`, wherever the instance keeps its attributes (a
// dict, inline values, a split dict's values).
class AttributeFinder final : public EdgeSink {
  public:
    AttributeFinder(ObjectDecoder& decoder, std::string_view name)
        : decoder_(decoder), name_(name) {}

    std::optional<uint64_t> find(uint64_t instance) {
        uint64_t type = decoder_.reader().pointer(instance + decoder_.layout().object_type);
        const TypeInfo* info = decoder_.types().get(type);
        if (!info) return std::nullopt;
        decoder_.referents(instance, *info, *this);
        for (uint64_t dict : dicts_)
            if (uint64_t value = decoder_.dict_lookup(dict, name_)) return value;
        for (auto [values, owner] : values_) {
            if (const TypeInfo* owner_type = decoder_.types().get(owner))
                decoder_.managed_values_referents(values, *owner_type, *this);
            if (found_) return found_;
        }
        return found_ ? std::optional(found_) : std::nullopt;
    }

    void edge(uint64_t address, const Relation& relation, Referent referent,
              uint64_t aux) override {
        if (found_) return;
        if ((relation.kind == RelationKind::AttributeKey ||
             relation.kind == RelationKind::DictValue) &&
            decoder_.read_str(relation.object, kMaxName) == name_) {
            found_ = address;
        } else if (referent == Referent::ManagedValues) {
            values_.emplace_back(address, aux);
        } else if (relation.owned_dict) {
            dicts_.push_back(address);
        }
    }

  private:
    ObjectDecoder& decoder_;
    std::string_view name_;
    uint64_t found_ = 0;
    std::vector<uint64_t> dicts_;
    std::vector<std::pair<uint64_t, uint64_t>> values_;
};

} // namespace

GilState read_gil(const Runtime& runtime, Reader& reader, const Interpreter& interp) {
    const Layout& l = *runtime.layout;
    uint64_t gil = 0;
    if (l.has(l.interp_gil))
        gil = reader.pointer(interp.address + l.interp_gil);
    else if (l.has(l.runtime_gil))
        gil = runtime.address + l.runtime_gil;
    GilState out;
    if (gil == 0 || !l.has(l.gil_locked) || !l.has(l.gil_last_holder)) return out;
    int32_t locked = 0, enabled = 1;
    if (!reader.read(gil + l.gil_locked, locked)) return out;
    if (l.has(l.gil_enabled) && !reader.read(gil + l.gil_enabled, enabled)) return out;
    out.known = true;
    out.address = gil;
    out.enabled = enabled != 0;
    out.locked = locked != 0;
    out.holder = reader.pointer(gil + l.gil_last_holder);
    return out;
}

ThreadActivity thread_activity(const Runtime& runtime, Reader& reader, const GilState& gil,
                               const ThreadState& thread) {
    const Layout& l = *runtime.layout;
    if (l.has(l.tstate_state)) {
        int32_t state = -1;
        if (!reader.read(thread.address + l.tstate_state, state)) return ThreadActivity::Unknown;
        switch (state) {
        case kDetached:
            return ThreadActivity::Detached;
        case kAttached:
            return ThreadActivity::Attached;
        case kSuspended:
            return ThreadActivity::Suspended;
        default:
            return ThreadActivity::Unknown;
        }
    }
    if (!gil.known) return ThreadActivity::Unknown;
    return gil.locked && gil.holder == thread.address ? ThreadActivity::Attached
                                                      : ThreadActivity::Detached;
}

const char* activity_text(ThreadActivity activity) {
    switch (activity) {
    case ThreadActivity::Attached:
        return "running (holds the GIL)";
    case ThreadActivity::Detached:
        return "waiting (GIL released: a lock, sleep, I/O or C code)";
    case ThreadActivity::Suspended:
        return "suspended (stop-the-world)";
    case ThreadActivity::Unknown:
        break;
    }
    return "unknown";
}

std::map<uint64_t, std::string> thread_names(ObjectDecoder& decoder, const Interpreter& interp) {
    std::map<uint64_t, std::string> names;
    const Layout& l = decoder.layout();
    Reader& reader = decoder.reader();
    const uint64_t modules = reader.pointer(interp.address + l.interp_modules);
    const uint64_t threading = modules ? decoder.dict_lookup(modules, "threading") : 0;
    const uint64_t globals = threading ? reader.pointer(threading + l.module_dict) : 0;
    const uint64_t active = globals ? decoder.dict_lookup(globals, "_active") : 0;
    if (!active) return names;
    std::vector<DictEntry> entries;
    DictReader(reader, l).entries(active, entries);
    for (const DictEntry& entry : entries) {
        const auto ident = decoder.read_small_int(entry.key);
        if (!ident) continue;
        AttributeFinder finder(decoder, "_name");
        if (auto name = finder.find(entry.value))
            if (auto text = decoder.read_str(*name, kMaxName)) names[uint64_t(*ident)] = *text;
    }
    return names;
}

} // namespace heapy::cpython
