"""Cores from ARM64 machines, read on this one (issue 20).

The "shapes" fixture runs under Debian's arm64 python3.11 with qemu-aarch64 (tests/e2e/
arm64_python.py: the packages are unpacked into a cache directory, never installed), writes its
truth and aborts, so that qemu writes an AArch64 core: one without NT_FILE, without the code pages
of any ELF file. Through the CLI (--sysroot DIR), gdb-multiarch (`set sysroot DIR`) and lldb
(`platform select remote-linux --sysroot DIR`), every count and size the fixture states about its
own classes must be heapy's, by clodo and by type; the CLI also finds every instance at the
address id() gave. Files of the wrong machine and cores of machines heapy does not read are
refused in one line.

    python3 test_arm64.py [-v]

Skipped, saying why, where qemu-aarch64-static is not installed or Debian's arm64 architecture is
not enabled (scripts/setup-deps does both).
"""

import json
import os
import re
import shutil
import struct
import unittest

import arm64_python
import harness

OBJECT_RE = re.compile(r"^0x([0-9a-f]+) (\d+) (.+)$")


class Arm64Core(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        arm64_python.skip_unless_possible()
        cls.root = arm64_python.sysroot()
        cls.exe = cls.root + arm64_python.EXE
        cls.dir = os.path.join(harness.state_dir(), "shapes-arm64")
        shutil.rmtree(cls.dir, ignore_errors=True)
        cls.core, truth, cls.seconds = arm64_python.fixture_core("shapes", cls.dir, cls.root)
        with open(truth) as f:
            cls.truth = json.load(f)
        cls.results = {}

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("HEAPY_E2E_KEEP") != "1":
            shutil.rmtree(cls.dir, ignore_errors=True)

    # -- the three front ends --

    def cli(self, *words, sysroot=True):
        cmd = [harness.HEAPY_CLI] + list(words) + ["--core", self.core]
        return harness.run(cmd + (["--sysroot", self.root] if sysroot else []))

    def gdb(self, line):
        gdb = shutil.which(arm64_python.GDB_MULTIARCH)
        if not gdb:
            self.skipTest("gdb-multiarch is not installed (scripts/setup-deps installs it)")
        if harness.missing_build_product("gdb"):
            self.skipTest(harness.missing_build_product("gdb"))
        cmd = [gdb, "-nx", "-batch", "-iex", "set debuginfod enabled off"]
        for command in ("set sysroot " + self.root, "file " + self.exe, "core-file " + self.core,
                        "source " + harness.GDB_SCRIPT, line):
            cmd += ["-ex", command]
        return harness.run(cmd)

    def lldb(self, line):
        if harness.missing_build_product("lldb"):
            self.skipTest(harness.missing_build_product("lldb"))
        return harness.run([harness.LLDB, "--no-lldbinit", "--batch",
                            "-o", "platform select remote-linux --sysroot " + self.root,
                            "-o", "target create %s --core %s" % (self.exe, self.core),
                            "-o", "plugin load " + harness.LLDB_PLUGIN, "-o", line])

    def partition(self, frontend, *words):
        key = (frontend,) + words
        if key not in self.results:
            words = ("heap",) + words + ("--json",)
            if frontend == "cli":
                r = self.cli(*words)
            else:
                r = getattr(self, frontend)(" ".join(("heapy",) + words))
            self.assertEqual(r.rc, 0, r.describe())
            try:
                self.results[key] = harness.find_json(r.stdout)
            except ValueError as e:
                self.fail("%s: %s" % (e, r.describe()))
        return self.results[key]

    def compare_rows(self, expected, result, what):
        rows = {}
        for row in result["rows"]:
            rows.setdefault(row["kind"], []).append(row)
        problems = []
        for kind, want in sorted(expected.items()):
            got = rows.get(kind, [])
            if len(got) != 1:
                problems.append("%s: expected count %d, got %s" % (
                    kind, want["count"], "no row" if not got else "%d rows" % len(got)))
            elif got[0]["count"] != want["count"] or (
                    want["size"] is not None and got[0]["size"] != want["size"]):
                problems.append("%s: expected %s, got %s" % (kind, want, got[0]))
        if problems:
            self.fail("%s on the AArch64 core: %d of %d rows differ from the fixture's truth:"
                      "\n  %s" % (what, len(problems), len(expected), "\n  ".join(problems)))

    def check_own_classes(self, frontend):
        self.compare_rows(self.truth["clodo"], self.partition(frontend), frontend + " heap")
        self.compare_rows(self.truth["type"], self.partition(frontend, "--by", "type"),
                          frontend + " heap --by type")

    def test_cli_own_classes_exact(self):
        self.check_own_classes("cli")

    def test_gdb_multiarch_own_classes_exact(self):
        self.check_own_classes("gdb")

    def test_lldb_own_classes_exact(self):
        self.check_own_classes("lldb")

    def test_front_ends_agree(self):
        cli = self.partition("cli")
        self.assertEqual(self.partition("gdb"), cli)
        self.assertEqual(self.partition("lldb"), cli)

    def test_cli_total_near_in_process_estimate(self):
        estimate = self.truth["totals"]["approx_reachable_count"]
        count = self.partition("cli")["count"]
        self.assertLess(abs(count - estimate), 0.03 * estimate, (count, estimate))

    def test_cli_own_instances_by_address(self):
        r = self.cli("_objects")
        self.assertEqual(r.rc, 0, r.describe())
        by_kind = {}
        for line in r.stdout.splitlines():
            m = OBJECT_RE.match(line)
            if m:
                by_kind.setdefault(m.group(3), set()).add(int(m.group(1), 16))
        problems = []
        for kind, addresses in sorted(self.truth["instances"].items()):
            want = {int(a, 16) for a in addresses}
            got = by_kind.get(kind, set())
            if want != got:
                problems.append("%s: %d missing, %d unexpected" % (
                    kind, len(want - got), len(got - want)))
        self.assertEqual(problems, [])

    def test_cli_info_names_the_machine_and_threads(self):
        r = self.cli("info")
        self.assertEqual(r.rc, 0, r.describe())
        # The machine is named when it is not the one heapy runs on.
        self.assertRegex(r.stdout, r"^Target: core file %s of %s \((?:AArch64, )?pid \d+, "
                                   r"%d threads, signal SIGABRT\)" % (
                                       re.escape(self.core), re.escape(self.exe),
                                       self.truth["threads"]))
        self.assertIn("Python: CPython 3.11.", r.stdout)
        self.assertIn("by the dynamic linker's list", r.stdout)
        self.assertNotIn("cannot be used", r.stdout, "a shared object was not found in the root")

    def test_cli_stacks_of_every_thread(self):
        r = self.cli("stacks", "--json")
        self.assertEqual(r.rc, 0, r.describe())
        threads = {t["name"]: t for t in json.loads(r.stdout)["threads"]}
        self.assertEqual(sorted(threads), ["MainThread", "handles-exception", "holds-locals"])
        main = [(f["function"], os.path.basename(f["file"]))
                for f in threads["MainThread"]["frames"]]
        self.assertEqual(main, [("block_forever", "fixturelib.py"), ("<module>", "shapes.py")])
        for name in ("handles-exception", "holds-locals"):
            functions = [f["function"] for f in threads[name]["frames"]]
            self.assertIn("Event.wait", functions, name)

    def test_cli_exe_given(self):
        r = self.cli("heap", "--json", "--exe", self.exe)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(harness.find_json(r.stdout), self.partition("cli"))

    # -- refusals, one line each --

    def one_line_error(self, r):
        self.assertNotEqual(r.rc, 0, r.describe())
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.describe())
        return lines[0]

    def test_an_x86_64_executable_is_refused(self):
        host_python = harness.interpreter("debian")
        if host_python is None:
            self.skipTest("no " + harness.DEBIAN_PYTHON)
        line = self.one_line_error(self.cli("heap", "--exe", host_python))
        self.assertIn("%s is x86-64 code, not AArch64" % host_python, line)

    def doctored_core(self, name, ei_class, ei_data, machine):
        """The first 64 KiB of the core with its identification and machine rewritten."""
        with open(self.core, "rb") as f:
            head = bytearray(f.read(65536))
        head[4], head[5] = ei_class, ei_data
        head[18:20] = struct.pack("<H" if ei_data == 1 else ">H", machine)
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(head)
        return path

    def test_other_machines_are_refused_naming_what_they_are(self):
        only = ("; heapy reads the cores of 64-bit little-endian AArch64 and x86-64 processes "
                "only")
        for name, ei_class, ei_data, machine, what in (
                ("arm32.core", 1, 1, 40, "32-bit little-endian ARM (ELF machine 40)"),
                ("ppc64.core", 2, 2, 21, "64-bit big-endian PowerPC64 (ELF machine 21)"),
                ("s390x.core", 2, 2, 22, "64-bit big-endian s390 (ELF machine 22)")):
            path = self.doctored_core(name, ei_class, ei_data, machine)
            r = harness.run([harness.HEAPY_CLI, "heap", "--core", path])
            self.assertEqual(self.one_line_error(r),
                             "heapy: %s is an ELF file for %s%s" % (path, what, only))


if __name__ == "__main__":
    unittest.main()
