// open_core: an ELF core file as a Target (memory from the core and from the files it names,
// symbols from the executable and shared objects).
#include "core/errors.hpp"
#include "core/memory/byte_size.hpp"
#include "core/memory/compression.hpp"
#include "core/memory/core_file_places.hpp"
#include "core/memory/core_memory.hpp"
#include "core/memory/core_notes.hpp"
#include "core/memory/core_verification.hpp"
#include "core/memory/elf_image.hpp"
#include "core/memory/elf_machine.hpp"
#include "core/memory/elf_module.hpp"
#include "core/memory/elf_symbols.hpp"
#include "core/memory/interval.hpp"
#include "core/memory/loaded_objects.hpp"
#include "core/memory/target.hpp"

#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>

namespace heapy::memory {

namespace {

std::string elf_problem_text(const std::string& path, ElfProblem problem,
                             const std::string& detail) {
    switch (problem) {
    case ElfProblem::not_elf:
        return path + " is not an ELF core file; pass a core dump (from the kernel or gcore)";
    case ElfProblem::wrong_class:
    case ElfProblem::wrong_endian:
    case ElfProblem::wrong_machine:
        return path + " is an ELF file for " + detail +
               "; heapy reads the cores of 64-bit little-endian " + supported_machine_names() +
               " processes only";
    case ElfProblem::truncated:
        return "core file " + path + " is truncated (its ELF headers are incomplete: " + detail +
               "); it cannot be analysed";
    case ElfProblem::none:
        break;
    }
    return path + " cannot be read as an ELF core file";
}

std::string elf_type_name(uint16_t type) {
    switch (type) {
    case ET_EXEC:
        return "an executable";
    case ET_DYN:
        return "a shared object or PIE executable";
    case ET_REL:
        return "an object file";
    default:
        return fmt::format("of ELF type {}", type);
    }
}

// A NUL-terminated string from dumped memory (at most `max` bytes).
std::string read_c_string(const SegmentMap& map, uint64_t address, size_t max = 4096) {
    std::string out;
    char buf[256];
    while (out.size() < max) {
        size_t n = map.read(address + out.size(),
                            std::as_writable_bytes(std::span<char>(buf, sizeof buf)));
        if (n == 0) return {};
        size_t len = strnlen(buf, n);
        out.append(buf, len);
        if (len < n) return out;
    }
    return {};
}

bool newer(const timespec& a, const timespec& b) {
    return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

std::string signal_name(int sig) {
    if (const char* abbrev = sigabbrev_np(sig)) return std::string("SIG") + abbrev;
    return std::to_string(sig);
}

// The load bias of an executable the core names no file for: 0 for one linked at a fixed
// address, else from where the process had its program headers (AT_PHDR) or its entry point.
std::optional<uint64_t> executable_bias(const ElfImage& image, std::optional<uint64_t> at_phdr,
                                        std::optional<uint64_t> at_entry) {
    if (image.type() == ET_EXEC) return 0;
    for (const ElfSegment& s : image.segments())
        if (at_phdr && s.type == PT_PHDR) return *at_phdr - s.vaddr;
    for (const ElfSegment& s : image.segments())
        if (at_phdr && s.type == PT_LOAD && image.phoff() >= s.offset &&
            image.phoff() - s.offset < s.filesz)
            return *at_phdr - (s.vaddr + (image.phoff() - s.offset));
    if (at_entry && image.entry() != 0) return *at_entry - image.entry();
    return std::nullopt;
}

// What the auxiliary vector says of the executable that `mod` places: "" when its entry point
// and program headers are where the process had them, else how they differ.
std::string auxv_mismatch(const ElfModule& mod, const CoreNotes& notes) {
    if (auto entry = notes.auxv_value(AT_ENTRY); entry && mod.bias + mod.image.entry() != *entry)
        return fmt::format("its entry point would be at {:#x}, the process had it at {:#x}",
                           mod.bias + mod.image.entry(), *entry);
    if (auto phnum = notes.auxv_value(AT_PHNUM); phnum && *phnum != mod.image.segments().size())
        return fmt::format("it has {} program headers, the process's executable had {}",
                           mod.image.segments().size(), *phnum);
    return {};
}

// The dynamic section of `mod` at runtime: (address, size), or nullopt when it has none.
std::optional<std::pair<uint64_t, uint64_t>> dynamic_section(const ElfModule& mod) {
    for (const ElfSegment& s : mod.image.segments())
        if (s.type == PT_DYNAMIC) return std::pair{mod.bias + s.vaddr, s.memsz};
    return std::nullopt;
}

// The pieces of `mod`'s read-only segments (code, constants) that `dumped` lacks, from its file.
void add_file_pieces(const ElfModule& mod, const std::vector<Interval>& dumped,
                     std::vector<SegmentMap::Piece>& pieces) {
    std::vector<Interval> gaps;
    for (const ElfSegment& seg : mod.image.segments()) {
        if (seg.type != PT_LOAD || (seg.flags & PF_W) || seg.filesz == 0) continue;
        uint64_t start = mod.bias + seg.vaddr;
        uint64_t len = std::min(seg.filesz, seg.memsz);
        if (start + len < start || seg.offset >= mod.file->size()) continue;
        len = std::min(len, mod.file->size() - seg.offset);
        gaps.clear();
        uncovered_parts(dumped, start, start + len, gaps);
        for (const Interval& g : gaps)
            pieces.push_back(
                {g.first, g.second - g.first, mod.file->data() + seg.offset + (g.first - start)});
    }
}

// Opening one core, as a sequence of named steps over the state they share. Each step reads what
// the earlier ones found and adds to the Target; run() calls them in order.
class CoreOpening {
  public:
    CoreOpening(std::shared_ptr<const MappedFile> core, const CoreOptions& options)
        : core_(std::move(core)), options_(options), path_(core_->path()) {}

    Target run() {
        read_dumped_memory();
        read_notes();
        find_executable();
        for (size_t i = 0; i < candidates_.size(); ++i)
            open_module(candidates_[i], exe_index_ && *exe_index_ == i);
        place_executable();
        place_loaded_objects();
        add_omitted_pages();
        note_missing_files();
        files_used_.push_back(core_);
        target_.memory =
            std::make_unique<CoreMemory>(std::move(files_used_), std::move(pieces_), regions());
        target_.symbols = std::make_unique<ElfSymbols>(std::move(modules_));
        target_.executable = exe_path_;
        target_.description = description();
        return std::move(target_);
    }

  private:
    // The ELF headers, the dumped memory there is, and whether the file is cut short.
    void read_dumped_memory() {
        ElfProblem problem = ElfProblem::none;
        std::string detail;
        image_ = ElfImage::parse(core_->bytes(), &problem, &detail);
        if (!image_) throw Error(elf_problem_text(path_, problem, detail));
        machine_ = image_->machine();
        if (image_->type() != ET_CORE)
            throw Error(path_ + " is not an ELF core file (it is " + elf_type_name(image_->type()) +
                        "); pass a core dump, and the executable with --exe");

        // What the file should hold, what it holds, and the dumped memory that is there.
        const uint64_t size = core_->size();
        uint64_t needed = image_->headers_end();
        uint64_t missing = 0;
        std::vector<SegmentMap::Piece> dumped_pieces;
        for (const ElfSegment& seg : image_->segments()) {
            if (seg.type != PT_LOAD && seg.type != PT_NOTE) continue;
            uint64_t end =
                seg.filesz > UINT64_MAX - seg.offset ? UINT64_MAX : seg.offset + seg.filesz;
            needed = std::max(needed, end);
            if (seg.type != PT_LOAD) continue;
            uint64_t present = seg.offset >= size ? 0 : std::min(seg.filesz, size - seg.offset);
            missing += seg.filesz - present;
            uint64_t len = std::min(present, seg.memsz);
            if (len > 0) dumped_pieces.push_back({seg.vaddr, len, core_->data() + seg.offset});
            uint64_t mem_end =
                seg.memsz > UINT64_MAX - seg.vaddr ? UINT64_MAX : seg.vaddr + seg.memsz;
            load_ranges_.emplace_back(seg.vaddr, mem_end);
        }
        if (size < needed) {
            if (!options_.allow_truncated)
                throw Error(fmt::format("core file {} is truncated ({} of {} present); pass "
                                        "--allow-truncated to analyse what is there",
                                        path_, format_byte_size(size), format_byte_size(needed)));
            target_.truncation = fmt::format(
                "core file {} is truncated ({} of {} present): {} of dumped memory is missing "
                "and reads there fail",
                path_, format_byte_size(size), format_byte_size(needed), format_byte_size(missing));
            target_.notes.push_back(target_.truncation);
            target_.missing_bytes = missing;
        }
        dumped_.emplace(std::move(dumped_pieces));
        for (const SegmentMap::Piece& p : dumped_->pieces())
            dumped_ranges_.emplace_back(p.start, p.start + p.size);
    }

    // Threads, the auxiliary vector and the files the process had mapped (NT_FILE).
    void read_notes() {
        notes_ = parse_core_notes(*image_);
        for (const std::string& p : notes_.problems)
            target_.notes.push_back("core file " + path_ + ": " + p + " (ignored)");
        bool notes_complete = true;
        for (const ElfSegment& seg : image_->segments())
            if (seg.type == PT_NOTE &&
                (seg.offset > core_->size() || seg.filesz > core_->size() - seg.offset))
                notes_complete = false;
        if (!notes_.has_nt_file)
            no_nt_file_ =
                "core file " + path_ +
                (notes_complete ? " has no NT_FILE note" : " lost its notes to the truncation");
        target_.thread_ids = notes_.thread_ids;
        target_.thread_syscalls = notes_.thread_syscalls;
        target_.machine = supported_machine(machine_);

        std::vector<std::pair<std::string, ModuleMapping>> file_maps;
        for (const FileMapping& f : notes_.files)
            file_maps.push_back({f.path, {f.start, f.end, f.file_offset}});
        candidates_ = group_by_file(file_maps);
    }

    // Which of the files the core names is the executable: the one mapping the program headers
    // (AT_PHDR), else the one named AT_EXECFN, else the one holding the entry point.
    void find_executable() {
        auto containing = [&](uint64_t addr) -> std::optional<size_t> {
            for (size_t i = 0; i < candidates_.size(); ++i)
                for (const ModuleMapping& m : candidates_[i].mappings)
                    if (addr >= m.start && addr < m.end) return i;
            return std::nullopt;
        };
        at_phdr_ = notes_.auxv_value(AT_PHDR);
        if (at_phdr_) exe_index_ = containing(*at_phdr_);
        if (!exe_index_)
            if (auto fn = notes_.auxv_value(AT_EXECFN)) {
                std::string name = read_c_string(*dumped_, *fn);
                for (size_t i = 0; i < candidates_.size() && !name.empty(); ++i)
                    if (candidates_[i].path == name) exe_index_ = i;
            }
        if (!exe_index_)
            if (auto entry = notes_.auxv_value(AT_ENTRY)) exe_index_ = containing(*entry);
    }

    // The module of `cand` from the first file that opens: --exe for the executable, else its
    // path (under the sysroot first), else, when that file is missing or of another build, a
    // file kept by the build-id the core holds, if it matches.
    std::optional<ElfModule> load_module(const ModuleCandidate& cand, bool is_exe,
                                         std::optional<Verification>& verified, std::string& why,
                                         bool& not_elf) const {
        const bool given = is_exe && options_.executable;
        auto mod = load_elf_module(
            cand, given ? std::vector{*options_.executable} : places_of(cand.path, options_),
            machine_, &why, &not_elf);
        if (mod) verified = verify_against_core(*mod, *dumped_);
        const bool mismatch = verified && verified->verdict == Verdict::mismatch;
        if (!given && ((!mod && !not_elf) || mismatch))
            if (auto id = build_id_in_core(*dumped_, cand.mappings)) {
                std::string unused;
                if (auto kept =
                        load_elf_module(cand, build_id_places(*id, options_), machine_, &unused)) {
                    Verification v = verify_against_core(*kept, *dumped_);
                    if (v.verdict == Verdict::match) {
                        verified = v;
                        return kept;
                    }
                }
            }
        return mod;
    }

    [[noreturn]] void reject_executable(const std::string& file, const std::string& why_not) {
        if (options_.executable)
            throw Error("executable " + file + " does not match core " + path_ + " (" + why_not +
                        "); pass the executable the core was made from with --exe");
        throw Error("executable " + file + " named in core " + path_ + " does not match it (" +
                    why_not +
                    "), probably rebuilt or upgraded since; pass the original with --exe");
    }

    // A named file that could not be used as a module: an error for --exe, a note for the
    // executable and shared objects, a count for other files.
    void report_unloadable(const ModuleCandidate& cand, bool is_exe, const std::string& why_not,
                           bool not_elf) {
        if (is_exe && options_.executable) {
            if (not_elf)
                throw Error(*options_.executable +
                            " is not an ELF executable; pass the executable the core was "
                            "made from with --exe");
            throw Error("cannot use executable " + why_not +
                        "; give --exe the executable the core was made from");
        }
        if (is_exe || cand.path.find(".so") != std::string::npos)
            target_.missing_modules.push_back(cand.path);
        if (is_exe) {
            target_.notes.push_back("executable " + cand.path +
                                    " named in the core cannot be read (" + why_not +
                                    "); pass it with --exe");
        } else if (cand.path.find(".so") != std::string::npos) {
            target_.notes.push_back("shared object " + cand.path +
                                    " named in the core cannot be read (" + why_not +
                                    "); its symbols are unknown and pages the core omits "
                                    "cannot be read");
        } else if (!is_special_file(cand.path)) {
            ++missing_files_;
        }
    }

    // One file the core names: its symbols and the pages the core omits come from it when it
    // is the file the process mapped.
    void open_module(const ModuleCandidate& cand, bool is_exe) {
        if (is_pseudo_file(cand.path) && !(is_exe && options_.executable)) {
            backing_[cand.path] = nullptr;
            return;
        }
        bool not_elf = false;
        std::string why_not;
        std::optional<Verification> verified;
        auto mod = load_module(cand, is_exe, verified, why_not, not_elf);
        if (!mod) {
            if (not_elf && !(is_exe && options_.executable))
                return; // a data file: decided in add_omitted_pages like any other file
            report_unloadable(cand, is_exe, why_not, not_elf);
            backing_[cand.path] = nullptr;
            return;
        }
        mod->is_executable = is_exe;
        const Verification& v = *verified;
        if (v.verdict == Verdict::mismatch) {
            if (is_exe) reject_executable(mod->opened, v.detail);
            target_.notes.push_back("shared object " + mod->opened + " does not match the core (" +
                                    v.detail +
                                    "); its symbols and the pages the core omits are not used");
            backing_[cand.path] = nullptr;
            return;
        }
        if (v.verdict == Verdict::unknown) {
            if (!(is_exe && options_.executable) && newer(mod->file->mtime(), core_->mtime())) {
                target_.notes.push_back(
                    (is_exe ? "executable " : "shared object ") + mod->opened +
                    " changed after the core was written and cannot be checked against it; not "
                    "used" +
                    (is_exe ? " (pass the original with --exe)" : ""));
                backing_[cand.path] = nullptr;
                return;
            }
            if (is_exe)
                target_.notes.push_back("could not check that executable " + mod->opened +
                                        " matches the core (the core holds none of its pages)");
        }
        if (is_exe) exe_path_ = mod->opened;
        backing_[cand.path] = mod->file;
        modules_.push_back(std::move(*mod));
    }

    // The first of `places` that is an ELF file of the core's machine, or nullopt with the
    // reason in `why`; `not_elf` says the last file opened is not ELF at all.
    std::optional<std::pair<std::shared_ptr<const MappedFile>, ElfImage>>
    open_elf(const std::vector<std::string>& places, std::string& why, bool& not_elf) const {
        why = "no file to open";
        not_elf = false;
        for (const std::string& place : places) {
            std::string err;
            auto file = MappedFile::try_open(place, &err);
            if (!file) {
                why = place + ": " + err;
                continue;
            }
            ElfProblem problem = ElfProblem::none;
            std::string detail;
            auto image = ElfImage::parse(file->bytes(), &problem, &detail);
            not_elf = problem == ElfProblem::not_elf;
            if (!image)
                why = place + (not_elf ? " is not an ELF file" : " is an ELF file for " + detail);
            else if (image->machine() != machine_)
                why = place + " is " + machine_name(image->machine()) + " code, not " +
                      machine_name(machine_);
            else
                return std::pair{std::move(file), std::move(*image)};
        }
        return std::nullopt;
    }

    // The executable of a core whose NT_FILE does not name it (qemu-user writes no NT_FILE; a
    // truncated core may have lost its notes): --exe, else the file AT_EXECFN names (under the
    // sysroot first), at its link-time address or where AT_PHDR or AT_ENTRY put it.
    void place_executable() {
        if (exe_index_) return;
        const bool given = options_.executable.has_value();
        std::string named;
        if (!given)
            if (auto fn = notes_.auxv_value(AT_EXECFN)) named = read_c_string(*dumped_, *fn);
        if (!given && (named.empty() || named[0] != '/' || is_pseudo_file(named))) {
            target_.notes.push_back("could not tell from core " + path_ +
                                    " which executable it was made from; pass it with --exe");
            return;
        }
        std::string why;
        bool not_elf = false;
        auto opened = open_elf(
            given ? std::vector{*options_.executable} : places_of(named, options_), why, not_elf);
        if (!opened) {
            if (given && not_elf)
                throw Error(*options_.executable +
                            " is not an ELF executable; pass the executable the core was made "
                            "from with --exe");
            if (given)
                throw Error("cannot use executable " + why +
                            "; give --exe the executable the core was made from");
            target_.missing_modules.push_back(named);
            target_.notes.push_back("executable " + named + " named in the core cannot be read (" +
                                    why + "); pass it with --exe");
            return;
        }
        auto& [file, image] = *opened;
        const auto bias = executable_bias(image, at_phdr_, notes_.auxv_value(AT_ENTRY));
        if (!bias)
            throw Error("cannot place executable " + file->path() + " in core " + path_ +
                        ": the core names no mapping of it (no NT_FILE entry, no AT_PHDR or "
                        "AT_ENTRY; notes lost?), and only an executable linked at a fixed "
                        "address (not PIE) can be placed without one");
        ElfModule mod = place_elf_module(given ? file->path() : named, file->path(), file, image,
                                         *bias, page_size());
        mod.is_executable = true;
        Verification v = verify_against_core(mod, *dumped_);
        if (const std::string differs = auxv_mismatch(mod, notes_); !differs.empty())
            v = {Verdict::mismatch, differs};
        if (v.verdict == Verdict::mismatch) reject_executable(mod.opened, v.detail);
        if (v.verdict == Verdict::unknown)
            target_.notes.push_back("could not check that executable " + mod.opened +
                                    " matches the core beyond its entry point (the core holds "
                                    "none of its pages)");
        exe_path_ = mod.opened;
        placed_.push_back(mod);
        modules_.insert(modules_.begin(), std::move(mod));
    }

    // The shared objects of a core without NT_FILE, from the dynamic linker's list in its
    // memory: each file under the sysroot first, placed where the list says.
    void place_loaded_objects() {
        if (notes_.has_nt_file || placed_.empty()) return;
        const ElfModule& exe = placed_.front();
        const auto dynamic = dynamic_section(exe);
        if (!dynamic) return; // linked statically: there are no shared objects
        // The names may sit in the executable's pages the core omits (the dynamic linker's own
        // is the executable's PT_INTERP string).
        std::vector<SegmentMap::Piece> pieces = dumped_->pieces();
        add_file_pieces(exe, dumped_ranges_, pieces);
        const SegmentMap memory(std::move(pieces));
        LoadedObjectList list = read_loaded_objects(memory, dynamic->first, dynamic->second);
        if (!list.problem.empty())
            target_.notes.push_back("core file " + path_ + ": " + list.problem +
                                    "; shared objects after that are unknown");
        for (const LoadedObject& object : list.objects) place_loaded_object(object);
        loaded_objects_listed_ = true;
    }

    void place_loaded_object(const LoadedObject& object) {
        if (is_pseudo_file(object.name)) return;
        std::string why;
        bool not_elf = false;
        auto try_places = [&](const std::vector<std::string>& places) -> std::optional<ElfModule> {
            auto opened = open_elf(places, why, not_elf);
            if (!opened) return std::nullopt;
            auto& [file, image] = *opened;
            ElfModule mod =
                place_elf_module(object.name, file->path(), file, image, object.bias, page_size());
            if (auto d = dynamic_section(mod); d && d->first != object.dynamic) {
                why = fmt::format("{} has its dynamic section at {:#x} where the process had it "
                                  "at {:#x}",
                                  mod.opened, d->first, object.dynamic);
                return std::nullopt;
            }
            const Verification v = verify_against_core(mod, *dumped_);
            if (v.verdict == Verdict::mismatch) {
                why = mod.opened + " does not match the core (" + v.detail + ")";
                return std::nullopt;
            }
            return mod;
        };
        auto mod = try_places(places_of(object.name, options_));
        if (!mod)
            if (auto id = build_id_in_core(*dumped_, object.bias)) {
                std::string first_why = why;
                mod = try_places(build_id_places(*id, options_));
                if (!mod) why = first_why;
            }
        if (!mod) {
            target_.missing_modules.push_back(object.name);
            target_.notes.push_back("shared object " + object.name +
                                    " that the dynamic linker lists cannot be used (" + why +
                                    "); its symbols are unknown and pages the core omits cannot "
                                    "be read");
            return;
        }
        placed_.push_back(*mod);
        modules_.push_back(std::move(*mod));
    }

    // The page size of the process (AT_PAGESZ; NT_FILE's; else 4 KiB).
    uint64_t page_size() const {
        if (auto p = notes_.auxv_value(AT_PAGESZ)) return *p;
        return notes_.page_size ? notes_.page_size : 4096;
    }

    // The file a mapping of NT_FILE reads from for the pages the core omits: its module's, or
    // for a file that is not a module, the file itself when it predates the core.
    const std::shared_ptr<const MappedFile>& backing_file(const std::string& key) {
        auto it = backing_.find(key);
        if (it != backing_.end()) return it->second;
        std::shared_ptr<const MappedFile> file;
        std::string why;
        if (!key.empty() && key[0] == '/' && !is_pseudo_file(key))
            for (const std::string& place : places_of(key, options_))
                if ((file = MappedFile::try_open(place, &why))) break;
        if (!file) {
            if (!is_special_file(key)) ++missing_files_;
        } else if (newer(file->mtime(), core_->mtime())) {
            ++changed_files_;
            file = nullptr;
        }
        return backing_.emplace(key, file).first->second;
    }

    // File-backed pages the core omits, from the files it names, and the read-only segments of
    // the executable and shared objects placed without NT_FILE, from their files.
    void add_omitted_pages() {
        pieces_ = dumped_->pieces();
        std::vector<Interval> gaps;
        for (const FileMapping& f : notes_.files) {
            gaps.clear();
            uncovered_parts(dumped_ranges_, f.start, f.end, gaps);
            if (gaps.empty()) continue;
            std::string key = f.path;
            static const std::string deleted_suffix = " (deleted)";
            if (key.size() > deleted_suffix.size() && key.ends_with(deleted_suffix))
                key.resize(key.size() - deleted_suffix.size());
            const auto& file = backing_file(key);
            if (!file) continue;
            if (files_used_.empty() || files_used_.back() != file) files_used_.push_back(file);
            for (const Interval& g : gaps) {
                uint64_t fo = f.file_offset + (g.first - f.start);
                if (fo < f.file_offset || fo >= file->size()) continue;
                uint64_t len = std::min(g.second - g.first, file->size() - fo);
                pieces_.push_back({g.first, len, file->data() + fo});
            }
        }
        for (const ElfModule& mod : placed_) {
            add_file_pieces(mod, dumped_ranges_, pieces_);
            files_used_.push_back(mod.file);
        }
    }

    void note_missing_files() {
        if (!no_nt_file_.empty()) {
            if (loaded_objects_listed_)
                target_.notes.push_back(fmt::format(
                    "{}: the executable was placed by its auxiliary vector and {} shared "
                    "object(s) by the dynamic linker's list",
                    no_nt_file_, placed_.size() - 1));
            else
                target_.notes.push_back(no_nt_file_ +
                                        ": its shared objects are unknown and file-backed "
                                        "pages it omits cannot be read");
        }
        if (missing_files_ > 0)
            target_.notes.push_back(fmt::format(
                "{} file(s) mapped by the process are missing here; pages of them the core "
                "omits cannot be read",
                missing_files_));
        if (changed_files_ > 0)
            target_.notes.push_back(fmt::format(
                "{} file(s) mapped by the process changed after the core was written; pages of "
                "them the core omits are not read from them",
                changed_files_));
    }

    // Every PT_LOAD, plus the file mappings the core has no PT_LOAD for.
    std::vector<Region> regions() const {
        std::vector<FileMapping> sorted_files = notes_.files;
        std::sort(sorted_files.begin(), sorted_files.end(),
                  [](const FileMapping& a, const FileMapping& b) { return a.start < b.start; });
        auto file_at = [&](uint64_t addr) -> const FileMapping* {
            auto it =
                std::upper_bound(sorted_files.begin(), sorted_files.end(), addr,
                                 [](uint64_t a, const FileMapping& f) { return a < f.start; });
            if (it == sorted_files.begin()) return nullptr;
            --it;
            return addr < it->end ? &*it : nullptr;
        };
        std::vector<Region> regions;
        for (const ElfSegment& seg : image_->segments()) {
            if (seg.type != PT_LOAD || seg.memsz == 0) continue;
            Region r;
            r.start = seg.vaddr;
            r.end = seg.memsz > UINT64_MAX - seg.vaddr ? UINT64_MAX : seg.vaddr + seg.memsz;
            r.readable = (seg.flags & PF_R) != 0;
            r.writable = (seg.flags & PF_W) != 0;
            r.executable = (seg.flags & PF_X) != 0;
            if (const FileMapping* f = file_at(seg.vaddr)) {
                r.path = f->path;
                r.file_offset = f->file_offset + (seg.vaddr - f->start);
            }
            regions.push_back(std::move(r));
        }
        std::vector<Interval> loads = merge_intervals(load_ranges_);
        std::vector<Interval> gaps;
        for (const FileMapping& f : sorted_files) {
            gaps.clear();
            uncovered_parts(loads, f.start, f.end, gaps);
            for (const Interval& g : gaps)
                regions.push_back({g.first, g.second, true, false, false, f.path,
                                   f.file_offset + (g.first - f.start)});
        }
        std::sort(regions.begin(), regions.end(),
                  [](const Region& a, const Region& b) { return a.start < b.start; });
        return regions;
    }

    // "core file core.1234 of /usr/bin/python3.11 (pid 1234, 3 threads, signal SIGSEGV)"
    std::string description() const {
        std::string desc = "core file " + path_;
        if (!exe_path_.empty()) desc += " of " + exe_path_;
        std::vector<std::string> facts;
        if (machine_ != host_machine().elf_machine) facts.push_back(machine_name(machine_));
        if (notes_.pid) facts.push_back(fmt::format("pid {}", *notes_.pid));
        if (!notes_.thread_ids.empty())
            facts.push_back(fmt::format("{} thread{}", notes_.thread_ids.size(),
                                        notes_.thread_ids.size() == 1 ? "" : "s"));
        if (notes_.signal > 0) facts.push_back("signal " + signal_name(notes_.signal));
        if (!facts.empty()) desc += " (" + fmt::format("{}", fmt::join(facts, ", ")) + ")";
        return desc;
    }

    std::shared_ptr<const MappedFile> core_;
    const CoreOptions& options_;
    const std::string path_;
    std::optional<ElfImage> image_;
    Target target_;
    std::optional<SegmentMap> dumped_;
    std::vector<Interval> dumped_ranges_;
    std::vector<Interval> load_ranges_;
    CoreNotes notes_;
    std::vector<ModuleCandidate> candidates_;
    std::optional<size_t> exe_index_;
    std::optional<uint64_t> at_phdr_;
    std::vector<ElfModule> modules_;
    std::map<std::string, std::shared_ptr<const MappedFile>> backing_; // null: do not use
    size_t missing_files_ = 0, changed_files_ = 0;
    std::string exe_path_;
    std::vector<ElfModule> placed_; // placed without NT_FILE: the executable first
    uint16_t machine_ = 0;          // the core's: EM_X86_64, EM_AARCH64
    std::string no_nt_file_;        // "core file X has no NT_FILE note", when it has none
    bool loaded_objects_listed_ = false;
    std::vector<SegmentMap::Piece> pieces_;
    std::vector<std::shared_ptr<const MappedFile>> files_used_;
};

} // namespace

Target open_core(const std::string& path, const CoreOptions& options) {
    std::string why;
    auto core = MappedFile::try_open(path, &why);
    if (!core) throw Error("cannot open core file " + path + ": " + why);
    if (const Compression format = compression_of(core->bytes()); format != Compression::none)
        core = decompressed(*core, format, options.decompress_progress);
    core->advise_random();
    return open_core(std::move(core), options);
}

Target open_core(std::shared_ptr<const MappedFile> core, const CoreOptions& options) {
    return CoreOpening(std::move(core), options).run();
}

Target open_core(const std::string& path, const std::optional<std::string>& executable) {
    CoreOptions options;
    options.executable = executable;
    return open_core(path, options);
}

Target open_core(const std::string& path) {
    return open_core(path, CoreOptions{});
}

} // namespace heapy::memory
