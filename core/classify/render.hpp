#pragma once

#include "core/classify/classifier.hpp"
#include "core/report/id_format.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace heapy::classify {

// heapy's renders of objects (HEAPY.md 1.2, 1.3): what identity tables (`by id`), identity-set
// kinds (`by idset`), reference patterns and briefs show for each object.
class Renderer {
  public:
    // `context.decoder` must be set.
    explicit Renderer(const ClassifyContext& context);

    // The render of one object for its Clodo kind: reprlib repr for str/bytes, repr for numbers,
    // names for types/functions/modules/code, `0x...*len` for lists/tuples/dicts, the owner's
    // render for `dict of X`, else the hex address. `short_owner` gives the short owner form
    // used in mixed tables and briefs (`..decoder`).
    std::string render(uint32_t node, bool short_owner = false);

    // The identity table of `nodes` (`heapy by id`): label kind, header and rows in heapy's order;
    // `order`, when given, receives the node of each row.
    report::IdTable id_table(const std::vector<uint32_t>& nodes, std::vector<uint32_t>* order = nullptr);

    // The brief form of a set: `<3 str: 'a', 'b', 'c'>`, `<2 (int | str): ...>` (HEAPY.md 1.3).
    std::string brief(const std::vector<uint32_t>& nodes);

  private:
    const ClassifyContext& context_;
};

} // namespace heapy::classify
