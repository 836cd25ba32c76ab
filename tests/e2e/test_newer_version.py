"""A CPython newer than heapy's layouts. A "3.16.0" is made from the shared 3.14 build by patching
its version (Py_Version, and _Py_DebugOffsets.version in _PyRuntime's initial data) in a copy of
its libpython, which the fixture process loads through LD_LIBRARY_PATH. heapy must say in one line
that 3.16.0 is unsupported, offer --assume-layout 3.14 (its _Py_DebugOffsets read as 3.14's pass
every check), and with it read the heap as the process recorded it, with a note under every
table, through the CLI (--assume-layout), gdb and lldb (HEAPY_ASSUME_LAYOUT), core and live.

    python3 test_newer_version.py [-v]

Skipped (exit 77) without a shared CPython 3.14 (harness.interpreter("py3.14")).
"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import unittest

import harness

NEWER_HEX = 0x031000F0  # 3.16.0 final
OFFER_RE = (r"unsupported Python version 3\.16\.0: heapy supports CPython 3\.\d+ to 3\.14.*"
            r"pass --assume-layout 3\.14")
NOTE = "Note: CPython 3.16.0 read with 3.14's layout (--assume-layout): figures may be wrong."


def symbol_file_offsets(library, names):
    """File offsets of the dynamic symbols `names` in an ELF shared object (readelf's tables)."""
    sections = []
    for line in subprocess.run(["readelf", "-SW", library], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            sections.append((int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)))
    found = {}
    for line in subprocess.run(["readelf", "-sW", library], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[7] in names:
            address = int(fields[1], 16)
            for start, offset, size in sections:
                if start and start <= address < start + size:
                    found[fields[7]] = address - start + offset
    return found


def patched_library(library, directory):
    """A copy of `library` in `directory` whose version says 3.16.0."""
    copy = os.path.join(directory, os.path.basename(library))
    shutil.copyfile(library, copy)
    offsets = symbol_file_offsets(copy, {"Py_Version", "_PyRuntime"})
    if set(offsets) != {"Py_Version", "_PyRuntime"}:
        raise unittest.SkipTest("no Py_Version or _PyRuntime in %s" % library)
    with open(copy, "r+b") as f:
        f.seek(offsets["_PyRuntime"])
        header = f.read(16)
        if header[:8] != b"xdebugpy":
            raise unittest.SkipTest("no _Py_DebugOffsets cookie in %s" % library)
        f.seek(offsets["_PyRuntime"] + 8)
        f.write(struct.pack("<Q", NEWER_HEX))
        f.seek(offsets["Py_Version"])
        f.write(struct.pack("<I", NEWER_HEX))
    return copy


class NewerVersion(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        exe = harness.interpreter("py3.14")
        library = exe and os.path.join(os.path.dirname(os.path.dirname(exe)), "lib",
                                       "libpython3.14.so.1.0")
        if not exe or not os.path.exists(library):
            raise unittest.SkipTest("no shared CPython 3.14")
        cls.dir = os.path.join(harness.state_dir(), "newer-version")
        shutil.rmtree(cls.dir, ignore_errors=True)
        os.makedirs(cls.dir)
        lib_dir = os.path.join(cls.dir, "lib")
        os.makedirs(lib_dir)
        patched_library(library, lib_dir)
        truth = os.path.join(cls.dir, "truth.json")
        cmd = [exe, os.path.join(harness.FIXTURES_DIR, "shapes.py"), truth, "--ready",
               truth + ".ready", "--ttl", str(harness.FIXTURE_TTL)]
        saved = os.environ.get("LD_LIBRARY_PATH")
        os.environ["LD_LIBRARY_PATH"] = lib_dir
        try:
            pid, start = harness._spawn(cmd, cls.dir)
        finally:
            if saved is None:
                del os.environ["LD_LIBRARY_PATH"]
            else:
                os.environ["LD_LIBRARY_PATH"] = saved
        info = {"key": "newer-version", "fixture": "shapes", "interp": "py3.14-as-3.16",
                "exe": exe, "pid": pid, "start_time": start, "dir": cls.dir, "truth": truth,
                "core": None}
        cls.target = harness.Target(info)
        try:
            harness._wait_ready(pid, start, truth + ".ready",
                                os.path.join(cls.dir, "process.log"))
            info["core"] = cls.target.core = harness.take_core(pid, cls.dir)
        except Exception:
            cls.target.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.target.kill()

    def run_heapy(self, frontend, mode, words, assume):
        missing = harness.missing_build_product(frontend)
        if missing:
            self.skipTest(missing)
        if assume and frontend == "cli":
            words = ["--assume-layout", "3.14"] + words
        saved = os.environ.pop("HEAPY_ASSUME_LAYOUT", None)
        if assume and frontend != "cli":
            os.environ["HEAPY_ASSUME_LAYOUT"] = "3.14"
        try:
            return harness.run_heapy(frontend, mode, self.target, words)
        finally:
            os.environ.pop("HEAPY_ASSUME_LAYOUT", None)
            if saved is not None:
                os.environ["HEAPY_ASSUME_LAYOUT"] = saved

    def test_truth_says_3_14(self):
        # The process itself still runs 3.14 (its code was compiled as 3.14): only the data says
        # 3.16.
        self.assertTrue(self.target.truth["python"]["version"].startswith("3.14."))

    def check_offer(self, frontend, mode):
        r = self.run_heapy(frontend, mode, ["heap"], assume=False)
        text = r.stdout + r.stderr
        lines = [line for line in text.splitlines() if re.search(OFFER_RE, line)]
        self.assertEqual(len(lines), 1, r.describe())
        self.assertNotIn("Partition of a set", text, r.describe())
        if frontend == "cli":
            self.assertNotEqual(r.rc, 0, r.describe())

    def check_assumed(self, frontend, mode):
        r = self.run_heapy(frontend, mode, ["heap"], assume=True)
        self.assertIn("Partition of a set of", r.stdout, r.describe())
        self.assertIn(NOTE, r.stdout, r.describe())
        r = self.run_heapy(frontend, mode, ["heap", "--json"], assume=True)
        rows = {row["kind"]: row for row in harness.find_json(r.stdout)["rows"]}
        clodo = self.target.truth["clodo"]
        checked = 0
        for kind, want in clodo.items():
            if want["size"] is None:
                continue
            self.assertIn(kind, rows, "%s: no row %r:\n%s" % (frontend, kind, r.describe()))
            self.assertEqual((rows[kind]["count"], rows[kind]["size"]),
                             (want["count"], want["size"]), "%s %s: %s" % (frontend, mode, kind))
            checked += 1
        self.assertGreater(checked, 5)

    def test_cli_core(self):
        self.check_offer("cli", "core")
        self.check_assumed("cli", "core")

    def test_cli_live(self):
        self.check_offer("cli", "live")
        self.check_assumed("cli", "live")

    def test_gdb_core(self):
        self.check_offer("gdb", "core")
        self.check_assumed("gdb", "core")

    def test_lldb_live(self):
        self.check_offer("lldb", "live")
        self.check_assumed("lldb", "live")

    def test_info_says_so(self):
        r = self.run_heapy("cli", "core", ["info", "--json"], assume=True)
        lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
        self.assertEqual(len(lines), 1, r.describe())
        info = json.loads(lines[0])
        self.assertEqual(info["python"], "3.16.0")
        self.assertIn("layout assumed: 3.14's (--assume-layout)", info["found_by"])


if __name__ == "__main__":
    if not harness.interpreter("py3.14"):
        print(harness.skip_message("py3.14"))
        sys.exit(harness.SKIP_EXIT)
    unittest.main()
