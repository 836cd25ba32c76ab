#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace heapy::memory {

// Readable address ranges whose bytes sit in memory of this process (mapped files), sorted and
// non-overlapping. The hot path of core-file reads: a lookup is a check of the last piece hit,
// then a binary search. Safe for concurrent readers once built.
class SegmentMap {
  public:
    struct Piece {
        uint64_t start = 0;
        uint64_t size = 0;
        const std::byte* data = nullptr;
    };

    SegmentMap() = default;
    SegmentMap(const SegmentMap&) = delete;
    SegmentMap& operator=(const SegmentMap&) = delete;

    // Takes pieces in any order. Where pieces overlap (only in corrupt input), the one starting
    // first keeps the shared bytes (on equal starts, the one given first). Empty pieces are
    // dropped; neighbours contiguous both in address and in data are merged.
    explicit SegmentMap(std::vector<Piece> pieces) {
        std::stable_sort(pieces.begin(), pieces.end(),
                         [](const Piece& a, const Piece& b) { return a.start < b.start; });
        final_.reserve(pieces.size());
        uint64_t covered_end = 0; // end of the last accepted piece
        bool any = false;
        for (Piece p : pieces) {
            if (p.data == nullptr || p.size == 0) continue;
            if (p.size > UINT64_MAX - p.start) p.size = UINT64_MAX - p.start; // no wrap-around
            if (any && p.start < covered_end) {
                uint64_t skip = covered_end - p.start;
                if (skip >= p.size) continue;
                p.start += skip;
                p.data += skip;
                p.size -= skip;
            }
            if (p.size == 0) continue;
            if (any) {
                Piece& last = final_.back();
                if (last.start + last.size == p.start && last.data + last.size == p.data) {
                    last.size += p.size;
                    covered_end = last.start + last.size;
                    continue;
                }
            }
            final_.push_back(p);
            covered_end = p.start + p.size;
            any = true;
        }
        final_.shrink_to_fit();
        starts_.reserve(final_.size());
        for (const Piece& p : final_) starts_.push_back(p.start);
    }

    const std::vector<Piece>& pieces() const { return final_; }

    // The piece containing `address`, or nullptr.
    const Piece* find(uint64_t address) const {
        const size_t n = final_.size();
        if (n == 0) return nullptr;
        size_t hint = last_.load(std::memory_order_relaxed);
        const Piece* p = &final_[hint < n ? hint : 0];
        if (address - p->start < p->size) return p;
        // Branchless search for the last start <= address (compiles to cmov).
        const uint64_t* starts = starts_.data();
        size_t lo = 0, len = n;
        while (len > 1) {
            size_t half = len / 2;
            lo = starts[lo + half] <= address ? lo + half : lo;
            len -= half;
        }
        p = &final_[lo];
        if (address - p->start >= p->size) return nullptr;
        last_.store(lo, std::memory_order_relaxed);
        return p;
    }

    // `length` bytes at `address` if they lie in one piece, else nullptr.
    const std::byte* view(uint64_t address, size_t length) const {
        const Piece* p = find(address);
        if (!p) return nullptr;
        uint64_t off = address - p->start;
        if (length > p->size - off) return nullptr;
        return p->data + off;
    }

    // Copies as many bytes as are readable from the start of the range.
    size_t read(uint64_t address, std::span<std::byte> out) const {
        size_t done = 0;
        while (done < out.size()) {
            const Piece* p = find(address + done);
            if (!p || address + done < address) break;
            uint64_t off = address + done - p->start;
            size_t n = static_cast<size_t>(std::min<uint64_t>(p->size - off, out.size() - done));
            std::memcpy(out.data() + done, p->data + off, n);
            done += n;
        }
        return done;
    }

    // Whether every byte of [address, address + length) is readable.
    bool readable(uint64_t address, uint64_t length) const {
        while (length > 0) {
            const Piece* p = find(address);
            if (!p) return false;
            uint64_t n = std::min(p->size - (address - p->start), length);
            address += n;
            length -= n;
            if (length > 0 && address == 0) return false;
        }
        return true;
    }

    // Total number of readable bytes.
    uint64_t total() const {
        uint64_t sum = 0;
        for (const Piece& p : final_) sum += p.size;
        return sum;
    }

  private:
    std::vector<Piece> final_;
    std::vector<uint64_t> starts_; // final_[i].start, for a cache-friendly search
    mutable std::atomic<size_t> last_{0};
};

} // namespace heapy::memory
