// Builds CPython process images by hand: objects laid out as the interpreter lays them out, at
// the offsets of a version's Layout (3.11 unless told), so that decoders can be tested on heaps
// whose every byte the test controls (and can corrupt). Every version (3.9 to 3.13) builds the
// objects and the interpreter and thread states; code objects, functions and frames are 3.11's.
#pragma once

#include "core/cpython/layout.hpp"
#include "tests/unit/support/memory_image.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace heapy::test {

// Type flags (Include/object.h, 3.11). MANAGED_DICT comes from the Layout.
namespace tpflags {
inline constexpr uint64_t kSequence = uint64_t{1} << 5;
inline constexpr uint64_t kMapping = uint64_t{1} << 6;
inline constexpr uint64_t kImmutable = uint64_t{1} << 8;
inline constexpr uint64_t kHeapType = uint64_t{1} << 9;
inline constexpr uint64_t kBaseType = uint64_t{1} << 10;
inline constexpr uint64_t kReady = uint64_t{1} << 12;
inline constexpr uint64_t kHaveGc = uint64_t{1} << 14;
inline constexpr uint64_t kLongSubclass = uint64_t{1} << 24;
inline constexpr uint64_t kListSubclass = uint64_t{1} << 25;
inline constexpr uint64_t kTupleSubclass = uint64_t{1} << 26;
inline constexpr uint64_t kBytesSubclass = uint64_t{1} << 27;
inline constexpr uint64_t kUnicodeSubclass = uint64_t{1} << 28;
inline constexpr uint64_t kDictSubclass = uint64_t{1} << 29;
inline constexpr uint64_t kBaseExcSubclass = uint64_t{1} << 30;
inline constexpr uint64_t kTypeSubclass = uint64_t{1} << 31;
inline constexpr uint64_t kSubclassBits = 0xffull << 24;
} // namespace tpflags

// A class statement.
struct ClassSpec {
    std::string name;
    std::string module = "__main__";
    uint64_t base = 0;                               // 0: object
    std::optional<std::vector<std::string>> slots{}; // __slots__ (then no instance dict)
    uint64_t metatype = 0;                           // 0: type
};

// A code object. `locals` are co_localsplusnames (locals, then cells and free variables).
struct CodeSpec {
    std::string name = "f";
    std::vector<std::string> locals{};
    int stacksize = 2;
    int code_units = 8;
    int firsttraceable = 0; // _co_firsttraceable
    std::string filename = "demo.py";
};

// A function object.
struct FunctionSpec {
    uint64_t code = 0;
    uint64_t globals = 0;
    uint64_t builtins = 0;
    uint64_t closure = 0; // tuple of cells
    uint64_t defaults = 0;
};

// A _PyInterpreterFrame.
struct FrameSpec {
    uint64_t code = 0;
    uint64_t function = 0;
    uint64_t globals = 0;
    uint64_t builtins = 0;
    uint64_t locals = 0;           // f_locals (module-level frames)
    std::vector<uint64_t> fast{};  // localsplus[0 .. co_nlocalsplus); missing ones are NULL
    std::vector<uint64_t> stack{}; // the value stack above them
    bool executing = false;        // stacktop = -1 (3.14: stackpointer NULL): in a register
    bool incomplete = false;       // prev_instr before _co_firsttraceable (being set up)
    uint64_t previous = 0;
};

// A CPython 3.`minor` process (3.11.2 by default; 3.14 is 3.14.7, with its _Py_DebugOffsets at
// the start of _PyRuntime and _PyStackRef frame slots): static types in the executable's data,
// objects on a heap, symbols.
class PyHeap {
  public:
    explicit PyHeap(int minor = 11);
    PyHeap(const PyHeap&) = delete;
    PyHeap& operator=(const PyHeap&) = delete;

    const cpython::Layout& L;
    MemoryImage memory;
    SymbolTable symbols;

    // The static types of the executable (exported as PyType_Type, PyDict_Type, ... where
    // CPython exports them).
    struct StaticTypes {
        uint64_t type, object, str, bytes, int_, bool_, float_, tuple, list, dict, set, frozenset;
        uint64_t function, code, cell, module, method, frame, generator, none, deque,
            set_dummy_type;
    } t{};
    uint64_t None = 0;
    uint64_t set_dummy = 0;  // the key of deleted set entries
    uint64_t runtime = 0;    // _PyRuntime
    uint64_t py_version = 0; // &Py_Version
    uint64_t empty_keys = 0; // Py_EMPTY_KEYS
    std::string version;     // "3.11.2": what sys.version starts with

    // --- memory -------------------------------------------------------------------------------
    // PyMem_Malloc'd bytes (zeroed, 16-aligned).
    uint64_t raw(uint64_t size);
    // A new object of `type`: GC head and managed-dict pre-header as the type's flags say, the
    // header filled in, ob_size set when given. `body` is the object's size from its address on.
    uint64_t object(uint64_t type, uint64_t body, std::optional<int64_t> ob_size = std::nullopt);
    // A NUL-terminated C string in the executable's read-only data.
    uint64_t cstring(std::string_view text);
    // An address guaranteed to be unmapped.
    static uint64_t unmapped(uint64_t offset = 0) { return 0x0000dead00000000ull + offset; }

    template <class T> void poke(uint64_t address, T value) { memory.put(address, value); }
    template <class T> T peek(uint64_t address) const { return memory.get<T>(address); }
    uint64_t word(uint64_t address) const { return memory.get<uint64_t>(address); }
    uint64_t type_of(uint64_t object) const { return word(object + L.object_type); }

    // A static type in the executable's data (a C extension type), exported as `symbol` if given.
    uint64_t static_type(const char* tp_name, const char* symbol, uint64_t base, int64_t basicsize,
                         int64_t itemsize, uint64_t flags, int64_t dictoffset = 0,
                         int64_t weaklistoffset = 0);
    // A PyMemberDef array (NULL-terminated) of object members: {name, offset}; T_OBJECT by default.
    uint64_t member_table(const std::vector<std::pair<std::string, int64_t>>& members,
                          int type_code = 6);

    // --- objects ------------------------------------------------------------------------------
    uint64_t str(std::string_view utf8);     // interned: the same text gives the same object
    uint64_t new_str(std::string_view utf8); // a new object every time
    uint64_t bytes(std::string_view data);
    uint64_t integer(int64_t value);
    uint64_t tuple(const std::vector<uint64_t>& items);
    uint64_t list(const std::vector<uint64_t>& items, uint64_t type = 0, int64_t spare = 0);
    // A combined dict; keys are unicode when every key is a str, general otherwise.
    uint64_t dict(const std::vector<std::pair<uint64_t, uint64_t>>& items, uint64_t type = 0);
    uint64_t set(const std::vector<uint64_t>& items, uint64_t table_slots = 0);
    void dict_set(uint64_t dict, uint64_t key, uint64_t value); // insertdict(), resizing as needed
    void dict_del(uint64_t dict, uint64_t key);    // NULLs the entry, DKIX_DUMMY in its slot
    void set_discard(uint64_t set, uint64_t item); // leaves a dummy entry (hash -1)
    uint64_t cell(uint64_t contents);
    uint64_t code(const CodeSpec& spec);
    uint64_t function(const FunctionSpec& spec);
    uint64_t module(std::string_view name, uint64_t dict);
    uint64_t deque(const std::vector<uint64_t>& items);

    // A class; plain classes get a managed dict and shared (split) keys from 3.11 on (inline
    // values in 3.13), a __dict__ slot (dictoffset) before.
    uint64_t heap_type(const ClassSpec& spec);
    // An instance; attributes go to the inline values (managed dict), to the __slots__ or (3.9,
    // 3.10) to an instance dict made at the first attribute.
    uint64_t instance(uint64_t cls,
                      const std::vector<std::pair<std::string, uint64_t>>& attrs = {});
    void set_attr(uint64_t instance, std::string_view name, uint64_t value);
    // What `obj.__dict__` does to a managed-dict instance: a dict taking over the values.
    uint64_t materialize_dict(uint64_t instance);

    uint64_t frame(const FrameSpec& spec); // a frame on a data stack of its own
    uint64_t frame_object(uint64_t frame); // a PyFrameObject for a live frame
    uint64_t generator(const FrameSpec& spec, int8_t frame_state = -1); // -1: suspended

    // --- interpreter state --------------------------------------------------------------------
    struct InterpreterSpec {
        uint64_t modules = 0; // sys.modules
        uint64_t sysdict = 0;
        uint64_t builtins = 0; // 0: builtins_dict()
    };
    uint64_t interpreter(const InterpreterSpec& spec); // the newest interpreter, heads the list
    uint64_t thread(uint64_t interpreter, uint64_t thread_id); // an idle thread, heads the list
    // Calls a function on `thread`: a new frame on its data stack becomes its current frame.
    uint64_t push_frame(uint64_t thread, FrameSpec spec);
    // The builtins module's dict: the names of the static types.
    uint64_t builtins_dict();

    // --- inspection, for corrupting and asserting ---------------------------------------------
    uint64_t keys_of(uint64_t dict) const { return word(dict + L.dict_keys); }
    uint64_t items_of(uint64_t list) const { return word(list + L.list_items); }
    uint64_t values_of(uint64_t instance) const; // its managed dict's values, 0 if none
    uint64_t cached_keys(uint64_t cls) const { return word(cls + L.heaptype_cached_keys); }
    uint64_t dict_entries(uint64_t keys) const; // address of entry 0
    int log2_size(uint64_t keys) const;         // of the index table (dk_size before 3.11)
    uint8_t keys_kind(uint64_t keys) const;     // DICT_KEYS_* (always general before 3.11)
    uint64_t current_frame(uint64_t thread) const;

    // A short name for an address in test output: given names, then 'text', 12, None, type
    // names, else "<type>@0x...".
    uint64_t name(uint64_t address, std::string label);
    std::string describe(uint64_t address) const;
    std::string text_of(uint64_t str) const; // the text a str() object was made with

  private:
    struct ClassInfo {
        std::map<std::string, uint64_t> slot_offsets;
        bool managed = false;
        int64_t dictoffset = 0;
    };
    uint64_t data(uint64_t size); // the executable's writable data
    uint64_t allocate(uint64_t size);
    uint64_t make_keys(const std::vector<std::pair<uint64_t, uint64_t>>& items, uint8_t kind,
                       int log2_size);
    void insert_index(uint64_t keys, int64_t hash, int64_t ix);
    int64_t hash_of(uint64_t object) const;
    uint64_t chunk_for(uint64_t thread);
    uint64_t place_frame(uint64_t at, const FrameSpec& spec, int8_t owner);
    uint64_t frame_bytes(uint64_t code) const;

    uint64_t heap_next_ = 0, heap_end_ = 0;
    uint64_t data_next_ = 0, rodata_next_ = 0;
    uint64_t next_interpreter_id_ = 0;
    uint64_t empty_tuple_ = 0, empty_bytes_ = 0, builtins_ = 0;
    std::map<std::string, uint64_t, std::less<>> interned_;
    std::map<uint64_t, std::string> texts_;  // str objects -> their text
    std::map<uint64_t, std::string> labels_; // address -> name shown by describe()
    std::map<uint64_t, ClassInfo> classes_;
    std::map<uint64_t, uint64_t> chunks_; // thread -> its data stack chunk (0: loose frames)
};

} // namespace heapy::test
