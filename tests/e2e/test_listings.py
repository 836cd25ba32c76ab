"""What the commands that continue a listing act on, and what the listings tell the user to type
(issue 21): in gdb, lldb and the standalone command, on the core of the "queries" fixture.

    python3 test_listings.py [-v]
"""

import json
import re
import subprocess
import unittest

import harness
from frontend_hint import MORE_COMMAND
from pty_session import PtySession
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

    # -- point 3: row and select act on the table the user last saw --

    def check_row_after_top(self, frontend):
        top, row = self.steps(frontend, "heap", "top 3 --json", "row 0 --json")[1:]
        first = json.loads(top)["rows"][0]
        row = json.loads(row)
        self.assertEqual((row["count"], row["size"]), (1, first["size"]), "row 0 after top")
        self.assertEqual(row["rows"][0]["kind"], first["kind"])

    def test_row_after_top_gdb(self):
        self.check_row_after_top("gdb")

    def test_row_after_top_lldb(self):
        self.check_row_after_top("lldb")

    def test_row_after_top_cli(self):
        self.check_row_after_top("cli")

    def test_select_after_top_kinds(self):
        top, selected = self.steps("cli", "top 2 --kinds --json", "select bytes --json")
        kinds = {r["kind"]: r for r in json.loads(top)["rows"]}
        self.assertIn("bytes", kinds)
        self.assertEqual(json.loads(selected)["size"], kinds["bytes"]["size"])

    def test_rows_of_the_same_table(self):
        heap, row0, row1, select = [json.loads(o) for o in self.steps(
            "gdb", "heap --json", "row 0 --json", "row 1 --json", "select str --json")]
        self.assertEqual(row0["rows"], heap["rows"][:1], "heapy's h[0]")
        self.assertEqual(row1["rows"], heap["rows"][1:2], "then h[1] of the same h")
        str_row = [r for r in heap["rows"] if r["kind"] == "str"]
        self.assertEqual(select["rows"], str_row, "select picks from the same h too")

    def test_row_with_by_makes_the_table(self):
        heap, by_type, row0 = [json.loads(o) for o in self.steps(
            "cli", "heap --json", "row 0 --by type --json", "row 0 --json")]
        self.assertEqual(by_type["classifier"], "type")
        self.assertEqual(row0["rows"][0]["kind"], by_type["rows"][0]["kind"])

    # -- point 8: more at the end, and after gdb's pager was quit --

    def test_more_at_the_end_says_so(self):
        for frontend, prefix in (("cli", ""), ("gdb", "heapy "), ("lldb", "heapy ")):
            out = self.steps(frontend, "heap --all", "more", "top 2", "more")
            for i in (1, 3):
                self.assertEqual(out[i], "Nothing more: the last listing was shown to its end "
                                 "('%sall' shows it again).\n" % prefix, frontend)

    def test_more_after_quitting_gdbs_pager(self):
        harness.skip_unless_built("gdb")
        gdb = PtySession([harness.GDB, "-nx", "-q", "-iex", "set debuginfod enabled off",
                          "-ex", "source " + harness.GDB_SCRIPT, "-ex", "set height 20",
                          self.t.exe, self.t.core])
        try:
            gdb.expect(r"\(gdb\) $")
            gdb.send("heapy heap\n")
            gdb.expect(r"\(gdb\) $")
            gdb.send("heapy all\n")
            seen = gdb.expect(r"--Type <RET> for more, q to quit.*--")
            last = int(re.findall(r"^ +(\d+) +\d+ ", seen, re.M)[-1])
            gdb.send("q\n")
            gdb.expect(r"\(gdb\) $")
            gdb.send("heapy more\n")
            page = gdb.expect(r"\(gdb\) $")
            rows = [int(i) for i in re.findall(r"^ +(\d+) +\d+ ", page, re.M)]
            self.assertEqual(rows[:1], [last + 1], "more goes on after the last row seen:\n"
                             + seen[-500:] + page)
        finally:
            gdb.close()


if __name__ == "__main__":
    unittest.main()
