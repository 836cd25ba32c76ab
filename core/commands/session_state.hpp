#pragma once

#include "core/classify/classifier.hpp"
#include "core/commands/analysis.hpp"
#include "core/commands/arguments.hpp"
#include "core/commands/frontend.hpp"
#include "core/commands/reference_point.hpp"
#include "core/memory/target.hpp"
#include "core/report/set_format.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace heapy::commands {

// The last paged listing shown (a partition, an identity table, paths...), for `more`/`all`.
struct Listing {
    // Lines [first, first + max) as text; `top` adds the label (first page, `all`).
    std::function<std::string(size_t first, size_t max, bool top)> text;
    // Where a page starting at `first` ends.
    std::function<size_t(size_t first, size_t max)> page_end;
    // Lines [first, first + max) as one line of JSON.
    std::function<std::string(size_t first, size_t max)> json;
    // For listings that may run to millions of lines (partitions, identity tables): their lines,
    // which `all` writes a piece at a time, and the notes `text` adds after the first page.
    std::shared_ptr<const report::PageSource> lines;
    std::string notes;
    size_t next = 0;
};

// A listing of one page: `more` after it has nothing to show.
Listing single_page_listing(std::string text, std::string json);

// A set of objects: node numbers of the analysis graph, sorted, without duplicates.
using NodeSet = std::vector<uint32_t>;
// A set shared by the session and the partition made of it (a big heap's set is not copied);
// null where it may stand for the reachable heap.
using SharedNodeSet = classify::SharedNodes;

// What a table shown becomes. Most become the table `row` and `select` pick from; the subset of
// one of its rows, shown as `row` and `select` show it, leaves that table as it was, so that
// `row 0` then `row 1` are heapy's h[0] and h[1] of the same h.
enum class TableRole { pick_from, subset };

using SharedPartition = std::shared_ptr<const classify::PartitionResult>;

// What a session keeps between commands.
class SessionState {
  public:
    SessionState(memory::Target target, FrontEnd frontend);

    memory::Target& target() { return target_; }
    const FrontEnd& frontend() const { return frontend_; }
    // The analysis, made on first use; `record_relations`: if made now, its walk keeps the
    // relations of the edges (the command about to run names most of them).
    Analysis& analysis(bool record_relations = false);
    bool analysed() const { return analysis_ != nullptr; }
    // `whole_heap`: for a partition of the whole reachable heap (some classifiers need less).
    classify::ClassifyContext context(const classify::ClassifierInfo& classifier,
                                      bool whole_heap = false);

    // The current set (`heap` makes it the reachable heap) and the last partition shown.
    const NodeSet& current() { return *current_shared(); }
    SharedNodeSet current_shared() { return current_ ? current_ : analysis().reachable_set(); }
    // The current set, or null for the reachable heap (not listed until a command needs it).
    SharedNodeSet current_or_heap() { return current_; }
    void set_current(NodeSet nodes) {
        current_ = std::make_shared<const NodeSet>(std::move(nodes));
    }
    void set_current(SharedNodeSet nodes) { current_ = std::move(nodes); }
    // The last table shown (`dump` and `diff` use it), or null.
    const classify::PartitionResult* last_partition() const { return last_partition_.get(); }
    // The table `row` and `select` pick from, or null.
    const classify::PartitionResult* rows_table() const { return rows_table_.get(); }
    // The classifier of the rows table, which `row` and `select` show their subset by.
    const classify::ClassifierInfo& classifier() const { return classifier_; }
    // Makes `table` (classified by `classifier`) the one `row` and `select` pick from: for tables
    // that are not partitions of a set, such as `top`'s.
    void set_rows_table(classify::PartitionResult table,
                        const classify::ClassifierInfo& classifier);

    // Shows `nodes` (null: the reachable heap) partitioned by `classifier` (or as an identity table
    // for `id`) and makes it the listing `more` continues.
    std::string show_set(SharedNodeSet nodes, const classify::ClassifierInfo& classifier,
                         const Arguments& args, const std::string& note = {},
                         TableRole role = TableRole::pick_from);
    // Makes `listing` the one `more` continues and returns its first page (or all of it).
    std::string show_listing(Listing listing, bool all, bool json);
    std::string more(bool all, bool json);

    // The reference point (`setref`), or null. A live process's outlives this session (see
    // ReferencePoints): the next session on the same process, in the same program, has it.
    ReferencePoint reference() const;
    // Sets the reference point to `addresses` (any order); returns how many objects it holds.
    size_t set_reference(std::vector<uint64_t> addresses);
    void clear_reference();
    // What open_core said of a truncated core, and an assumed layout, as lines under tables (""
    // when neither).
    std::string truncation_line() const;

  private:
    // A page of the listing as text, its footer naming the front end's `more` command.
    std::string page_text(size_t first, size_t max, bool top) const;
    // The listing from line `first` to its end (`top`: with its label), written as it is made.
    std::string rest_of_listing(size_t first, bool top);
    std::string show_id_table(const NodeSet& nodes, const Arguments& args, const std::string& note,
                              TableRole role);
    // Forgets the tables that `role`'s new table replaces, before it is made (it may be big).
    void forget_tables(TableRole role);

    memory::Target target_;
    FrontEnd frontend_;
    std::unique_ptr<Analysis> analysis_;
    SharedNodeSet current_; // null: the reachable heap
    SharedPartition last_partition_;
    SharedPartition rows_table_;
    classify::ClassifierInfo classifier_;
    std::optional<Listing> listing_;
    std::optional<std::string> reference_key_; // set for a live process
    ReferencePoint reference_;                 // a core's reference point
};

// The classifier --by names (default `fallback`); throws heapy::Error for an unknown name.
classify::ClassifierInfo classifier_option(const Arguments& args, std::string_view fallback);
// "0x7f..." or decimal → an address; throws heapy::Error.
uint64_t parse_address(const std::string& text);
// A line under a table saying how many referents could not be read ("" when none).
std::string unreadable_note(uint64_t unreadable);
// A line under a table saying how many references were guessed ("" when none).
std::string guessed_note(uint64_t guessed);
// `object` (a JSON object, on one line or ending with one newline) with `fields` ("\"a\": 1, ...")
// added at its end.
std::string json_with_fields(std::string object, std::string_view fields);
// Text that ends with exactly one newline.
std::string line_ended(std::string text);
std::string json_escape(std::string_view text);

} // namespace heapy::commands
