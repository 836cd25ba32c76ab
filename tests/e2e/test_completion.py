"""Completion of options and their values (issue 21, point 14): in gdb through its `complete`
command, in lldb through SBCommandInterpreter.HandleCompletion (what Tab runs in each), and Tab
itself on a terminal in both. lldb completes options and values from lldb 19 on, where heapy's
commands are lldb's parsed commands (heapy_lldb.py); with lldb 16 only the subcommands complete.

    python3 test_completion.py [-v]
"""

import json
import subprocess
import time
import unittest

import harness
from pty_session import PtySession
from test_help import gdb_batch, lldb_batch


def lldb_major():
    out = subprocess.run([harness.LLDB, "--version"], capture_output=True, text=True).stdout
    return int(out.split("version ")[1].split(".")[0])


def lldb_completions(*lines):
    """The words lldb offers for each of `lines` (the cursor at its end)."""
    code = ("import json; ci = lldb.debugger.GetCommandInterpreter(); out = []\n"
            "for line in %r:\n"
            "    m = lldb.SBStringList(); ci.HandleCompletion(line, len(line), 0, -1, m)\n"
            "    out.append(sorted(m.GetStringAtIndex(i) for i in range(1, m.GetSize())))\n"
            "print('COMPLETIONS ' + json.dumps(out))" % (list(lines),))
    r = lldb_batch("script exec(%r)" % code)
    for line in r.stdout.splitlines():
        if line.startswith("COMPLETIONS "):
            return json.loads(line[len("COMPLETIONS "):])
    raise AssertionError("no completions printed:\n" + r.describe())


class GdbCompletion(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("gdb")

    def completions(self, line):
        r = gdb_batch("complete " + line)
        self.assertEqual(r.stderr, "", r.describe())
        return r.stdout.splitlines()

    def test_options(self):
        self.assertEqual(self.completions("heapy heap --"),
                         ["heapy heap --all", "heapy heap --by", "heapy heap --json"])
        self.assertEqual(self.completions("heapy heapu --json --g"),
                         ["heapy heapu --json --garbage"])
        self.assertEqual(self.completions("heapy sp --l"), ["heapy sp --limit"])

    def test_values(self):
        self.assertEqual(self.completions("heapy heap --by c"),
                         ["heapy heap --by class", "heapy heap --by clodo"])
        self.assertEqual(self.completions("heapy top --by "),
                         ["heapy top --by prod", "heapy top --by retained",
                          "heapy top --by size"])
        self.assertEqual(self.completions("heapy by v"), ["heapy by via"])
        self.assertEqual(self.completions("heapy export /tmp/x --format "),
                         ["heapy export /tmp/x --format csv", "heapy export /tmp/x --format jsonl"])


class LldbCompletion(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("lldb")
        if lldb_major() < 19:
            raise unittest.SkipTest("lldb %d completes no option of a plugin's commands"
                                    % lldb_major())

    def test_options_and_values(self):
        got = lldb_completions("heapy heap --", "heapy heapu --json --g", "heapy sp --l",
                               "heapy heap --by c", "heapy top --by ", "heapy heap --by v",
                               "heapy export /tmp/x --format ", "heapy stacks --locals 2 --a")
        self.assertEqual(got, [
            ["--all", "--allow-truncated", "--by", "--json", "--no-progress", "--progress"],
            ["--garbage"],
            ["--limit"],
            ["class", "clodo"],
            ["prod", "retained", "size"],
            ["via"],
            ["csv", "jsonl"],
            ["--all", "--allow-truncated"],
        ])

    def test_commands_but_not_the_tools(self):
        commands, = lldb_completions("heapy ")
        self.assertIn("heap", commands)
        self.assertIn("sp", commands)
        self.assertIn("help", commands)
        self.assertEqual([c for c in commands if c.startswith("_")], [], commands)

    def test_files(self):
        got, = lldb_completions("heapy dump " + harness.FIXTURES_DIR + "/shap")
        self.assertEqual(got, [harness.FIXTURES_DIR + "/shapes.py"])


class TabOnATerminal(unittest.TestCase):
    """Tab at the debugger's prompt completes `--by v` to `via`, and the line then runs."""

    @classmethod
    def setUpClass(cls):
        cls.t = harness.debian_target_or_skip("shapes")

    def tab_and_run(self, session, prompt):
        try:
            session.expect(prompt, 60)
            session.send("heapy heap --by v\t")
            session.expect(r"heapy heap --by via ")
            session.send("\n")
            table = session.expect(r"Partition of a set of \d+ objects.*\n(.*\n){2}", 60)
            self.assertIn("Referred Via", table)
        finally:
            session.close()

    def test_gdb(self):
        harness.skip_unless_built("gdb")
        self.tab_and_run(PtySession([harness.GDB, "-nx", "-q", "-iex", "set debuginfod enabled off",
                                     "-ex", "source " + harness.GDB_SCRIPT,
                                     self.t.exe, self.t.core]), r"\(gdb\) $")

    def test_lldb(self):
        harness.skip_unless_built("lldb")
        if lldb_major() < 19:
            self.skipTest("lldb %d completes no option of a plugin's commands" % lldb_major())
        self.tab_and_run(PtySession([harness.LLDB, "--no-lldbinit", "-o", "plugin load "
                                     + harness.LLDB_PLUGIN, "-c", self.t.core, self.t.exe]),
                         r"\(lldb\) $")


if __name__ == "__main__":
    unittest.main()
