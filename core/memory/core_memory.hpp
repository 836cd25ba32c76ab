#pragma once

#include "core/memory/mapped_file.hpp"
#include "core/memory/memory.hpp"
#include "core/memory/segment_map.hpp"

#include <memory>
#include <vector>

namespace heapy::memory {

// The memory of a core file: bytes dumped in the core plus file-backed pages that the core
// omits, served from the mapped files named in its NT_FILE note. Every byte returned comes
// straight from a read-only mapping (view() is zero-copy); nothing is read per call.
// Safe for concurrent readers.
class CoreMemory final : public Memory {
  public:
    CoreMemory(std::vector<std::shared_ptr<const MappedFile>> files,
               std::vector<SegmentMap::Piece> pieces, std::vector<Region> regions)
        : files_(std::move(files)), map_(std::move(pieces)), regions_(std::move(regions)) {}

    size_t read(uint64_t address, std::span<std::byte> out) override {
        if (const std::byte* p = map_.view(address, out.size())) {
            std::memcpy(out.data(), p, out.size());
            return out.size();
        }
        return map_.read(address, out);
    }
    const std::byte* view(uint64_t address, size_t length) override {
        return map_.view(address, length);
    }
    std::vector<Region> regions() const override { return regions_; }
    bool concurrent_reads() const override { return true; }

    const SegmentMap& map() const { return map_; }

  private:
    std::vector<std::shared_ptr<const MappedFile>> files_; // keeps the bytes alive
    SegmentMap map_;
    std::vector<Region> regions_;
};

} // namespace heapy::memory
