"""The standalone command's --script (issue 21, point 6): a script stops at the first line that
fails and exits with its status, so that a triage script can tell; --keep-going runs every line
and exits with the last command's status, as before.

    python3 test_cli_script.py [-v]
"""

import os
import tempfile
import unittest

import harness


class Script(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        cls.t = harness.debian_target_or_skip("shapes")
        cls.dir = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def script(self, name, lines):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def run_script(self, path, *options):
        return harness.run([harness.HEAPY_CLI, "--core", self.t.core, "--script", path]
                           + list(options))

    def test_a_failing_line_stops_the_script_and_its_status_is_the_exit_status(self):
        path = self.script("fails.heapy", ["heap --json", "row 9999", "info --json"])
        r = self.run_script(path)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("fails.heapy:2: row 9999 does not exist", r.stderr, r.describe())
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.startswith("{")]), 1,
                         "the lines after the failing one do not run\n" + r.describe())

    def test_keep_going_runs_every_line_and_exits_with_the_last_status(self):
        path = self.script("goes-on.heapy", ["heap --json", "row 9999", "info --json"])
        r = self.run_script(path, "--keep-going")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn("goes-on.heapy:2: row 9999 does not exist", r.stderr)
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.startswith("{")]), 2,
                         r.describe())

    def test_a_script_that_succeeds_exits_0(self):
        r = self.run_script(self.script("ok.heapy", ["heap --json", "row 0 --json"]))
        self.assertEqual(r.rc, 0, r.describe())


if __name__ == "__main__":
    unittest.main()
