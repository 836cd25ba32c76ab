"""The harness itself: fixtures start, state their truth, stay blocked, and gcore gives a core.
These pass whatever state the engine is in; when they fail, no other e2e result means anything.

    python3 test_fixtures.py --interp debian|pyenv|py3.X [-v]
"""

import argparse
import os
import struct
import sys
import time
import unittest

import harness

PARAMS = argparse.Namespace(interp="debian")

# The shape tests/fixtures/shapes.py promises in its docstring.
SHAPES = {
    "__main__.Plain": 1234, "__main__.Slotted": 777, "__main__.Materialised": 83,
    "__main__.DataPoint": 53, "__main__.SlottedData": 59, "__main__.NTPoint": 61,
    "__main__.MyTuple": 41, "__main__.MyList": 43, "__main__.MyDict": 47,
    "__main__.OnlyInThreadLocal": 31, "__main__.InHandledException": 37,
    "__main__.ThreadHandledError": 1, "__main__.OnlyInGenerator": 23,
    "__main__.OnlyInCoroutine": 29, "__main__.OnlyInClosure": 17, "__main__.OnlyInDefault": 7,
    "__main__.InDeque": 67, "__main__.InOrderedDict": 71, "__main__.InDefaultDict": 73,
    "__main__.InPartial": 79, "__main__.InTracebackArgs": 13, "__main__.TracebackHeldError": 1,
    "__main__.NestedClass": 19, "fixture.renamed.RenamedClass": 11, "__main__.FixtureMeta": 3,
    "__main__.OnlyInAttribute": 2, "__main__.OnlyInMaterialisedAttribute": 3,
    "__main__.AttributeHolder": 5, "__main__.OnlyInSlot": 4, "__main__.SlotHolder": 4,
    "__main__.OnlyAsDictKey": 5, "__main__.OnlyInSet": 6, "__main__.OnlyInFrozenset": 8,
    "__main__.OnlyInDictSubclassValue": 9, "__main__.OnlyInClassAttribute": 10,
    "__main__.OnlyInLruCache": 12, "__main__.OnlyInContextVar": 14,
    "__main__.OnlyInListIterator": 15, "__main__.OnlyInBoundMethod": 16,
}


# sys.getsizeof of a Plain instance (GC header + object + __dict__/__weakref__ or the 3.11 pre-
# header pointers), per version: what the fixture must state, so a wrong truth shows up here.
PLAIN_SIZE = {"3.9": 48, "3.10": 48, "3.11": 56, "3.12": 48, "3.13": 48, "3.14": 48,
              "3.13t": 48, "3.14t": 48}


def minor_version(interp):
    """"3.11" for debian and pyenv, "3.X" for pyX.Y."""
    return "3.11" if interp in ("debian", "pyenv") else interp[2:]


def elf_type(path):
    with open(path, "rb") as f:
        header = f.read(18)
    if header[:4] != b"\x7fELF":
        return None
    return struct.unpack_from("<H", header, 16)[0]


class Fixtures(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.shapes = harness.target("shapes", PARAMS.interp)

    def test_truth_states_the_promised_shape(self):
        truth = self.shapes.truth
        minor = minor_version(PARAMS.interp)
        # What this version cannot make (only dataclass(slots=True) on 3.9).
        skipped = truth.get("skipped", {})
        self.assertLessEqual(set(skipped), {"__main__.SlottedData"} if minor == "3.9" else set())
        shapes = {kind: count for kind, count in SHAPES.items() if kind not in skipped}
        self.assertEqual({k: v["count"] for k, v in truth["type"].items()}, shapes)
        for kind, count in shapes.items():
            self.assertEqual(truth["clodo"][kind]["count"], count)
            self.assertIsInstance(truth["clodo"][kind]["size"], int)
        self.assertEqual(truth["clodo"]["__main__.Plain"]["size"], 1234 * PLAIN_SIZE[minor])
        self.assertEqual(truth["clodo"]["dict of __main__.Plain"], {"count": 1234, "size": None})
        self.assertIsInstance(truth["clodo"]["dict of __main__.Materialised"]["size"], int)
        self.assertEqual(truth["clodo"]["dict of __main__.FixtureMeta"]["count"], 3)
        self.assertNotIn("dict of __main__.Slotted", truth["clodo"])
        self.assertEqual(truth["pid"], self.shapes.pid)
        self.assertEqual(truth["threads"], 3)
        self.assertTrue(truth["python"]["version"].startswith(minor.rstrip("t") + "."),
                        truth["python"])
        self.assertGreater(truth["totals"]["approx_reachable_count"], truth["totals"]["gc_objects"])
        for label, chosen in truth["ids"].items():
            self.assertRegex(chosen["address"], r"^0x[0-9a-f]+$", label)
            self.assertGreater(chosen["size"], 0, label)
        self.assertEqual(truth["ids"]["plain[0]"]["kind"], "__main__.Plain")
        self.assertEqual(truth["ids"]["materialised[0].__dict__"]["kind"],
                         "dict of __main__.Materialised")
        for kind, count in shapes.items():
            self.assertEqual(len(set(truth["instances"][kind])), count, kind)
        approx = os.path.join(os.path.dirname(self.shapes.info["truth"]),
                              truth["totals"]["approx_objects"])
        with open(approx) as f:
            lines = sum(1 for _ in f)
        virtual = sum(n for kind, n in truth["totals"]["approx_by_type"].items()) - lines
        self.assertGreaterEqual(virtual, 0)

    def test_process_is_blocked_and_stays_so(self):
        def cpu_ticks():
            with open("/proc/%d/stat" % self.shapes.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])

        # While no debugger is attached to it (a live test may be running right now).
        with harness.locked("live-" + self.shapes.key):
            self.assertTrue(self.shapes.alive())
            before = cpu_ticks()
            time.sleep(1.0)
            self.assertLessEqual(cpu_ticks() - before, 1, "the fixture is still running code")
            self.assertEqual(harness.process_state(self.shapes.pid), "S")
        tasks = os.listdir("/proc/%d/task" % self.shapes.pid)
        self.assertEqual(len(tasks), 3, "main thread + 2 blocked threads")

    def test_core_is_an_elf_core_of_this_process(self):
        self.assertEqual(os.path.basename(self.shapes.core), "core.%d" % self.shapes.pid)
        self.assertEqual(elf_type(self.shapes.core), 4, "ET_CORE")
        self.assertGreater(os.path.getsize(self.shapes.core), 1 << 20)

    def test_core_of_a_process_without_python(self):
        t = harness.target("no_python", "none")
        self.assertTrue(t.alive())
        self.assertEqual(elf_type(t.core), 4)
        self.assertIsNone(t.truth["python"])

    def test_same_target_is_reused(self):
        again = harness.target("shapes", PARAMS.interp)
        self.assertEqual((again.pid, again.core), (self.shapes.pid, self.shapes.core))

    def test_render_partition_matches_heapy(self):
        """The reference renderer against a table heapy printed (HEAPY.md 1.1, 8)."""
        result = {"count": 3, "size": 600, "classifier": "clodo", "rows": [
            {"kind": "str", "count": 1, "size": 300},
            {"kind": "dict of module, function, guppy.heapy.heapyc.RootStateType, module, "
                     "types.FrameType", "count": 1, "size": 200},
            {"kind": "int", "count": 1, "size": 100}]}
        self.assertEqual(harness.render_partition(result), [
            "Partition of a set of 3 objects. Total size = 600 bytes.",
            " Index  Count   %     Size   % Cumulative  % Kind (class / dict of class)",
            "     0      1  33      300  50       300  50 str",
            "     1      1  33      200  33       500  83 dict of module, function,",
            "                                             guppy.heapy.heapyc.RootStateType, module,",
            "                                             types.FrameType",
            "     2      1  33      100  17       600 100 int",
        ])
        many = dict(result, rows=[{"kind": "k%02d" % i, "count": 1, "size": 1} for i in range(12)],
                    count=12, size=12)
        lines = harness.render_partition(many)
        self.assertEqual(len(lines), 2 + 10 + 1)
        self.assertEqual(lines[-1], "<2 more rows. Type e.g. '_.more' to view.>")
        self.assertEqual(len(harness.render_partition(dict(many, rows=many["rows"][:11]))), 2 + 11)
        self.assertEqual(len(harness.render_partition(many, all_rows=True)), 2 + 12)
        self.assertEqual(harness.render_partition({"count": 1, "size": 8, "classifier": "type",
                                                   "rows": []}),
                         ["Partition of a set of 1 object. Total size = 8 bytes."])


def main():
    harness.main_for_interpreter(PARAMS)


if __name__ == "__main__":
    main()
