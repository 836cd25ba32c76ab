"""The status line (issue 21, point 15) says how far a step is in words a user can read: a
percentage, or a count of what the step names, and the seconds since the command started, which
move even while a step cannot say how far it is.

    python3 test_progress.py [-v]
"""

import re
import unittest

import harness
from pty_session import PtySession


class Progress(unittest.TestCase):
    def test_the_seconds_move(self):
        harness.skip_unless_built("cli")
        t = harness.debian_target_or_skip("shapes")
        p = PtySession([harness.HEAPY_CLI, "--core", t.core, "_wait", "3.5"])
        try:
            self.assertEqual(p.wait_exit(), 0)
            text = p.expect(r"waited")
        finally:
            p.close()
        seconds = [int(s) for s in re.findall(r"heapy: waiting \((\d+) s\)", text)]
        self.assertIn(1, seconds, text)
        self.assertIn(3, seconds, text)
        self.assertNotRegex(text, r"heapy: waiting: \d", "no count of units nobody knows")


if __name__ == "__main__":
    unittest.main()
