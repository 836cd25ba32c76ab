#!/usr/bin/env python3
"""Seeds for fuzz_heap: patch lists in the record format of tests/fuzz/heap_image.hpp.

    make_heap_seeds.py OUTDIR

Each seed is a few 13-byte records (op, where, value) aimed at the places corruption hits in
real cores: reference counts, type pointers, ob_size and lengths, GC links, dict keys and values
pointers, frame links. Seeded, so that every run starts from the same corpus.
"""

import os
import random
import struct
import sys

# Offsets from an object's address, as `where & 0xff` (the address is target + where - 64).
GC_NEXT, GC_PREV, REFCNT, TYPE, SIZE, FIELD3, FIELD4, FIELD5 = 32 + 16, 32 + 24, 64, 72, 80, 88, 96, 104
HOT = [GC_NEXT, GC_PREV, REFCNT, TYPE, SIZE, FIELD3, FIELD4, FIELD5]


def record(op, where, value):
    return struct.pack("<BIQ", op, where & 0xFFFFFFFF, value & 0xFFFFFFFFFFFFFFFF)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(6)
    seeds = {"empty": b""}
    # One corruption of each kind at each hot offset of a few objects.
    for kind in range(8):
        for i, offset in enumerate(HOT):
            obj = rng.randrange(1 << 16)
            seeds["k%d-o%d" % (kind, i)] = record(0x80 | kind, (obj << 8) | offset,
                                                 rng.getrandbits(64))
    # Far fields of type objects (tp_base, tp_dict, tp_mro...) and of tables: word offsets.
    for i, offset in enumerate((256, 264, 344, 336, 288, 520, 848, 880)):
        obj = rng.randrange(1 << 16)
        seeds["far%d" % i] = record(0xC0 | rng.choice([0, 3, 4, 6]), (obj << 10) | ((offset + 64) // 8),
                                    rng.getrandbits(64))
    # Several at once, as a scribbling C extension would leave them.
    for n in range(16):
        data = b""
        for _ in range(rng.randrange(2, 12)):
            op = rng.choice([0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x00, 0x01])
            where = (rng.randrange(1 << 16) << 8) | rng.choice(HOT + [rng.randrange(256)])
            if not op & 0x80:
                where = rng.getrandbits(32)
            data += record(op, where, rng.getrandbits(64))
        seeds["mix%02d" % n] = data
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d heap seeds in %s" % (len(seeds), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
