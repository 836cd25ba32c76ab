#include "core/commands/session_state.hpp"

#include "core/classify/render.hpp"
#include "core/commands/listing_writer.hpp"
#include "core/errors.hpp"
#include "core/report/id_format.hpp"
#include "core/report/more_hint.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace heapy::commands {

SessionState::SessionState(memory::Target target, FrontEnd frontend)
    : target_(std::move(target)), frontend_(std::move(frontend)),
      classifier_(*classify::find_classifier("clodo")),
      reference_key_(ReferencePoints::key_of(target_)) {}

ReferencePoint SessionState::reference() const {
    return reference_key_ ? ReferencePoints::find(*reference_key_) : reference_;
}

size_t SessionState::set_reference(std::vector<uint64_t> addresses) {
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    auto point = std::make_shared<const std::vector<uint64_t>>(std::move(addresses));
    const size_t size = point->size();
    if (reference_key_)
        ReferencePoints::put(*reference_key_, std::move(point));
    else
        reference_ = std::move(point);
    return size;
}

void SessionState::clear_reference() {
    if (reference_key_) ReferencePoints::erase(*reference_key_);
    reference_.reset();
}

Analysis& SessionState::analysis(bool record_relations) {
    if (analysis_) return *analysis_;
    try {
        analysis_ = std::make_unique<Analysis>(target_, frontend_, record_relations);
    } catch (const Interrupted&) {
        throw;
    } catch (const Error& e) {
        // A truncated core is the likelier cause of what the analysis could not find.
        if (target_.truncation.empty()) throw;
        throw Error(fmt::format("{}; note: {}", e.what(), target_.truncation));
    }
    return *analysis_;
}

classify::ClassifyContext SessionState::context(const classify::ClassifierInfo& classifier,
                                                bool whole_heap) {
    Analysis& a = analysis(classifier.classifier == classify::Classifier::Via && whole_heap);
    classify::ClassifyContext context = a.classify_context();
    context.decoder = &a.decoder();
    if (classify::needs_referrers(classifier.classifier, whole_heap))
        context.referrers = &a.referrers();
    if (classifier.classifier == classify::Classifier::Prod) {
        cpython::Tracemalloc& tracemalloc = a.tracemalloc();
        if (!tracemalloc.unavailable().empty())
            throw Error(fmt::format(
                "{}: no producers to classify by.{}", tracemalloc.unavailable(),
                tracemalloc.tracing() ? "" : std::string(" ") + cpython::kTracemallocHint));
        context.producer = [&a](uint32_t node) { return a.producer(node); };
    }
    return context;
}

std::string SessionState::show_listing(Listing listing, bool all, bool json) {
    listing_ = std::move(listing);
    const size_t max = all ? SIZE_MAX : report::kRowsPerPage;
    if (json) {
        listing_->next = listing_->page_end(0, max);
        return listing_->json(0, SIZE_MAX) + "\n";
    }
    if (all) return rest_of_listing(0, true);
    listing_->next = listing_->page_end(0, max);
    return page_text(0, max, true);
}

std::string SessionState::rest_of_listing(size_t first, bool top) {
    Listing& l = *listing_;
    if (!l.lines) {
        l.next = l.page_end(first, SIZE_MAX);
        return page_text(first, SIZE_MAX, top);
    }
    return write_lines(*l.lines, first, top, l.notes, frontend_, l.next);
}

std::string SessionState::page_text(size_t first, size_t max, bool top) const {
    return line_ended(report::name_more_command(listing_->text(first, max, top),
                                                frontend_.command_prefix + "more"));
}

std::string SessionState::more(bool all, bool json) {
    if (!listing_) throw Error("nothing to continue: run 'heapy heap' (or another listing) first");
    Listing& l = *listing_;
    if (all) {
        if (!json) return rest_of_listing(0, true);
        l.next = l.page_end(0, SIZE_MAX);
        return l.json(0, SIZE_MAX) + "\n";
    }
    const size_t first = l.next;
    l.next = l.page_end(first, report::kRowsPerPage);
    if (l.next == first && !json)
        return fmt::format("Nothing more: the last listing was shown to its end ('{}all' "
                           "shows it again).\n",
                           frontend_.command_prefix);
    if (json) return l.json(first, l.next - first) + "\n";
    return page_text(first, report::kRowsPerPage, false);
}

void SessionState::set_rows_table(classify::PartitionResult table,
                                  const classify::ClassifierInfo& classifier) {
    forget_tables(TableRole::pick_from);
    last_partition_ = rows_table_ =
        std::make_shared<const classify::PartitionResult>(std::move(table));
    classifier_ = classifier;
}

void SessionState::forget_tables(TableRole role) {
    // Their row numbers would take memory the new table needs.
    listing_.reset();
    last_partition_.reset();
    if (role == TableRole::pick_from) rows_table_.reset();
}

std::string SessionState::show_set(SharedNodeSet nodes, const classify::ClassifierInfo& classifier,
                                   const Arguments& args, const std::string& note, TableRole role) {
    forget_tables(role);
    if (role == TableRole::pick_from) classifier_ = classifier;
    if (classifier.classifier == classify::Classifier::Id)
        return show_id_table(nodes ? *nodes : analysis().reachable(), args, note, role);
    const bool whole_heap = !nodes;
    last_partition_ = std::make_shared<const classify::PartitionResult>(
        classify::partition(context(classifier, whole_heap), std::move(nodes), classifier));
    if (role == TableRole::pick_from) rows_table_ = last_partition_;
    const uint64_t unreadable = analysis().graph().unreadable;
    std::string extra = note + unreadable_note(unreadable) +
                        guessed_note(analysis().graph().guessed) + truncation_line();
    Listing listing;
    std::shared_ptr<const report::Partition> table(last_partition_, &last_partition_->table);
    listing.lines =
        std::make_shared<const report::PageSource>(report::partition_page_source(*table));
    listing.notes = extra;
    listing.text = [table, extra](size_t first, size_t max, bool top) {
        std::string text = line_ended(report::format_partition(*table, first, max, top));
        return top || first == 0 ? text + extra : text;
    };
    listing.page_end = [table](size_t first, size_t max) {
        return report::partition_page_end(*table, first, max);
    };
    listing.json = [table, unreadable](size_t first, size_t max) {
        std::string json = report::partition_json(*table, first, max, first > 0);
        if (!unreadable) return json;
        return json_with_fields(std::move(json), fmt::format("\"unreadable\": {}", unreadable));
    };
    return show_listing(std::move(listing), args.flag("all"), args.flag("json"));
}

std::string SessionState::show_id_table(const NodeSet& nodes, const Arguments& args,
                                        const std::string& note, TableRole role) {
    auto context = this->context(*classify::find_classifier("id"));
    std::vector<uint32_t> order;
    auto table =
        std::make_shared<report::IdTable>(classify::Renderer(context).id_table(nodes, &order));
    // `row N` after `by id` picks one object.
    classify::PartitionResult rows;
    rows.table.count = table->count;
    rows.table.size = table->size;
    rows.table.classifier = "id";
    for (size_t i = 0; i < order.size(); ++i) {
        rows.table.add_row(table->rows[i].render, 1, table->rows[i].size);
        rows.row_of.push_back(uint32_t(i));
    }
    rows.nodes = std::make_shared<const NodeSet>(std::move(order));
    last_partition_ = std::make_shared<const classify::PartitionResult>(std::move(rows));
    if (role == TableRole::pick_from) rows_table_ = last_partition_;
    const std::string extra = note + unreadable_note(analysis().graph().unreadable) +
                              guessed_note(analysis().graph().guessed) + truncation_line();
    Listing listing;
    listing.lines =
        std::make_shared<const report::PageSource>(report::id_table_page_source(*table));
    listing.notes = extra;
    listing.text = [table, extra](size_t first, size_t max, bool top) {
        std::string text = line_ended(report::format_id_table(*table, first, max, top));
        return top || first == 0 ? text + extra : text;
    };
    listing.page_end = [table](size_t first, size_t max) {
        size_t n = table->rows.size();
        if (max == SIZE_MAX || first + max + 1 >= n) return n;
        return first + max;
    };
    listing.json = [table](size_t first, size_t max) {
        size_t end =
            max == SIZE_MAX ? table->rows.size() : std::min(table->rows.size(), first + max);
        std::string out = fmt::format(
            "{{\"count\": {}, \"size\": {}, \"classifier\": \"id\", \"kind\": \"{}\", \"rows\": [",
            table->count, table->size, json_escape(table->kindname));
        for (size_t i = std::min(first, end); i < end; ++i)
            out += fmt::format("{}{{{}\"size\": {}, \"render\": \"{}\"}}", i == first ? "" : ", ",
                               first > 0 ? fmt::format("\"index\": {}, ", i) : "",
                               table->rows[i].size, json_escape(table->rows[i].render));
        return out + "]}";
    };
    return show_listing(std::move(listing), args.flag("all"), args.flag("json"));
}

Listing single_page_listing(std::string text, std::string json) {
    Listing listing;
    listing.text = [text = std::move(text)](size_t first, size_t, bool) {
        return first == 0 ? text : std::string();
    };
    listing.page_end = [](size_t first, size_t) { return std::max<size_t>(first, 1); };
    listing.json = [json = std::move(json)](size_t first, size_t) {
        return first == 0 ? json : std::string();
    };
    return listing;
}

classify::ClassifierInfo classifier_option(const Arguments& args, std::string_view fallback) {
    const std::string* by = args.value("by");
    std::string_view name = by ? std::string_view(*by) : fallback;
    auto classifier = classify::find_classifier(name);
    if (!classifier)
        throw Error(fmt::format("unknown classifier '{}': use one of {}", name,
                                classify::classifier_names()));
    return *classifier;
}

uint64_t parse_address(const std::string& text) {
    try {
        size_t used = 0;
        uint64_t value = std::stoull(text, &used, 0);
        if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    throw Error(fmt::format("'{}' is not an address (write it as 0x7f... or in decimal)", text));
}

std::string guessed_note(uint64_t guessed) {
    if (guessed == 0) return {};
    return fmt::format("{} reference{} {} guessed by scanning C objects of unknown layout\n"
                       "(shown as '->(guessed)').\n",
                       guessed, guessed == 1 ? "" : "s", guessed == 1 ? "was" : "were");
}

std::string unreadable_note(uint64_t unreadable) {
    if (unreadable == 0) return {};
    return fmt::format(
        "{} object{} could not be read (missing or corrupt memory) and {} skipped.\n", unreadable,
        unreadable == 1 ? "" : "s", unreadable == 1 ? "was" : "were");
}

std::string SessionState::truncation_line() const {
    std::string out = target_.truncation.empty() ? "" : "Note: " + target_.truncation + ".\n";
    if (analysis_ && !analysis_->runtime().assumed_layout.empty())
        out +=
            fmt::format("Note: CPython {} read with {}'s layout (--assume-layout): figures may "
                        "be wrong.\n",
                        analysis_->runtime().version.text(), analysis_->runtime().assumed_layout);
    return out;
}

std::string json_with_fields(std::string object, std::string_view fields) {
    const size_t close = object.rfind('}');
    if (close == std::string::npos || fields.empty()) return object;
    object.insert(close, fmt::format(", {}", fields));
    return object;
}

std::string line_ended(std::string text) {
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    return text;
}

std::string json_escape(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(char(c));
        } else if (c < 0x20) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out.push_back(char(c));
        }
    }
    return out;
}

} // namespace heapy::commands
