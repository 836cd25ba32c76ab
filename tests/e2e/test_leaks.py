"""`heapy leaks` on the "leaks" fixture: every object the process leaked (a reference nobody owns,
made with Py_IncRef) is found, with its size, and what only the leaked tuples hold; nothing else;
and on the same fixture run with --clean, nothing at all. Through the front end and mode given, on
each interpreter.

    python3 test_leaks.py [--interp NAME] [--frontend cli|gdb|lldb] [--mode core|live]
                          [--found-only] [-v]

--found-only checks only that every leaked object is found (for a version where heapy does not
know every holder outside the heap; none is registered so today).
"""

import argparse
import json
import unittest

import harness

PARAMS = argparse.Namespace(interp="debian", frontend="cli", mode="core", found_only=False)


def leaked_objects(target):
    """{address: (size, kind)} of `_objects --leaked`."""
    r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, target, ["_objects", "--leaked"])
    out = {}
    for line in r.stdout.splitlines():
        words = line.split()
        if len(words) == 3 and words[0].startswith("0x"):
            out[words[0]] = (int(words[1]), words[2])
    if r.rc != 0:
        raise AssertionError("_objects --leaked failed:\n" + r.describe())
    return out


def leaks_json(target):
    r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, target, ["leaks", "--json"])
    try:
        return harness.find_json(r.stdout)
    except ValueError as e:
        raise AssertionError("%s:\n%s" % (e, r.describe()))


class Leaks(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target_or_skip("leaks", PARAMS)
        cls.truth = cls.target.truth
        cls.found = leaked_objects(cls.target)

    def setUp(self):
        only = "test_every_leaked_object_found_with_its_size"
        if PARAMS.found_only and self._testMethodName != only:
            self.skipTest("--found-only")

    def test_every_leaked_object_found_with_its_size(self):
        want = {o["address"]: (o["size"], o["kind"]) for o in self.truth["leaked"]}
        self.assertEqual(len(want), 22)
        self.assertEqual({a: self.found.get(a) for a in want}, want)

    def test_nothing_else(self):
        expected = {o["address"] for o in self.truth["leaked"] + self.truth["reached"]}
        self.assertEqual({a: v for a, v in self.found.items() if a not in expected}, {})
        reached = {o["address"]: (o["size"], o["kind"]) for o in self.truth["reached"]}
        self.assertEqual({a: self.found.get(a) for a in reached}, reached)

    def test_partition_and_json(self):
        data = leaks_json(self.target)
        objects = self.truth["leaked"] + self.truth["reached"]
        self.assertEqual(data["leaked"], {"count": len(objects),
                                          "size": sum(o["size"] for o in objects)})
        self.assertGreater(data["searched"]["blocks"], 1000)
        self.assertTrue(data["searched"]["complete"])
        counts = {row["kind"]: row["count"] for row in data["rows"]}
        want = {}
        for o in objects:
            want[o["kind"]] = want.get(o["kind"], 0) + 1
        self.assertEqual(counts, want)

    def test_nothing_refers_to_them(self):
        # heapy's via names no relation for an object nothing refers to: the leaked ones, while
        # the items of the leaked tuples are referred to as '[0]' and '[1]'.
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, self.target,
                              ["leaks", "--by", "via", "--json"])
        rows = {row["kind"]: row["count"] for row in harness.find_json(r.stdout)["rows"]}
        self.assertEqual(rows.get(""), len(self.truth["leaked"]), r.describe())

    def test_clean_fixture_has_none(self):
        clean = harness.target("leaks", PARAMS.interp, ["--clean"])
        self.assertEqual(leaked_objects(clean), {})


if __name__ == "__main__":
    harness.main_for_interpreter(
        PARAMS, default="debian",
        add_options=lambda p: p.add_argument("--found-only", action="store_true"))
