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


def lldb_batch(*commands, env=None):
    cmd = [harness.LLDB, "--no-lldbinit", "--batch", "-o", "plugin load " + harness.LLDB_PLUGIN]
    for c in commands:
        cmd += ["-o", c]
    return harness.run(cmd, env=env)


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

    # -- point 10: each command listed once, the tools for heapy's tests not at all --

    def test_gdb_lists_each_command_once(self):
        harness.skip_unless_built("gdb")
        r = gdb_batch("help heapy")
        listed = [line.split(" -- ")[0] for line in r.stdout.splitlines() if " -- " in line]
        self.assertIn("heapy heap", listed, r.describe())
        self.assertEqual(r.stdout.count("Show the reachable heap, partitioned"), 1, r.stdout)
        self.assertNotIn("_objects", r.stdout)
        self.assertNotIn("_wait", r.stdout)
        self.assertLess(len(r.stdout.splitlines()), 50, "help heapy fits a terminal or two")

    def test_gdb_does_not_complete_the_tools(self):
        harness.skip_unless_built("gdb")
        r = gdb_batch("complete heapy _", "complete heapy h")
        self.assertEqual(r.stdout.splitlines(), ["heapy heap", "heapy heapu"], r.describe())

    def check_still_runs_the_tools(self, frontend, batch):
        harness.skip_unless_built(frontend)
        t = harness.debian_target_or_skip("shapes")
        r = harness.run_heapy(frontend, "core", t, ["_objects"])
        self.assertRegex(r.stdout, r"(?m)^0x[0-9a-f]+ \d+ ", r.describe())
        self.assertIn("Usage: heapy _objects", batch("heapy help _objects").stdout)

    def test_gdb_still_runs_the_tools(self):
        self.check_still_runs_the_tools("gdb", gdb_batch)

    # -- the same in lldb, where the tools are added only on request: lldb lists every command a
    # plugin adds in `help`, "_..." ones too --

    def check_lldb_help(self, env=None):
        r = lldb_batch("help heapy", "help", env=dict(env or {}, HEAPY_LLDB_TOOLS="0"))
        self.assertEqual(r.stdout.count("Show the reachable heap, partitioned"), 1, r.stdout)
        self.assertIn("heap", [line.split()[0] for line in r.stdout.splitlines() if " -- " in line])
        self.assertNotIn("_objects", r.stdout)
        self.assertNotIn("_wait", r.stdout)
        self.assertNotIn("_heapy", r.stdout)

    def test_lldb_lists_each_command_once(self):
        harness.skip_unless_built("lldb")
        self.check_lldb_help()

    def test_lldb_lists_each_command_once_without_its_script_layer(self):
        # lldb before 19 (or heapy_lldb.py not loaded): the library's own commands.
        harness.skip_unless_built("lldb")
        self.check_lldb_help({"HEAPY_LLDB_NO_SCRIPT": "1"})

    def test_lldb_still_runs_the_tools(self):
        # As `_heapy _objects`, added when HEAPY_LLDB_TOOLS=1 (the harness sets it).
        self.check_still_runs_the_tools("lldb", lldb_batch)


if __name__ == "__main__":
    unittest.main()
