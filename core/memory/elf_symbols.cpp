#include "core/memory/elf_symbols.hpp"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>

#include <map>

namespace heapy::memory {

struct ElfSymbols::Table {
    std::once_flag once;
    Elf* elf = nullptr;
    // Keys point into the file mapping (or into libelf's copies, kept alive by `elf`).
    std::unordered_map<std::string_view, uint64_t> symbols;
    // File-local data objects by (base name of their source file, name): [start, end) at
    // link-time addresses; {0, 0} when two files of that base name both have one.
    std::map<std::pair<std::string_view, std::string_view>, std::pair<uint64_t, uint64_t>> statics;

    ~Table() {
        if (elf) elf_end(elf);
    }
};

namespace {

void init_libelf() {
    static std::once_flag once;
    std::call_once(once, [] { elf_version(EV_CURRENT); });
}

bool wanted(const GElf_Sym& sym) {
    if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS) return false;
    switch (GELF_ST_TYPE(sym.st_info)) {
    case STT_OBJECT:
    case STT_FUNC:
    case STT_NOTYPE:
    case STT_GNU_IFUNC:
    case STT_COMMON:
        return true;
    default: // STT_TLS (not an address), STT_SECTION, STT_FILE
        return false;
    }
}

using Statics =
    std::map<std::pair<std::string_view, std::string_view>, std::pair<uint64_t, uint64_t>>;

std::string_view base_name(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Reads one symbol table section into `out`; `globals` selects global/weak or local symbols.
// With `statics`, also the local data objects by source file: the linker puts each input
// file's local symbols after an STT_FILE symbol naming its source.
void read_symbols(Elf* elf, Elf_Scn* scn, const GElf_Shdr& sh, bool globals,
                  std::unordered_map<std::string_view, uint64_t>& out, Statics* statics = nullptr) {
    if (sh.sh_entsize == 0) return;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) return;
    size_t count = static_cast<size_t>(sh.sh_size / sh.sh_entsize);
    std::string_view file;
    for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
        bool local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
        if (statics && local && GELF_ST_TYPE(sym.st_info) == STT_FILE) {
            const char* name = sym.st_name ? elf_strptr(elf, sh.sh_link, sym.st_name) : nullptr;
            file = name ? base_name(name) : std::string_view();
            continue;
        }
        if (statics && local && !file.empty() && GELF_ST_TYPE(sym.st_info) == STT_OBJECT &&
            sym.st_size > 0 && sym.st_name != 0 && sym.st_shndx != SHN_UNDEF &&
            sym.st_shndx != SHN_ABS) {
            if (const char* name = elf_strptr(elf, sh.sh_link, sym.st_name); name && *name) {
                auto [it, fresh] = statics->try_emplace({file, std::string_view(name)},
                                                        sym.st_value, sym.st_value + sym.st_size);
                if (!fresh) it->second = {0, 0}; // two files of this name: ambiguous
            }
        }
        if (local == globals || !wanted(sym) || sym.st_name == 0) continue;
        const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (!name || !*name) continue;
        out.emplace(std::string_view(name), sym.st_value);
    }
}

} // namespace

ElfSymbols::ElfSymbols(std::vector<ElfModule> modules) : modules_(std::move(modules)) {
    for (size_t i = 0; i < modules_.size(); ++i) {
        tables_.push_back(std::make_unique<Table>());
        if (modules_[i].is_executable) order_.push_back(i);
    }
    for (size_t i = 0; i < modules_.size(); ++i)
        if (!modules_[i].is_executable && is_libpython(modules_[i].path)) order_.push_back(i);
    for (size_t i = 0; i < modules_.size(); ++i)
        if (!modules_[i].is_executable && !is_libpython(modules_[i].path)) order_.push_back(i);
}

ElfSymbols::~ElfSymbols() = default;

const ElfSymbols::Table& ElfSymbols::table(size_t index) const {
    Table& t = *tables_[index];
    std::call_once(t.once, [&] {
        init_libelf();
        const ElfModule& mod = modules_[index];
        auto bytes = mod.file->bytes();
        if (bytes.empty()) return;
        // libelf only reads through this pointer for native-endian files (no conversion).
        t.elf = elf_memory(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())),
                           bytes.size());
        if (!t.elf || elf_kind(t.elf) != ELF_K_ELF) return;
        // .dynsym first, then .symtab; global symbols before local ones (first name wins).
        for (int pass = 0; pass < 3; ++pass) {
            Elf_Scn* scn = nullptr;
            while ((scn = elf_nextscn(t.elf, scn)) != nullptr) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh)) continue;
                if (pass == 0 && sh.sh_type == SHT_DYNSYM)
                    read_symbols(t.elf, scn, sh, true, t.symbols);
                else if (pass == 1 && sh.sh_type == SHT_SYMTAB)
                    read_symbols(t.elf, scn, sh, true, t.symbols);
                else if (pass == 2 && sh.sh_type == SHT_SYMTAB)
                    read_symbols(t.elf, scn, sh, false, t.symbols, &t.statics);
            }
        }
    });
    return t;
}

std::optional<uint64_t> ElfSymbols::lookup_in(size_t module, std::string_view name) const {
    if (module >= modules_.size()) return std::nullopt;
    const Table& t = table(module);
    auto it = t.symbols.find(name);
    if (it == t.symbols.end()) return std::nullopt;
    return modules_[module].bias + it->second;
}

std::optional<uint64_t> ElfSymbols::lookup(std::string_view name) const {
    for (size_t i : order_)
        if (auto a = lookup_in(i, name)) return a;
    return std::nullopt;
}

std::optional<SectionRange> ElfSymbols::lookup_static(std::string_view file,
                                                      std::string_view name) const {
    for (size_t i : order_) {
        const Table& t = table(i);
        auto it = t.statics.find({file, name});
        if (it == t.statics.end()) continue;
        if (it->second.second == 0) return std::nullopt; // ambiguous
        return SectionRange{modules_[i].bias + it->second.first,
                            modules_[i].bias + it->second.second};
    }
    return std::nullopt;
}

std::optional<SectionRange> ElfSymbols::section(std::string_view name) const {
    for (size_t i : order_) {
        const ElfModule& mod = modules_[i];
        for (const ElfSection& s : mod.image.sections())
            if (s.name == name && (s.flags & SHF_ALLOC) && s.size > 0)
                return SectionRange{mod.bias + s.addr, mod.bias + s.addr + s.size};
    }
    return std::nullopt;
}

std::vector<LoadedModule> ElfSymbols::modules() const {
    std::vector<LoadedModule> out;
    for (const ElfModule& m : modules_) {
        LoadedModule lm;
        lm.path = m.path;
        lm.opened = m.opened;
        lm.start = m.start();
        lm.end = m.end();
        lm.bias = m.bias;
        lm.is_executable = m.is_executable;
        if (m.build_id) lm.build_id = m.build_id->hex();
        out.push_back(std::move(lm));
    }
    return out;
}

} // namespace heapy::memory
