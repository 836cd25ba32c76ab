#pragma once

#include "core/cpython/edge_sink.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace heapy::heap {

// One thing the decoding of a node produced, in the order the decoders produced it.
struct Found {
    enum class What : uint8_t {
        Edge,      // a referent
        OwnedEdge, // a referent that is the referrer's __dict__
        Corrupt,   // the decoder found the node corrupt
        Poll,      // the decoder asked whether to stop (EdgeSink::saturated) here
        End,       // the node is done
        Handoff,   // the decoding thread stopped before this node: decode the rest in place
    };
    uint64_t address = 0;
    cpython::Referent referent = cpython::Referent::Object;
    What what = What::Edge;
};

// Why a wait in the ring ended early.
struct RingStopped {};

// Spins briefly, then yields: both ends of the ring are busy nearly all the time.
class Backoff {
  public:
    void pause() {
        if (++spins_ < 64) {
#if defined(__x86_64__) || defined(__i386__)
            _mm_pause();
#endif
        } else {
            std::this_thread::yield();
        }
    }

  private:
    unsigned spins_ = 0;
};

// Found items from the decoding thread to the resolving one: a single-producer single-consumer
// ring. Each end keeps its position to itself and tells the other end only every kBatch items,
// or before it waits, so the two threads rarely touch the same cache line.
class FoundRing {
  public:
    FoundRing() : items_(std::make_unique<Found[]>(kSize)) {}

    // Producer. Throws RingStopped when `stop` is set while the ring is full.
    void push(const Found& found, const std::atomic<bool>& stop) {
        if (write_ - read_seen_ == kSize) {
            read_seen_ = read_.load(std::memory_order_acquire);
            Backoff backoff;
            while (write_ - read_seen_ == kSize) {
                publish();
                if (stop.load(std::memory_order_relaxed)) throw RingStopped();
                backoff.pause();
                read_seen_ = read_.load(std::memory_order_acquire);
            }
        }
        items_[write_ & kMask] = found;
        if (++write_ - published_ >= kBatch) publish();
    }
    void publish() {
        published_ = write_;
        written_.store(write_, std::memory_order_release);
    }

    // Consumer. `before_wait` runs before waiting (to tell the producer what it may need).
    // Throws RingStopped when the ring is empty and `ended` (the producer has published its
    // last item) is set.
    template <class BeforeWait>
    Found next(BeforeWait&& before_wait, const std::atomic<bool>& ended) {
        if (read_position_ == written_seen_) {
            written_seen_ = written_.load(std::memory_order_acquire);
            if (read_position_ == written_seen_) {
                release();
                before_wait();
                Backoff backoff;
                while (read_position_ == written_seen_) {
                    if (ended.load(std::memory_order_acquire)) {
                        written_seen_ = written_.load(std::memory_order_acquire);
                        if (read_position_ == written_seen_) throw RingStopped();
                        break;
                    }
                    backoff.pause();
                    written_seen_ = written_.load(std::memory_order_acquire);
                }
            }
        }
        const Found found = items_[read_position_ & kMask];
        if (++read_position_ - released_ >= kBatch) release();
        return found;
    }

    // The item `ahead` places past the next one, when the producer has published it already.
    const Found* peek(uint64_t ahead) const {
        const uint64_t position = read_position_ + ahead;
        return position < written_seen_ ? &items_[position & kMask] : nullptr;
    }

  private:
    static constexpr uint64_t kSize = uint64_t{1} << 15;
    static constexpr uint64_t kMask = kSize - 1;
    static constexpr uint64_t kBatch = 256;

    void release() {
        released_ = read_position_;
        read_.store(read_position_, std::memory_order_release);
    }

    std::unique_ptr<Found[]> items_;
    alignas(64) std::atomic<uint64_t> written_{0};
    alignas(64) std::atomic<uint64_t> read_{0};
    alignas(64) uint64_t write_ = 0; // producer's
    uint64_t read_seen_ = 0;
    uint64_t published_ = 0;
    alignas(64) uint64_t read_position_ = 0; // consumer's
    uint64_t written_seen_ = 0;
    uint64_t released_ = 0;
};

} // namespace heapy::heap
