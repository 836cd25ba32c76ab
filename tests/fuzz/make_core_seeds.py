#!/usr/bin/env python3
"""Seeds for fuzz_core, cut from real core files (the corpus is made at run time, never committed).

    make_core_seeds.py OUTDIR CORE...

A real core is tens of megabytes, too big to mutate usefully. Each seed keeps what the core
reader parses - the ELF header, every program header, every note (NT_FILE, NT_PRSTATUS, NT_AUXV,
NT_PRPSINFO...) - and of the dumped memory only the first page of each mapping of a file's start
(the ELF headers and build-id notes that executables and shared objects are checked by), with
every other PT_LOAD left in the headers but empty (p_filesz 0). Per core it writes:

    NAME.notes      headers and notes, no memory at all
    NAME.pages      headers, notes and the first pages of mapped files
    NAME.cut        .pages cut in the middle of its notes (a truncated core)
"""

import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
PT_LOAD, PT_NOTE = 1, 4
NT_FILE = 0x46494C45
PAGE = 4096


def notes(data):
    """(type, name, desc) of every note in a PT_NOTE area."""
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        name_at = off + 12
        desc_at = name_at + ((namesz + 3) & ~3)
        end = desc_at + ((descsz + 3) & ~3)
        if end > len(data):
            return
        yield ntype, data[name_at:name_at + namesz].rstrip(b"\0"), data[desc_at:desc_at + descsz]
        off = end


def file_starts(note_areas):
    """Start addresses of the mappings of a file's first page, from NT_FILE."""
    starts = set()
    for area in note_areas:
        for ntype, name, desc in notes(area):
            if ntype != NT_FILE or name != b"CORE" or len(desc) < 16:
                continue
            count, _page = struct.unpack_from("<QQ", desc, 0)
            for i in range(min(count, (len(desc) - 16) // 24)):
                start, _end, pgoff = struct.unpack_from("<QQQ", desc, 16 + 24 * i)
                if pgoff == 0:
                    starts.add(start)
    return starts


def shrink(core, keep_pages):
    with open(core, "rb") as f:
        raw = f.read(1 << 20)  # headers and notes sit at the start of every core we make
        ident, etype, machine, version, entry, phoff, shoff, flags, ehsize, phentsize, phnum, \
            shentsize, shnum, shstrndx = EHDR.unpack_from(raw, 0)
        phdrs = [list(PHDR.unpack_from(raw, phoff + i * PHDR.size)) for i in range(phnum)]
        note_areas = []
        for p in phdrs:
            if p[0] == PT_NOTE:
                f.seek(p[2])
                note_areas.append(f.read(p[5]))
        starts = file_starts(note_areas) if keep_pages else set()
        body = bytearray()
        data_at = EHDR.size + PHDR.size * len(phdrs)
        notes_iter = iter(note_areas)
        for p in phdrs:
            ptype, pflags, offset, vaddr, paddr, filesz, memsz, align = p
            if ptype == PT_NOTE:
                chunk = next(notes_iter)
            elif ptype == PT_LOAD and vaddr in starts and filesz:
                f.seek(offset)
                chunk = f.read(min(filesz, PAGE))
            else:
                chunk = b""
            p[2] = data_at + len(body)
            p[5] = len(chunk)
            body += chunk
    header = EHDR.pack(ident, etype, machine, version, entry, EHDR.size, 0, flags, EHDR.size,
                       PHDR.size, len(phdrs), 0, 0, 0)
    return header + b"".join(PHDR.pack(*p) for p in phdrs) + bytes(body)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for core in argv[2:]:
        name = os.path.basename(core)
        with_pages = shrink(core, True)
        seeds = {"notes": shrink(core, False), "pages": with_pages,
                 "cut": with_pages[:len(with_pages) // 3]}
        for kind, data in seeds.items():
            with open(os.path.join(out, "%s.%s" % (name, kind)), "wb") as f:
                f.write(data)
        print("%s: seeds of %s" % (core, ", ".join("%s %d KiB" % (k, len(v) >> 10)
                                                    for k, v in seeds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
