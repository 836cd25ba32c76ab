"""What the commands that continue a listing act on, and what the listings tell the user to type
(issue 21): in gdb, lldb and the standalone command, on the core of the "queries" fixture.

    python3 test_listings.py [-v]
"""

import re
import subprocess
import unittest

import harness
from frontend_hint import MORE_COMMAND
from test_queries import Groups

FRONTENDS = ("cli", "gdb", "lldb")
FOOTER = re.compile(r"^<(\d+) more rows\. Type e\.g\. '([^']*)' to view\.>$", re.M)


class Listings(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.t = harness.debian_target_or_skip("queries")

    def steps(self, frontend, *steps):
        """The output of each step, run in one session of `frontend` on the core."""
        harness.skip_unless_built(frontend)
        g = Groups()
        g.add("steps", *steps)
        r, _, outputs = g.run(frontend, self.t)["steps"]
        if outputs is None:
            self.fail("%s: not one output per step:\n%s" % (frontend, r.describe(20000)))
        return outputs

    def repl(self, lines):
        """What the standalone command prints for `lines` read from standard input."""
        harness.skip_unless_built("cli")
        p = subprocess.run([harness.HEAPY_CLI, "--core", self.t.core], input="\n".join(lines),
                           capture_output=True, text=True, timeout=harness.COMMAND_TIMEOUT)
        return p.stdout

    # -- point 2: the footer names a command that works here --

    def check_hint_works(self, frontend):
        heap, more = self.steps(frontend, "heap", "more")
        footer = FOOTER.search(heap)
        self.assertIsNotNone(footer, heap)
        self.assertEqual(footer.group(2), MORE_COMMAND[frontend], heap)
        self.assertRegex(more.splitlines()[1], r"^ +10 ", "the next page starts at row 10")

    def test_hint_gdb(self):
        self.check_hint_works("gdb")

    def test_hint_lldb(self):
        self.check_hint_works("lldb")

    def test_hint_cli(self):
        self.check_hint_works("cli")

    def test_hint_repl(self):
        out = self.repl(["heap", "more"])
        self.assertEqual(FOOTER.search(out).group(2), "more", out)
        self.assertNotIn("unknown command", out)

    def test_json_stays_heapys(self):
        (heap,) = self.steps("gdb", "heap --json")
        self.assertNotIn("more", heap)


if __name__ == "__main__":
    unittest.main()
