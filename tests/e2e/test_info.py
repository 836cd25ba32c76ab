"""`heapy info` on the shapes fixture under one interpreter: it must name the exact version the
process reported about itself, say how it found it and what it cross-checked (Py_Version against
the file name from 3.11, the version string in memory before; _Py_DebugOffsets on 3.13), and count
the interpreters, threads and reachable objects that `heapy heap` sees.

    python3 test_info.py --interp debian|pyenv|py3.X [-v]
"""

import argparse
import json
import os
import re
import unittest

import harness

PARAMS = argparse.Namespace(interp="debian")

# Fields of _Py_DebugOffsets (3.13, 3.14) heapy checks (core/cpython/debug_offsets.cpp).
DEBUG_OFFSETS_FIELDS = {13: 44, 14: 52}


class Info(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target("shapes", PARAMS.interp)
        cls.truth = cls.target.truth
        cls.version = cls.truth["python"]["version"].split()[0]
        cls.hexversion = cls.truth["python"]["hexversion"]
        cls.minor = (cls.hexversion >> 16) & 0xFF
        cls.missing = harness.missing_build_product("cli")
        cls._results = {}

    def run_cli(self, mode, *words):
        if self.missing:
            self.fail(self.missing)
        if (mode, words) not in self._results:
            self._results[(mode, words)] = harness.run_heapy("cli", mode, self.target, words)
        r = self._results[(mode, words)]
        if r.rc != 0:
            self.fail("heapy %s failed on the %s:\n%s" % (" ".join(words), mode, r.describe()))
        return r

    def info(self, mode="core"):
        r = self.run_cli(mode, "info", "--json")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 1, r.describe())
        return json.loads(lines[0])

    def test_version_is_the_process_own(self):
        self.assertEqual(self.info()["python"], self.version)

    def test_found_by_names_the_sources_and_cross_checks(self):
        found_by = self.info()["found_by"]
        if self.minor >= 11:
            abi = "t" if PARAMS.interp.endswith("t") else ""
            self.assertRegex(found_by, r"^version from Py_Version, agrees with the file name "
                             r"(lib)?python3\.%d%s\b" % (self.minor, abi))
        else:
            # Py_Version is exported from 3.11 on: before, the file name gives 3.X and the
            # string Py_GetVersion() formats at start-up gives the patch level.
            self.assertRegex(found_by, r"^version from a file name and the version string in memory;")
        self.assertIn("; _PyRuntime from symbols", found_by)
        if PARAMS.interp.endswith("t"):
            self.assertIn("; free-threaded build;", found_by)
        else:
            self.assertNotIn("free-threaded", found_by)
        fields = DEBUG_OFFSETS_FIELDS.get(self.minor)
        if fields:
            self.assertRegex(found_by, r"; _Py_DebugOffsets read \(version 0x%08x agrees, %d fields "
                             r"checked, \d+ differ from the layout\)$" % (self.hexversion, fields))
        else:
            self.assertNotIn("_Py_DebugOffsets", found_by)

    def test_counts_agree_with_heap(self):
        info = self.info()
        heap = harness.find_json(self.run_cli("core", "heap", "--json").stdout)
        self.assertEqual((info["objects"], info["size"]), (heap["count"], heap["size"]))
        self.assertEqual((info["interpreters"], info["threads"]), (1, self.truth["threads"]))
        self.assertEqual(info["unreadable"], 0)

    def test_text(self):
        text = self.run_cli("core", "info").stdout
        self.assertRegex(text, r"(?m)^Python: CPython %s \(version from " % re.escape(self.version))
        self.assertRegex(text, r"(?m)^_PyRuntime: 0x[0-9a-f]+$")
        self.assertRegex(text, r"(?m)^Interpreter i0 at 0x[0-9a-f]+ \(id 0\): %d threads$"
                         % self.truth["threads"])
        if self.minor >= 13:
            self.assertRegex(text, r"(?m)^_Py_DebugOffsets: version 0x%08x, %d fields checked, "
                             % (self.hexversion, DEBUG_OFFSETS_FIELDS[self.minor]))
        else:
            self.assertNotIn("_Py_DebugOffsets", text)

    def test_threads_live(self):
        """Native thread ids (kept by CPython from 3.11 on) are the process's own tasks."""
        text = self.run_cli("live", "info").stdout
        threads = re.findall(r"(?m)^  thread (\d+)(?: \(native (\d+)\))? at 0x[0-9a-f]+$", text)
        self.assertEqual(len(threads), self.truth["threads"], text)
        natives = {int(n) for _, n in threads if n}
        if self.minor >= 11:
            tasks = {int(t) for t in os.listdir("/proc/%d/task" % self.target.pid)}
            self.assertEqual(natives, tasks, text)
        else:
            self.assertEqual(natives, set(), "no native ids before 3.11:\n" + text)


def main():
    harness.main_for_interpreter(PARAMS)


if __name__ == "__main__":
    main()
