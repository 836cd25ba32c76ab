"""`heapy load FILE` reads only the file (issue 21, point 12): gdb and lldb run it with no target
loaded, as the standalone command does; the commands that read the target still say there is
none.

    python3 test_load_without_target.py [-v]
"""

import os
import tempfile
import unittest

import harness
from test_help import gdb_batch, lldb_batch


class LoadWithoutTarget(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        t = harness.debian_target_or_skip("shapes")
        cls.dir = tempfile.TemporaryDirectory()
        cls.dump = os.path.join(cls.dir.name, "heap.stat")
        r = harness.run_heapy("cli", "core", t, ["heap", ";", "dump", cls.dump])
        if r.rc != 0:
            raise RuntimeError(r.describe())
        cls.expected = harness.run([harness.HEAPY_CLI, "load", cls.dump]).stdout
        assert cls.expected.startswith("Partition of a set of"), cls.expected

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_gdb(self):
        harness.skip_unless_built("gdb")
        r = gdb_batch("heapy load " + self.dump, "heapy heap")
        self.assertEqual(r.stdout.replace("heapy more", "more"), self.expected, r.describe())
        self.assertIn("heapy: no target", r.stderr, "heap still needs one")

    def test_lldb(self):
        harness.skip_unless_built("lldb")
        r = lldb_batch("heapy load " + self.dump, "heapy heap")
        self.assertIn(self.expected.replace("'more'", "'heapy more'"), r.stdout, r.describe())
        self.assertIn("heapy: no target", r.stderr + r.stdout, "heap still needs one")


if __name__ == "__main__":
    unittest.main()
