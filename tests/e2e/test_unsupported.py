"""A core (and the live process) of a CPython version heapy does not support: every front end
must print one line naming the version it found and the supported range, and fail cleanly.

    python3 test_unsupported.py [--interp py3.8] [-v]

Skipped (exit 77) when that version is not installed (pyenv, harness.interpreter).
"""

import argparse
import re
import unittest

import harness

PARAMS = argparse.Namespace(interp="py3.8")

# heapy's message, e.g. "unsupported Python version 3.8.18: heapy supports CPython 3.9 to 3.14 and
# free-threaded 3.13t to 3.14t".
MESSAGE_RE = r"unsupported Python version (3\.\d+\.\d+)\S*: heapy supports CPython 3\.\d+ to 3\.\d+"


class Unsupported(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target("idle", PARAMS.interp)
        cls.version = cls.target.truth["python"]["version"].split()[0]

    def check(self, frontend, mode, words):
        missing = harness.missing_build_product(frontend)
        if missing:
            self.fail(missing)
        r = harness.run_heapy(frontend, mode, self.target, words)
        text = r.stdout + r.stderr
        pattern = MESSAGE_RE
        lines = [line for line in text.splitlines() if re.search(pattern, line)]
        self.assertEqual(len(lines), 1, "expected one line matching %r:\n%s" % (pattern, r.describe()))
        self.assertEqual(re.search(pattern, lines[0]).group(1), self.version, r.describe())
        self.assertNotIn("Traceback", text, r.describe())
        if frontend == "cli":
            self.assertNotEqual(r.rc, 0, r.describe())
            self.assertEqual(r.stdout, "", "the CLI prints errors on stderr only:\n" + r.describe())
            self.assertEqual(r.stderr.splitlines(), ["heapy: " + lines[0].split("heapy: ", 1)[-1]],
                             "one line on stderr:\n" + r.describe())
        else:
            self.assertFalse(re.search(r"Segmentation fault|Aborted|core dumped", text), r.describe())

    def test_cli_core_heap(self):
        self.check("cli", "core", ["heap"])

    def test_cli_core_info(self):
        self.check("cli", "core", ["info"])

    def test_cli_live_heap(self):
        self.check("cli", "live", ["heap"])

    def test_gdb_core_heap(self):
        self.check("gdb", "core", ["heap"])

    def test_lldb_core_heap(self):
        self.check("lldb", "core", ["heap"])


def main():
    harness.main_for_interpreter(PARAMS, "py3.8", harness.OTHER_INTERPRETERS)


if __name__ == "__main__":
    main()
