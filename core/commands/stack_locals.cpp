#include "core/commands/stack_locals.hpp"

#include <algorithm>

namespace heapy::commands {

std::vector<LocalRow> local_rows(Analysis& a, classify::ClassifyContext& context,
                                 const cpython::PythonFrame& frame) {
    std::vector<LocalRow> rows;
    for (const auto& local : frame.locals) {
        LocalRow row{&local, "?", 0, 0, false};
        if (auto node = a.node_at(local.object); node && a.is_reachable(*node)) {
            row.kind = classify::clodo_name(context, *node);
            row.size = a.graph().size_of(*node);
            row.retained = a.dominators().retained[*node];
            row.known = true;
        }
        rows.push_back(std::move(row));
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const LocalRow& x, const LocalRow& y) { return x.retained > y.retained; });
    return rows;
}

} // namespace heapy::commands
