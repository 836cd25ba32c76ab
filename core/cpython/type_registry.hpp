#pragma once

#include "core/cpython/c_type_recipes.hpp"
#include "core/cpython/kind.hpp"
#include "core/cpython/layout.hpp"
#include "core/cpython/reader.hpp"
#include "core/cpython/segmented_store.hpp"
#include "core/memory/symbols.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace heapy::cpython {

// Type flags (Include/object.h); stable across the supported versions.
inline constexpr uint64_t kTpFlagHeapType = uint64_t{1} << 9;
inline constexpr uint64_t kTpFlagHaveGc = uint64_t{1} << 14;
inline constexpr uint64_t kTpFlagTypeSubclass = uint64_t{1} << 31;

// An object member of a type (PyMemberDef of kind T_OBJECT / T_OBJECT_EX).
struct ObjectMember {
    uint32_t offset = 0;
    uint64_t name = 0; // address of the member's C name
};

// What the walker knows about one type object of the target.
struct TypeInfo {
    uint64_t address = 0;
    uint32_t index = 0; // dense number, for per-type tables
    Kind kind = Kind::Unknown;
    bool heap = false;
    uint64_t flags = 0;
    int64_t basicsize = 0;
    int64_t itemsize = 0;
    int64_t dictoffset = 0;
    int64_t static_base_dictoffset = 0; // dictoffset of the nearest static type in the bases
    int64_t weaklistoffset = 0;
    int64_t kind_basicsize = 0; // basicsize of the built-in type the kind comes from
    // basicsize of the nearest C type in the bases (its instance struct ends there); 0 if none.
    int64_t c_basicsize = 0;
    // How the nearest C type with a recipe lays out its instances, or null.
    const CTypeRecipe* recipe = nullptr;
    uint64_t base = 0;
    uint64_t metatype = 0;
    std::string tp_name;               // tp_name as stored (heap types: the class name)
    std::vector<ObjectMember> members; // object members to follow (slots, C members)
    bool has_managed_dict(const Layout& layout) const {
        return layout.tpflags_managed_dict != 0 && (flags & uint64_t(layout.tpflags_managed_dict));
    }
};

// Validates and describes the type objects of the target, once per type.
class TypeRegistry {
  public:
    TypeRegistry(Reader& reader, const Layout& layout, const memory::Symbols& symbols);
    // A registry for another thread: reads through `reader`, knows the same built-in types, has
    // loaded none yet.
    std::unique_ptr<TypeRegistry> fork(Reader& reader) const;

    // The type at `address`, or nullptr when it is not a plausible type object.
    const TypeInfo* get(uint64_t address) {
        Recent& recent = recent_[((address >> 4) ^ (address >> 14)) & (kRecentSlots - 1)];
        if (recent.address == address) return recent.info;
        auto it = by_address_.find(address);
        const TypeInfo* info = it != by_address_.end()
                                   ? (it->second == kInvalid ? nullptr : &types_[it->second])
                                   : load(address, 0);
        recent = {address, info};
        return info;
    }
    const TypeInfo& at(uint32_t index) const { return types_[index]; }
    size_t size() const { return types_.size(); }

    // Addresses of built-in types, 0 when not found yet.
    uint64_t type_type() const { return type_type_; }
    // The address ranges of the executable and shared objects' images, sorted: where static
    // objects live, and no allocator hands out memory.
    const std::vector<std::pair<uint64_t, uint64_t>>& static_images() const {
        return static_images_;
    }
    uint64_t address_of(Kind kind) const;
    const CTypeRecipes& recipes() const { return recipes_; }

  private:
    TypeRegistry(Reader& reader, const Layout& layout)
        : reader_(reader), layout_(layout), recipes_(CTypeRecipes::for_layout(layout)) {}

    static constexpr uint32_t kInvalid = UINT32_MAX;
    const TypeInfo* load(uint64_t address, int depth);
    Kind static_kind(uint64_t address, const std::string& tp_name) const;
    // Whether the type at `address` is written in C: static, or a heap type made from a spec
    // (its tp_name is the spec's dotted name, not the text of its __name__).
    bool is_c_type(uint64_t address, uint64_t flags, const std::string& tp_name);
    void resolve_kind(TypeInfo& info);
    void collect_members(TypeInfo& info);

    Reader& reader_;
    const Layout& layout_;
    const CTypeRecipes& recipes_;
    std::unordered_map<uint64_t, Kind> kind_by_address_;
    std::unordered_map<uint64_t, uint32_t> by_address_;
    // Stable addresses (TypeInfo pointers are handed out), and at() may be called from another
    // thread for an index that thread was told of.
    SegmentedStore<TypeInfo> types_;
    uint64_t type_type_ = 0;
    std::vector<std::pair<uint64_t, uint64_t>> static_images_;
    // A type is looked up for every object: the answers for recent addresses, in front of the
    // map (address 0, never a type, starts every slot with the right answer).
    struct Recent {
        uint64_t address = 0;
        const TypeInfo* info = nullptr;
    };
    static constexpr size_t kRecentSlots = 1024;
    std::array<Recent, kRecentSlots> recent_{};
};

} // namespace heapy::cpython
