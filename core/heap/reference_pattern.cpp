#include "core/heap/reference_pattern.hpp"
#include "core/report/pyunicode.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace heapy::heap {

namespace {

uint64_t hash_set(const NodeList& set) {
    uint64_t h = 1469598103934665603ull;
    for (uint32_t node : set) {
        h ^= node;
        h *= 1099511628211ull;
    }
    return h ^ set.size();
}

size_t cp_len(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

} // namespace

ReferencePattern::ReferencePattern(RefPatSource& source, NodeList set, uint32_t max_depth)
    : source_(source), max_depth_(max_depth), top_(std::move(set)) {}

std::string ReferencePattern::letters(const std::vector<uint32_t>& indices) {
    if (indices.empty()) return "_";
    std::string out;
    for (size_t i = 0; i < indices.size();) {
        size_t j = i + 1;
        while (j < indices.size() && indices[j] == indices[i]) ++j;
        const uint32_t letter = std::min<uint32_t>(indices[i], 0x10FFFF - 'a') + 'a';
        if (j - i > 2) {
            report::append_utf8(out, letter);
            out += std::to_string(j - i);
        } else {
            for (size_t k = i; k < j; ++k) report::append_utf8(out, letter);
        }
        i = j;
    }
    return out;
}

void ReferencePattern::add_line(NodeList set, std::vector<uint32_t> indices, uint32_t depth) {
    Line line;
    line.depth = depth;
    line.name = letters(indices);
    const uint64_t hash = hash_set(set);
    auto& same_hash = seen_[hash];
    for (size_t other : same_hash)
        if (lines_[other].set == set) {
            line.seen = long(other);
            break;
        }
    std::vector<NodeList> children;
    if (line.seen < 0) {
        line.stop = depth > 0 && source_.stops(set);
        const bool expand = depth < max_depth_ && !line.stop;
        if (expand) {
            children = source_.partition(source_.referrers(set));
            line.root = children.empty();
        } else {
            line.root = source_.referrers(set).empty();
        }
        same_hash.push_back(lines_.size());
    }
    line.set = std::move(set);
    const size_t index = lines_.size();
    lines_.push_back(std::move(line));
    if (!children.empty()) stack_.push_back({index, std::move(indices), std::move(children), 0});
}

bool ReferencePattern::next_line() {
    if (!started_) {
        started_ = true;
        add_line(top_, {}, 0);
        return true;
    }
    while (!stack_.empty()) {
        Frame& frame = stack_.back();
        if (frame.next < frame.children.size()) {
            const uint32_t i = uint32_t(frame.next++);
            NodeList child = std::move(frame.children[i]);
            std::vector<uint32_t> indices = frame.indices;
            indices.push_back(i);
            const uint32_t depth = lines_[frame.line].depth + 1;
            add_line(std::move(child), std::move(indices),
                     depth); // may grow stack_: `frame` is dead
            return true;
        }
        stack_.pop_back();
    }
    done_ = true;
    return false;
}

bool ReferencePattern::has_line(size_t index) {
    while (lines_.size() <= index)
        if (done_ || !next_line()) return false;
    return true;
}

const ReferencePattern::Line& ReferencePattern::line(size_t index) {
    if (!has_line(index)) throw std::out_of_range("no such reference pattern line");
    return lines_[index];
}

std::string ReferencePattern::marker(size_t index) {
    const Line& l = line(index);
    if (l.seen >= 0) return fmt::format("[^ {}]", l.seen);
    if (l.root) return "[R]";
    if (l.stop) return "[S]";
    if (l.depth < max_depth_) return "[-]";
    return "[+]";
}

const std::string& ReferencePattern::text(size_t index) {
    line(index);
    Line& l = lines_[index];
    if (!l.text.empty()) return l.text;
    // RefPatRow.__str__: '%2d: %s ' % (index, name), then fillpat[len(prestr):9 + depth] ('-'
    // on even lines, ' ' on odd ones, 100 long), the marker, the summary.
    const std::string prestr = fmt::format("{:2d}: {} ", index, l.name);
    const long lps = long(cp_len(prestr));
    const long fill_end = std::min<long>(9 + long(l.depth), 100);
    const std::string fill(size_t(std::max<long>(0, fill_end - lps)), index & 1 ? ' ' : '-');
    const std::string prefix = prestr + fill + " " + marker(index) + " ";
    l.text = prefix + source_.summary(l.set, kLineLength - long(cp_len(prefix)));
    return l.text;
}

} // namespace heapy::heap
