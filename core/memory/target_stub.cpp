// Placeholder until the core and process readers land; deleted by that change.
#include "core/errors.hpp"
#include "core/memory/target.hpp"

namespace heapy::memory {
Target open_core(const std::string&, const std::optional<std::string>&) {
    throw Error("core files are not supported yet");
}
Target open_process(int) { throw Error("live processes are not supported yet"); }
} // namespace heapy::memory
