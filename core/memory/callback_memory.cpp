#include "core/memory/callback_memory.hpp"

namespace heapy::memory {

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
