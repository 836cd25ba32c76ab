#include "core/memory/elf_module.hpp"

#include "core/memory/elf_machine.hpp"

#include <algorithm>
#include <elf.h>
#include <map>

namespace heapy::memory {

uint64_t ModuleCandidate::end() const {
    uint64_t e = 0;
    for (const ModuleMapping& m : mappings) e = std::max(e, m.end);
    return e;
}

uint64_t ElfModule::end() const {
    uint64_t e = 0;
    for (const ModuleMapping& m : mappings) e = std::max(e, m.end);
    // Also the anonymous tail of the last segment (.bss), which no file mapping covers.
    const uint64_t s = start();
    for (const ElfSegment& seg : image.segments()) {
        if (seg.type != PT_LOAD || seg.memsz > (uint64_t(1) << 32)) continue;
        uint64_t seg_end = bias + seg.vaddr + seg.memsz;
        seg_end = (seg_end + 4095) & ~uint64_t(4095);
        if (seg_end > e && seg_end > s && seg_end - s < (uint64_t(1) << 34)) e = seg_end;
    }
    return e;
}

std::vector<ModuleCandidate>
group_by_file(const std::vector<std::pair<std::string, ModuleMapping>>& maps) {
    std::map<std::string, size_t> index;
    std::vector<ModuleCandidate> out;
    static const std::string deleted_suffix = " (deleted)";
    for (const auto& [raw, m] : maps) {
        if (raw.empty() || raw[0] != '/') continue; // anonymous or pseudo ([heap], memfd:...)
        std::string path = raw;
        bool deleted = false;
        if (path.size() > deleted_suffix.size() &&
            path.compare(path.size() - deleted_suffix.size(), deleted_suffix.size(),
                         deleted_suffix) == 0) {
            path.resize(path.size() - deleted_suffix.size());
            deleted = true;
        }
        auto [it, inserted] = index.emplace(path, out.size());
        if (inserted) out.push_back({path, deleted, {}});
        out[it->second].mappings.push_back(m);
        out[it->second].deleted = out[it->second].deleted || deleted;
    }
    for (ModuleCandidate& c : out)
        std::sort(c.mappings.begin(), c.mappings.end(),
                  [](const ModuleMapping& a, const ModuleMapping& b) { return a.start < b.start; });
    std::sort(out.begin(), out.end(), [](const ModuleCandidate& a, const ModuleCandidate& b) {
        return a.start() < b.start();
    });
    return out;
}

std::optional<uint64_t> compute_load_bias(const ElfImage& image,
                                          const std::vector<ModuleMapping>& mappings,
                                          uint64_t page_size) {
    if (page_size == 0 || (page_size & (page_size - 1)) != 0) page_size = 4096;
    const uint64_t mask = ~(page_size - 1);
    std::vector<const ElfSegment*> loads;
    for (const ElfSegment& s : image.segments())
        if (s.type == PT_LOAD) loads.push_back(&s);
    if (loads.empty()) return std::nullopt;
    if (mappings.empty()) return std::nullopt;

    auto bias_for = [&](const ModuleMapping& m, const ElfSegment& s) -> std::optional<uint64_t> {
        if ((s.offset & mask) != m.file_offset) return std::nullopt;
        // runtime(o) = m.start + (o - m.file_offset); link(o) = s.vaddr + (o - s.offset)
        uint64_t bias = m.start - m.file_offset + s.offset - s.vaddr;
        if ((bias & ~mask) != 0) return std::nullopt; // the kernel maps at page granularity
        return bias;
    };
    // First choice: the mapping of the file's first page that matches a PT_LOAD.
    for (const ModuleMapping& m : mappings)
        if (m.file_offset == 0)
            for (const ElfSegment* s : loads)
                if (auto b = bias_for(m, *s)) return b;
    // Then any mapping that matches a PT_LOAD.
    for (const ModuleMapping& m : mappings)
        for (const ElfSegment* s : loads)
            if (auto b = bias_for(m, *s)) return b;
    // Last resort: lowest mapping - first PT_LOAD's page-aligned address.
    return mappings.front().start - (loads.front()->vaddr & mask);
}

std::optional<ElfModule> load_elf_module(const ModuleCandidate& candidate,
                                         const std::vector<std::string>& files, uint16_t machine,
                                         std::string* why, bool* not_elf) {
    std::string reason = "no file to open";
    if (not_elf) *not_elf = false;
    for (const std::string& name : files) {
        std::string err;
        auto file = MappedFile::try_open(name, &err);
        if (!file) {
            reason = name + ": " + err;
            continue;
        }
        ElfProblem problem = ElfProblem::none;
        std::string detail;
        auto image = ElfImage::parse(file->bytes(), &problem, &detail);
        if (!image) {
            if (problem == ElfProblem::not_elf) {
                if (not_elf) *not_elf = true;
                reason = name + " is not an ELF file";
                return std::nullopt; // same content under every name
            }
            reason = name + " is not a usable " + machine_name(machine) + " ELF64 file" +
                     (detail.empty() ? "" : " (it is for " + detail + ")");
            continue;
        }
        if (image->machine() != machine) {
            reason = name + " is " + machine_name(image->machine()) + " code, not " +
                     machine_name(machine);
            continue;
        }
        auto bias = compute_load_bias(*image, candidate.mappings);
        if (!bias) {
            reason = name + " has no loadable segments";
            continue;
        }
        ElfModule mod{candidate.path,     name,  file,  *image,
                      candidate.mappings, *bias, false, image->build_id()};
        return mod;
    }
    if (why) *why = reason;
    return std::nullopt;
}

ElfModule place_elf_module(const std::string& path, const std::string& opened,
                           std::shared_ptr<const MappedFile> file, const ElfImage& image,
                           uint64_t bias, uint64_t page_size) {
    if (page_size == 0 || (page_size & (page_size - 1)) != 0) page_size = 4096;
    const uint64_t mask = ~(page_size - 1);
    ElfModule mod{path, opened, std::move(file), image, {}, bias, false, image.build_id()};
    for (const ElfSegment& s : image.segments())
        if (s.type == PT_LOAD && s.memsz > 0)
            mod.mappings.push_back(
                {(bias + s.vaddr) & mask, bias + s.vaddr + s.memsz, s.offset & mask});
    std::sort(mod.mappings.begin(), mod.mappings.end(),
              [](const ModuleMapping& a, const ModuleMapping& b) { return a.start < b.start; });
    return mod;
}

bool is_libpython(const std::string& path) {
    auto slash = path.rfind('/');
    std::string_view base = slash == std::string::npos ? std::string_view(path)
                                                       : std::string_view(path).substr(slash + 1);
    return base.substr(0, 9) == "libpython" && base.find(".so") != std::string_view::npos;
}

} // namespace heapy::memory
