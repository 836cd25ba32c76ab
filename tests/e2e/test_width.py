"""80 columns (issue 21, point 9): help wraps at the terminal's width (80 when not a terminal)
without breaking words, in the standalone command, at its prompt and in gdb; heapu's note and
top's paths fit too.

    python3 test_width.py [-v]
"""

import unittest

import harness
from pty_session import PtySession
from test_help import gdb_batch

COMMANDS = ["", "heap", "by", "row", "heapu", "shpaths", "rp", "dominos", "top", "setref",
            "dump", "load", "diff", "export", "info"]


def long_lines(text, width):
    return [l for l in text.splitlines() if len(l) > width]


class Width(unittest.TestCase):
    def test_cli_help_fits_80_columns(self):
        harness.skip_unless_built("cli")
        for topic in COMMANDS:
            r = harness.run([harness.HEAPY_CLI, "help"] + ([topic] if topic else []))
            self.assertEqual(long_lines(r.stdout, 80), [], "heapy help %s" % topic)
        self.assertEqual(long_lines(harness.run([harness.HEAPY_CLI, "--help"]).stdout, 80), [])

    def test_cli_help_fits_a_narrow_terminal(self):
        harness.skip_unless_built("cli")
        p = PtySession([harness.HEAPY_CLI, "help", "heapu"], columns=60)
        try:
            self.assertEqual(p.wait_exit(), 0)
            text = p.expect(r"Example:\n")
        finally:
            p.close()
        self.assertEqual(long_lines(text, 60), [], text)
        self.assertIn("(--garbage)", text, "words are not broken")

    def test_gdb_help_fits_its_width(self):
        harness.skip_unless_built("gdb")
        r = gdb_batch("set width 60", "heapy help heap", "set width 0", "heapy help top")
        heap, top = r.stdout.split("Example:", 1)
        self.assertEqual(long_lines(heap, 60), [], r.stdout)
        self.assertEqual(long_lines(top, 80), [], r.stdout)

    def test_notes_and_paths_fit(self):
        harness.skip_unless_built("cli")
        t = harness.debian_target_or_skip("queries")
        r = harness.run_heapy("cli", "core", t, ["heapu", ";", "top", "3"])
        self.assertEqual(long_lines(r.stdout, 80), [], r.stdout)
        paths = [l for l in r.stdout.splitlines() if "hp.Root" in l]
        self.assertTrue(paths and all(l.startswith(" " * 7 + "hp.Root") for l in paths), r.stdout)


if __name__ == "__main__":
    unittest.main()
