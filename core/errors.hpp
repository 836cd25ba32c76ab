#pragma once

#include <stdexcept>
#include <string>

namespace heapy {

// An error the user can act on. The message is one line: what is wrong and what to do.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Raised when the front end reports that the user pressed Ctrl-C.
class Interrupted : public Error {
  public:
    Interrupted() : Error("interrupted") {}
};

} // namespace heapy
