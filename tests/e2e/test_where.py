"""`heapy where` on the "allocations" fixture (run with tracemalloc on): each chosen object's
allocation traceback exactly as tracemalloc.get_object_traceback() gave it in the process; run
with tracemalloc off, one line that says how to turn it on.

    python3 test_where.py [--interp NAME] [--frontend cli|gdb|lldb] [--mode core|live] [-v]
"""

import argparse
import json
import unittest

import harness

PARAMS = argparse.Namespace(interp="py3.14", frontend="cli", mode="core")


class Where(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target_or_skip("allocations", PARAMS)
        cls.objects = cls.target.truth["objects"]
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, cls.target,
                              ["where", cls.objects["payload"]["address"]])
        cls.stripped = "no symbol table" in r.stdout + r.stderr

    def setUp(self):
        if self.stripped and self._testMethodName != "test_stripped_executable_says_so":
            self.skipTest("a stripped 3.9-3.11 executable: tracemalloc's table cannot be found")

    def test_stripped_executable_says_so(self):
        if not self.stripped:
            self.skipTest("the executable has its symbol table")
        r = self.where(self.target, [self.objects["payload"]["address"]])
        self.assertNotEqual(r.rc, 0)
        self.assertIn("tracemalloc was tracing, but its table of traces is a static variable",
                      r.stdout + r.stderr)

    def where(self, target, words):
        return harness.run_heapy(PARAMS.frontend, PARAMS.mode, target, ["where"] + words)

    def test_tracebacks_exact(self):
        r = self.where(self.target, [o["address"] for o in self.objects.values()] + ["--json"])
        lines = [l for l in r.stdout.splitlines() if l.startswith('{"objects"')]
        self.assertEqual(len(lines), 1, r.describe())
        # Not traced (None) where the process says so too: a list from a free list made before
        # tracemalloc started, a constant the compiler folded.
        got = {o["address"]: o["traceback"] if o["traced"] else None
               for o in json.loads(lines[0])["objects"]}
        want = {o["address"]: o["traceback"] for o in self.objects.values()}
        for o in self.objects.values():
            if "first_frame" in o:  # the process could not tell (3.11): the line that made it
                self.assertEqual(got[o["address"]][0], o["first_frame"])
                got[o["address"]] = None
        self.assertGreaterEqual(sum(1 for tb in want.values() if tb), 2, want)
        self.assertEqual(got, want)

    def test_text(self):
        record = self.objects["payload"]
        r = self.where(self.target, [record["address"]])
        self.assertIn("was allocated at (most recent call first):\n", r.stdout, r.describe())
        first = record["traceback"][0]
        self.assertIn('  File "%s", line %d\n' % (first["file"], first["line"]), r.stdout)

    def test_by_prod_rows(self):
        if PARAMS.frontend != "cli":
            self.skipTest("a chain of commands: the CLI's")
        want = {}
        for o in self.objects.values():
            first = o.get("first_frame") or (o["traceback"] or [None])[0]
            kind = "%s:%d" % (first["file"], first["line"]) if first else "unknown"
            want[kind] = want.get(kind, 0) + 1
        r = self.where_chain(["iso"] + [o["address"] for o in self.objects.values()] +
                             [";", "by", "prod", "--json"])
        rows = {row["kind"]: row["count"] for row in harness.find_json(r.stdout)["rows"]}
        self.assertEqual(rows, want)

    def test_by_prod_rows_match_tracemalloc_statistics(self):
        """The rows of lines that allocate only objects: what statistics('lineno') counts."""
        stats = self.target.truth["lineno_statistics"]
        self.assertEqual(sorted(s["kind"] for s in stats), ["bytes", "tuples"])
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, self.target,
                              ["heap", "--by", "prod", "--json"])
        rows = {row["kind"]: row for row in harness.find_json(r.stdout)["rows"]}
        for s in stats:
            row = rows.get("%s:%d" % (s["file"], s["line"]))
            self.assertIsNotNone(row, "no row for %s" % s)
            self.assertEqual((row["count"], row["size"]), (s["count"], s["size"]), s)

    def test_top_by_prod(self):
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, self.target,
                              ["top", "50", "--by", "prod", "--json"])
        lines = [l for l in r.stdout.splitlines() if l.startswith('{"total"')]
        self.assertEqual(len(lines), 1, r.describe())
        rows = {row["kind"]: row for row in json.loads(lines[0])["rows"]}
        first = self.objects["payload"]["traceback"][0]
        line = "%s:%d" % (first["file"], first["line"])
        self.assertIn(line, rows, r.describe())
        # Five records, each holding its payload, made on that line.
        self.assertGreaterEqual(rows[line]["count"], 5)
        self.assertIn("unknown", rows)

    def where_chain(self, words):
        return harness.run_heapy(PARAMS.frontend, PARAMS.mode, self.target, words)

    def test_off_says_how_to_turn_it_on(self):
        off = harness.target("allocations", PARAMS.interp, ["--off"])
        r = self.where(off, [off.truth["objects"]["record"]["address"]])
        self.assertNotEqual(r.rc, 0)
        self.assertIn("tracemalloc was not tracing in this process", r.stdout + r.stderr)
        self.assertIn("PYTHONTRACEMALLOC=25", r.stdout + r.stderr)
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, off, ["heap", "--by", "prod"])
        self.assertIn("no producers to classify by", r.stdout + r.stderr)
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, off, ["top", "--by", "prod"])
        self.assertIn("no producers to rank", r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main_for_interpreter(PARAMS, default="py3.14")
