#pragma once

// heapy's reference pattern (RefPat.py, HEAPY.md 5.3): `X.rp`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace heapy::heap {

// A set of nodes: sorted node numbers without duplicates.
using NodeList = std::vector<uint32_t>;

// What a reference pattern is made of: who refers to a set, how a set is partitioned into kinds,
// which kinds stop the pattern, and how a line's set is summarised.
class RefPatSource {
  public:
    virtual ~RefPatSource() = default;
    // The referrers of the nodes of `set` (heapy's X.referrers), sorted, without duplicates.
    virtual NodeList referrers(const NodeList& set) = 0;
    // `set` partitioned by kind, rows in heapy's partition order; each row sorted.
    virtual std::vector<NodeList> partition(const NodeList& set) = 0;
    // True when every node of `set` is of a stop kind (module, type, their dicts, code, frame).
    virtual bool stops(const NodeList& set) = 0;
    // The summary ending a line (count, kind, renders) in at most `max_length` characters.
    virtual std::string summary(const NodeList& set, long max_length) = 0;
};

// The tree of referrer sets, generated depth-first and lazily as heapy does: row 0 is the set,
// the children of a row are the parts of its referrers; a row whose set was shown before refers
// to that line ([^ N]), a row without referrers is a root ([R]), a row of stop kinds below the
// top is not expanded ([S]), rows at the maximum depth are not expanded ([+]).
class ReferencePattern {
  public:
    struct Line {
        NodeList set;
        std::string name; // the letter path: `_`, `a`, `ba3`
        uint32_t depth = 0;
        long seen = -1;    // the line that showed this set first, or -1
        bool root = false; // no referrers
        bool stop = false; // below the top and of stop kinds
        std::string text;  // heapy's line, made when first asked for
    };

    ReferencePattern(RefPatSource& source, NodeList set, uint32_t max_depth = 7);

    // Generates lines up to `index`; false when the pattern has no line `index`.
    bool has_line(size_t index);
    // True once a request went past the last line (heapy's isfullygenerated).
    bool fully_generated() const { return done_; }
    size_t generated() const { return lines_.size(); }
    const Line& line(size_t index);
    // heapy's text of line `index` (RefPatRow.__str__), which must exist.
    const std::string& text(size_t index);
    // `[^ N]`, `[R]`, `[S]`, `[-]` or `[+]`.
    std::string marker(size_t index);

    // `ixl_as_str`: one letter per level, runs of more than two equal letters as letter + count.
    static std::string letters(const std::vector<uint32_t>& indices);
    static constexpr const char* kLabel = "Reference Pattern by <[dict of] class>.";
    static constexpr long kLineLength = 80;

  private:
    struct Frame {
        size_t line;
        std::vector<uint32_t> indices; // the letter path of the line
        std::vector<NodeList> children;
        size_t next = 0;
    };
    bool next_line();
    void add_line(NodeList set, std::vector<uint32_t> indices, uint32_t depth);

    RefPatSource& source_;
    uint32_t max_depth_;
    NodeList top_;
    bool started_ = false;
    bool done_ = false;
    std::vector<Line> lines_;
    std::vector<Frame> stack_;
    std::unordered_map<uint64_t, std::vector<size_t>> seen_; // set hash -> lines showing it first
};

} // namespace heapy::heap
