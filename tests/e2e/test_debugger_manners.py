"""The debuggers' manners (issue 21, point 11): after lldb detached from a process, heapy says
there is no target; Enter after a heapy command in lldb does nothing (as in gdb); a mistyped
command gets a suggestion.

    python3 test_debugger_manners.py [-v]
"""

import time
import unittest

import harness
from pty_session import PtySession
from test_help import gdb_batch
from test_queries import run_live


class Manners(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = harness.debian_target_or_skip("shapes")

    def test_lldb_after_detach_there_is_no_target(self):
        harness.skip_unless_built("lldb")
        cmd = [harness.LLDB, "--no-lldbinit", "--batch", "-o", "plugin load " + harness.LLDB_PLUGIN,
               "-o", "process detach",
               # lldb reports the detach a moment later: let it, as a user's next line would.
               "-o", "script import time; time.sleep(1)",
               "-o", "heapy heap", "-p", str(self.t.pid)]
        r = run_live(self.t, cmd)
        out = r.stdout + r.stderr
        self.assertIn("heapy: no target", out, r.describe())
        self.assertNotIn("running", out.split("process detach")[-1])

    def test_lldb_enter_after_a_heapy_command_does_nothing(self):
        harness.skip_unless_built("lldb")
        lldb = PtySession([harness.LLDB, "--no-lldbinit", "-o", "plugin load "
                           + harness.LLDB_PLUGIN, "-c", self.t.core, self.t.exe])
        try:
            lldb.expect(r"\(lldb\) $")
            lldb.send("heapy domisize\n")
            lldb.expect(r"\n\d+\n")
            for _ in range(2):
                time.sleep(1)
                lldb.send("\n")
            time.sleep(1)
            lldb.send("heapy more\n")
            after = lldb.expect(r"heapy: nothing to continue")
            self.assertNotIn("No auto repeat", after)
            self.assertNotIn("error", after.split("heapy more")[0], after)
        finally:
            lldb.close()

    def test_gdb_suggests_the_command_meant(self):
        harness.skip_unless_built("gdb")
        r = gdb_batch("heapy hep")
        self.assertIn("unknown command 'hep' (did you mean 'heap'?)", r.stderr, r.describe())

    def test_cli_suggests_the_command_meant(self):
        harness.skip_unless_built("cli")
        r = harness.run_heapy("cli", "core", self.t, ["shpats"])
        self.assertEqual(r.rc, 2, r.describe())
        self.assertIn("unknown command 'shpats' (did you mean 'shpaths'?)", r.stderr)


if __name__ == "__main__":
    unittest.main()
