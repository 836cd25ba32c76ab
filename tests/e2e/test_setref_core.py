"""setref (issue 21, point 5): refused on a core, in every front end, instead of silently emptying
every later table; on a live process, heapu's note after setref counts what its table shows.

    python3 test_setref_core.py [-v]
"""

import re
import unittest

import harness
from test_queries import run_live

NOTE = re.compile(r"^(\d+) objects? \((\d+) bytes\) (?:is|are) cyclic garbage .*;\n"
                  r"(\d+) objects? \((\d+) bytes\) (?:is|are) held from outside", re.M)


class Setref(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = harness.debian_target_or_skip("queries")

    def check_refused(self, frontend):
        harness.skip_unless_built(frontend)
        r = harness.run_heapy(frontend, "core", self.t, ["setref"])
        self.assertIn("heapy: setref needs a live process", r.stderr, r.describe())
        if frontend == "cli":
            self.assertEqual(r.rc, 1, r.describe())

    def test_cli_refuses_it_on_a_core(self):
        self.check_refused("cli")

    def test_gdb_refuses_it_on_a_core(self):
        self.check_refused("gdb")

    def test_lldb_refuses_it_on_a_core(self):
        self.check_refused("lldb")

    def test_cli_chain_stops_at_the_refused_setref(self):
        harness.skip_unless_built("cli")
        r = harness.run_heapy("cli", "core", self.t, ["setref", ";", "heap", "--json"])
        self.assertEqual(r.rc, 1, r.describe())
        self.assertNotIn('"count"', r.stdout)

    def test_live_heapu_note_counts_what_the_table_shows(self):
        harness.skip_unless_built("cli")
        cmd = harness.frontend_command("cli", ["setref", ";", "heapu", ";", "heapu", "--held",
                                               "--json"], pid=self.t.pid)
        r = run_live(self.t, cmd)
        self.assertEqual(r.rc, 0, r.describe())
        note = NOTE.search(r.stdout)
        self.assertIsNotNone(note, r.describe())
        self.assertEqual([int(x) for x in note.groups()], [0, 0, 0, 0], r.describe())
        self.assertIn("Partition of a set of 0 objects.", r.stdout)
        self.assertIn("Only objects created since the reference point", r.stdout)


if __name__ == "__main__":
    unittest.main()
