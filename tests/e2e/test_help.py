"""Help as each front end's user reads it (issue 21): the examples are typed at that front end's
prompt.

    python3 test_help.py [-v]
"""

import subprocess
import unittest

import harness


def gdb_batch(*commands):
    cmd = [harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
           "-ex", "source " + harness.GDB_SCRIPT]
    for c in commands:
        cmd += ["-ex", c]
    return harness.run(cmd)


def lldb_batch(*commands):
    cmd = [harness.LLDB, "--no-lldbinit", "--batch", "-o", "plugin load " + harness.LLDB_PLUGIN]
    for c in commands:
        cmd += ["-o", c]
    return harness.run(cmd)


class Help(unittest.TestCase):
    maxDiff = None

    # -- point 7: examples at the front end's own prompt --

    def test_cli_examples_are_typed_at_heapys_prompt(self):
        harness.skip_unless_built("cli")
        for words in (["help", "heap"], ["help", "info"], ["--help"], ["help", "setref"]):
            r = harness.run([harness.HEAPY_CLI] + words)
            self.assertEqual(r.rc, 0, r.describe())
            self.assertNotIn("(gdb)", r.stdout, words)
            self.assertNotIn("(lldb)", r.stdout, words)
        self.assertIn("  (heapy) heap --by type\n",
                      harness.run([harness.HEAPY_CLI, "help", "heap"]).stdout)

    def test_repl_help(self):
        harness.skip_unless_built("cli")
        t = harness.debian_target_or_skip("shapes")
        p = subprocess.run([harness.HEAPY_CLI, "--core", t.core], input="help info\n",
                           capture_output=True, text=True, timeout=harness.COMMAND_TIMEOUT)
        self.assertIn("  (heapy) info\n", p.stdout)
        self.assertNotIn("(gdb)", p.stdout)

    def test_gdb_examples(self):
        harness.skip_unless_built("gdb")
        r = gdb_batch("help heapy info", "heapy help heap")
        self.assertIn("  (gdb) heapy info\n", r.stdout, r.describe())
        self.assertIn("  (gdb) heapy heap --by type\n", r.stdout, r.describe())
        self.assertNotIn("(lldb)", r.stdout)

    def test_lldb_examples(self):
        harness.skip_unless_built("lldb")
        r = lldb_batch("help heapy heap", "heapy help setref")
        self.assertIn("  (lldb) heapy heap --by type\n", r.stdout, r.describe())
        self.assertIn("  (lldb) continue\n", r.stdout, r.describe())
        self.assertNotIn("(gdb)", r.stdout)


if __name__ == "__main__":
    unittest.main()
