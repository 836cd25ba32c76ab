"""Completion of options and their values in gdb (issue 21, point 14), through gdb's own
`complete` command (what Tab runs). lldb 16's SB API has no completion hook for a plugin's
commands: there only the subcommands complete.

    python3 test_completion.py [-v]
"""

import unittest

import harness
from test_help import gdb_batch


class Completion(unittest.TestCase):
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


if __name__ == "__main__":
    unittest.main()
