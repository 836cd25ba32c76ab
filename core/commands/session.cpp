#include "core/commands/session.hpp"

namespace heapy::commands {

struct Session::State {
    memory::Target target;
    FrontEnd frontend;
};

Session::Session(memory::Target target, FrontEnd frontend)
    : state_(std::make_unique<State>(State{std::move(target), std::move(frontend)})) {}
Session::~Session() = default;

CommandResult Session::run(std::span<const std::string> args) {
    (void)args;
    return {1, "", "heapy: not implemented yet"};
}

std::string Session::help(std::string_view) { return "heapy heap [--by KIND] [--json] [--all]\n"; }

} // namespace heapy::commands
