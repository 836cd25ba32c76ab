#pragma once

#include "core/memory/elf_module.hpp"
#include "core/memory/symbols.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heapy::memory {

// Symbols of the ELF modules loaded in a target (the executable and its shared objects). Each
// module's .dynsym and .symtab are read with libelf the first time a lookup reaches it.
// Lookups search the executable first, then libpython*, then every other module, in address
// order. Safe for concurrent use.
class ElfSymbols : public Symbols {
  public:
    explicit ElfSymbols(std::vector<ElfModule> modules);
    ~ElfSymbols() override;

    std::optional<uint64_t> lookup(std::string_view name) const override;
    std::optional<SectionRange> section(std::string_view name) const override;
    std::optional<SectionRange> lookup_static(std::string_view file,
                                              std::string_view name) const override;
    std::vector<LoadedModule> modules() const override;

    // Lookup in one module (index into elf_modules()).
    std::optional<uint64_t> lookup_in(size_t module, std::string_view name) const;
    const std::vector<ElfModule>& elf_modules() const { return modules_; }

  private:
    struct Table;
    const Table& table(size_t module) const;

    std::vector<ElfModule> modules_;
    std::vector<size_t> order_; // search order
    std::vector<std::unique_ptr<Table>> tables_;
};

} // namespace heapy::memory
