#pragma once

// The machines whose cores and executables heapy reads, and names for the others in messages.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace heapy::memory {

// Where the fields heapy reads sit in a Linux core's NT_PRSTATUS and NT_PRPSINFO notes
// (struct elf_prstatus, struct elf_prpsinfo in linux/elfcore.h). Only the register set at the
// end of elf_prstatus (pr_reg) differs between the LP64 machines; see SyscallRegisters.
struct CoreNoteLayout {
    uint64_t prstatus_cursig = 0; // short
    uint64_t prstatus_pid = 0;    // int
    uint64_t prpsinfo_pid = 0;    // int
    uint64_t prpsinfo_fname = 0;  // char[16]
    uint64_t prpsinfo_psargs = 0; // char[80]
};

// Where a thread's system call shows in NT_PRSTATUS: the registers the kernel keeps while the
// thread waits in it (x86-64: orig_rax, -1 in user code, and rdi). AArch64 cores keep no
// system-call number (x8 is also an ordinary register): `number` is -1 there.
struct SyscallRegisters {
    int64_t number = -1;         // offset of the system call's number in the note, -1: none
    int64_t first_argument = -1; // offset of its first argument
};

// A machine heapy reads: 64-bit, little-endian, LP64 Linux. CPython lays its objects out alike
// on all of them (cpython-layouts/ serves every one).
struct Machine {
    uint16_t elf_machine = 0; // EM_X86_64, EM_AARCH64
    const char* name = "";    // as a message names it: "x86-64", "AArch64"
    CoreNoteLayout notes;
    SyscallRegisters syscall;
    // Where glibc's struct pthread (a thread's pthread_t) keeps the kernel's thread id.
    uint64_t pthread_tid_offset = 0;
};

// The machine with ELF code `elf_machine`, or nullptr when heapy does not read it.
const Machine* supported_machine(uint16_t elf_machine);

// The machine heapy itself was built for: the one of every live process it reads.
const Machine& host_machine();

// "x86-64", "AArch64", "ARM", "PowerPC64", ... or "machine 1234" for one without a name here.
std::string machine_name(uint16_t elf_machine);

// "AArch64 and x86-64": the machines heapy reads, for messages.
std::string supported_machine_names();

// What the ELF identification and header of `bytes` say about the file's machine, whatever its
// class and byte order: "32-bit big-endian PowerPC (ELF machine 20)". nullopt when `bytes` is
// too short to hold e_machine or has no ELF magic.
std::optional<std::string> describe_elf_machine(std::span<const std::byte> bytes);

} // namespace heapy::memory
