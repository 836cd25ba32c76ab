// Placeholder for shpaths and rp until they land.
#include "core/commands/commands.hpp"
#include "core/errors.hpp"

namespace heapy::commands {

std::string cmd_shpaths(SessionState&, const Arguments&) { throw Error("'heapy shpaths' is not implemented yet"); }
std::string cmd_rp(SessionState&, const Arguments&) { throw Error("'heapy rp' is not implemented yet"); }

} // namespace heapy::commands
