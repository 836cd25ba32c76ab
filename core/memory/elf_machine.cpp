#include "core/memory/elf_machine.hpp"

#include <array>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>

namespace heapy::memory {

namespace {

// struct elf_prstatus and elf_prpsinfo of 64-bit Linux: the same on x86-64 and AArch64 (checked
// against cores the kernel, gdb's gcore and qemu-user write).
constexpr CoreNoteLayout kLp64LinuxNotes{
    .prstatus_cursig = 12,
    .prstatus_pid = 32,
    .prpsinfo_pid = 24,
    .prpsinfo_fname = 40,
    .prpsinfo_psargs = 56,
};

// pr_reg starts at 112 on both; x86-64's is struct user_regs_struct (orig_rax is its 16th
// word, rdi its 15th).
constexpr uint64_t kPrReg = 112;
constexpr SyscallRegisters kX86_64Syscall{.number = kPrReg + 15 * 8,
                                          .first_argument = kPrReg + 14 * 8};

// pthread_tid_offset: glibc 2.36's layout (x86-64: after tcbhead_t and a list_t; AArch64: after
// 24 words of padding and a list_t); a thread id read there is only believed when the process
// has that thread.
constexpr std::array kMachines{
    Machine{EM_AARCH64, "AArch64", kLp64LinuxNotes, {}, 208},
    Machine{EM_X86_64, "x86-64", kLp64LinuxNotes, kX86_64Syscall, 720},
};

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

struct OtherMachine {
    uint16_t code;
    const char* name;
};
constexpr OtherMachine kOtherNames[] = {
    {EM_386, "i386"},
    {EM_ARM, "ARM"},
    {EM_PPC, "PowerPC"},
    {EM_PPC64, "PowerPC64"},
    {EM_S390, "s390"},
    {EM_MIPS, "MIPS"},
    {EM_SPARCV9, "SPARC64"},
    {EM_RISCV, "RISC-V"},
    {EM_IA_64, "IA-64"},
    {EM_SH, "SuperH"},
    {EM_PARISC, "PA-RISC"},
    {EM_ALPHA, "Alpha"},
    {EM_LOONGARCH, "LoongArch"},
};

} // namespace

const Machine* supported_machine(uint16_t elf_machine) {
    for (const Machine& m : kMachines)
        if (m.elf_machine == elf_machine) return &m;
    return nullptr;
}

const Machine& host_machine() {
#if defined(__x86_64__)
    static const Machine* host = supported_machine(EM_X86_64);
#elif defined(__aarch64__)
    static const Machine* host = supported_machine(EM_AARCH64);
#else
#error "heapy reads the memory of x86-64 and AArch64 processes only"
#endif
    return *host;
}

std::string machine_name(uint16_t elf_machine) {
    if (const Machine* m = supported_machine(elf_machine)) return m->name;
    for (const OtherMachine& m : kOtherNames)
        if (m.code == elf_machine) return m.name;
    return fmt::format("machine {}", elf_machine);
}

std::string supported_machine_names() {
    std::string out;
    for (size_t i = 0; i < kMachines.size(); ++i)
        out += (i == 0                      ? ""
                : i + 1 == kMachines.size() ? " and "
                                            : ", ") +
               std::string(kMachines[i].name);
    return out;
}

std::optional<std::string> describe_elf_machine(std::span<const std::byte> bytes) {
    constexpr size_t machine_at = 18; // e_machine, in ELF32 and ELF64 headers alike
    if (bytes.size() < machine_at + 2 || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
        return std::nullopt;
    const auto ident = [&](int i) { return static_cast<unsigned char>(bytes[i]); };
    const bool big = ident(EI_DATA) == ELFDATA2MSB;
    const unsigned lo = ident(machine_at), hi = ident(machine_at + 1);
    const auto code = static_cast<uint16_t>(big ? (lo << 8) | hi : (hi << 8) | lo);
    const char* width = ident(EI_CLASS) == ELFCLASS32   ? "32-bit"
                        : ident(EI_CLASS) == ELFCLASS64 ? "64-bit"
                                                        : "unknown-width";
    const char* order = ident(EI_DATA) == ELFDATA2LSB ? "little-endian"
                        : big                         ? "big-endian"
                                                      : "unknown-byte-order";
    const std::string name = machine_name(code);
    if (name.starts_with("machine ")) return fmt::format("{} {} ELF {}", width, order, name);
    return fmt::format("{} {} {} (ELF machine {})", width, order, name, code);
}

} // namespace heapy::memory
