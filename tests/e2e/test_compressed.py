"""Compressed cores, through the CLI: the "shapes" fixture's core compressed with zstd (as
systemd-coredump stores cores), xz, lz4 and gzip gives the same JSON as the plain core, whatever
the file is called, and leaves nothing in TMPDIR; a compressed core cut short, or one that does
not fit in TMPDIR, is refused with one line.

    python3 test_compressed.py [-v]
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness

TOOLS = {
    "zstd": ["zstd", "-q", "-c", "-1"],
    "xz": ["xz", "-c", "-0", "-T1"],
    "lz4": ["lz4", "-q", "-c"],
    "gzip": ["gzip", "-c", "-1"],
}
QUERY = ["heap", "--json", ";", "heap", "--by", "type", "--json"]


class CompressedCores(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        cls.target = harness.debian_target_or_skip("shapes")
        cls.dir = tempfile.mkdtemp(prefix="heapy-compressed-", dir=harness.state_dir())
        cls.tmpdir = os.path.join(cls.dir, "tmp")
        os.makedirs(cls.tmpdir)
        os.environ["TMPDIR"] = cls.tmpdir  # where heapy decompresses, inherited by every run
        plain = cls.heapy(cls.target.core)
        if plain.rc != 0:
            raise AssertionError("the plain core fails: " + plain.describe())
        cls.plain = plain.stdout.splitlines()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def heapy(cls, core):
        return harness.run(harness.frontend_command("cli", QUERY, core=core))

    def compressed(self, tool, name):
        if not shutil.which(TOOLS[tool][0]):
            self.fail("%s is not installed (scripts/setup-deps installs it)" % TOOLS[tool][0])
        path = os.path.join(self.dir, name)
        with open(path, "wb") as out:
            subprocess.run(TOOLS[tool] + [self.target.core], stdout=out, check=True)
        return path

    def assert_same_as_plain(self, path):
        r = self.heapy(path)
        self.assertEqual(r.rc, 0, r.describe())
        got = r.stdout.splitlines()
        self.assertEqual(len(got), 2, r.describe())
        for line, plain in zip(got, self.plain):
            self.assertEqual(json.loads(line), json.loads(plain), path)
        self.assertEqual(os.listdir(self.tmpdir), [], "the decompressed core was left in TMPDIR")

    def test_each_format_gives_the_plain_result(self):
        for tool in TOOLS:
            with self.subTest(tool=tool):
                # systemd-coredump's name for a core, whatever the format inside.
                self.assert_same_as_plain(self.compressed(
                    tool, "core.python3.1000.0123abcd.%d.1700000000000000.%s" %
                    (self.target.pid, tool)))

    def test_found_by_content_not_name(self):
        self.assert_same_as_plain(self.compressed("zstd", "core.no-extension"))
        misnamed = os.path.join(self.dir, "plain-core.zst")
        shutil.copyfile(self.target.core, misnamed)
        self.assert_same_as_plain(misnamed)

    def test_cut_short_is_one_line(self):
        path = self.compressed("zstd", "core.cut.zst")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        r = self.heapy(path)
        self.assertNotEqual(r.rc, 0, r.describe())
        self.assertEqual(r.stdout, "", r.describe())
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.describe())
        self.assertIn("ends in the middle of its zstd data", lines[0])
        self.assertIn(path, lines[0])
        self.assertEqual(os.listdir(self.tmpdir), [])

    def test_no_room_in_tmpdir_is_one_line(self):
        small = os.path.join(self.dir, "small")
        os.makedirs(small)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small],
                                 capture_output=True)
        if mounted.returncode != 0:
            self.skipTest("cannot mount a small tmpfs here: %s" % mounted.stderr.decode().strip())
        try:
            path = self.compressed("xz", "core.big.xz")
            os.environ["TMPDIR"] = small
            r = self.heapy(path)
        finally:
            os.environ["TMPDIR"] = self.tmpdir
            subprocess.run(["umount", small])
        self.assertNotEqual(r.rc, 0, r.describe())
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.describe())
        self.assertIn("not enough space in %s to decompress %s" % (small, path), lines[0])
        self.assertIn("set TMPDIR", lines[0])


if __name__ == "__main__":
    unittest.main()
