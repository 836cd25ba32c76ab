"""`heapy heap` at scale: the "big" fixture (about 200,000 objects here, with a 40,000-node
linked chain) through the CLI on its core. Counts and sizes of its own classes must be exact.
Prints the throughput (objects per second) for the record.

    python3 test_big.py [-v]
"""

import sys
import unittest

import harness

OBJECTS = ("--objects", "200000")  # must match harness.SUITE_TARGETS


class Big(unittest.TestCase):
    maxDiff = None

    def test_cli_core_counts(self):
        missing = harness.missing_build_product("cli")
        if missing:
            self.fail(missing)
        t = harness.target("big", "debian", OBJECTS)
        r = harness.run_heapy("cli", "core", t, ["heap", "--json"])
        self.assertEqual(r.rc, 0, r.describe())
        result = harness.find_json(r.stdout)
        got = {row["kind"]: row for row in result["rows"]}
        problems = []
        for kind, want in sorted(t.truth["clodo"].items()):
            row = got.get(kind)
            if row is None:
                problems.append("%s: no row (expected count %d)" % (kind, want["count"]))
                continue
            if row["count"] != want["count"]:
                problems.append("%s count: expected %d, got %d" % (kind, want["count"], row["count"]))
            if want["size"] is not None and row["size"] != want["size"]:
                problems.append("%s size: expected %d, got %d" % (kind, want["size"], row["size"]))
        print("\nbig: %d objects in %.2fs through the CLI (%.0f objects/s, including start-up)"
              % (result["count"], r.seconds, result["count"] / max(r.seconds, 1e-6)),
              file=sys.stderr)
        if problems:
            self.fail("cli on the core of big.py:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    unittest.main()
