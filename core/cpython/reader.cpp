#include "core/cpython/reader.hpp"

namespace heapy::cpython {

std::optional<std::string> Reader::c_string(uint64_t address, size_t max_length) {
    std::string out;
    char chunk[64];
    while (out.size() <= max_length) {
        size_t got =
            memory_.read(address + out.size(), {reinterpret_cast<std::byte*>(chunk), sizeof chunk});
        if (got == 0) return std::nullopt;
        for (size_t i = 0; i < got; ++i) {
            if (chunk[i] == '\0') return out;
            out.push_back(chunk[i]);
        }
    }
    return std::nullopt;
}

} // namespace heapy::cpython
