#include "core/memory/callback_memory.hpp"

#include "core/memory/elf_symbols.hpp"

namespace heapy::memory {

CallbackSymbols::CallbackSymbols(LookupFunction lookup, SectionFunction section,
                                 std::vector<LoadedModule> modules)
    : lookup_(std::move(lookup)), section_(std::move(section)), modules_(std::move(modules)) {}

CallbackSymbols::~CallbackSymbols() = default;

std::optional<SectionRange> CallbackSymbols::lookup_static(std::string_view file,
                                                           std::string_view name) const {
    std::call_once(files_once_, [&] {
        std::vector<ElfModule> elf;
        for (const LoadedModule& m : modules_) {
            const std::string& path = m.opened.empty() ? m.path : m.opened;
            std::string why;
            auto mapped = path.empty() ? nullptr : MappedFile::try_open(path, &why);
            if (!mapped) continue;
            ElfProblem problem;
            auto image = ElfImage::parse(mapped->bytes(), &problem);
            if (!image) continue;
            elf.push_back(place_elf_module(m.path, path, mapped, *image, m.bias, 4096));
            elf.back().is_executable = m.is_executable;
        }
        files_ = std::make_unique<ElfSymbols>(std::move(elf));
    });
    return files_->lookup_static(file, name);
}

Target make_callback_target(ReadFunction read, LookupFunction lookup,
                            CallbackTargetOptions options) {
    Target target;
    auto source = std::make_unique<CallbackMemory>(std::move(read), options.regions);
    target.memory =
        std::make_unique<BlockCache>(std::move(source), options.cache, std::move(options.regions));
    target.symbols = std::make_unique<CallbackSymbols>(
        std::move(lookup), std::move(options.section), std::move(options.modules));
    target.description = options.description.empty() ? "debugger target" : options.description;
    target.pid = options.pid;
    target.executable = std::move(options.executable);
    target.thread_ids = std::move(options.thread_ids);
    return target;
}

} // namespace heapy::memory
