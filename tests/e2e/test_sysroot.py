"""A core from a container or another machine: the files it names are elsewhere now.

A shared-library CPython (pyenv's 3.13, else the newest shared one found) is copied to a private
directory (its executable and libpython; the standard library by a symlink), a program runs
under the copy and its core is taken; then the copy is moved under a new root, as a container's
image would be. Without --sysroot heapy says in one line which file is missing and which option
to give; with --sysroot (CLI), gdb's `set sysroot` or the modules lldb found under
`platform select remote-linux --sysroot`, the same JSON as before the move.

    python3 test_sysroot.py [-v]
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import unittest

import harness

PROGRAM = r"""
import os, sys
class Held:
    def __init__(self, n):
        self.n = n
        self.name = "held-%d" % n
HELD = [Held(i) for i in range(3000)]
open(sys.argv[1] + ".tmp", "w").close()
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
import time
time.sleep(600)
"""
QUERY = ["heap", "--json"]


def shared_python():
    """(executable, libpython) of a shared-library CPython 3.13+ with RUNPATH, or None."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for prefix in sorted(glob.glob(os.path.join(root, "versions", "3.1[3-9]*")), reverse=True):
        minor = os.path.basename(prefix).rsplit(".", 1)[0]
        exe = os.path.join(prefix, "bin", "python" + minor)
        lib = os.path.join(prefix, "lib", "libpython%s.so.1.0" % minor)
        if os.path.isfile(exe) and os.path.isfile(lib):
            return prefix, minor
    return None


class Sysroot(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        found = shared_python()
        if not found:
            raise unittest.SkipTest("no shared-library CPython 3.13+ in pyenv")
        prefix, minor = found
        cls.dir = tempfile.mkdtemp(prefix="heapy-sysroot-", dir=harness.state_dir())
        cls.prefix = os.path.join(cls.dir, "app", "python")
        os.makedirs(os.path.join(cls.prefix, "bin"))
        os.makedirs(os.path.join(cls.prefix, "lib"))
        cls.exe = os.path.join(cls.prefix, "bin", "python" + minor)
        cls.libpython = os.path.join(cls.prefix, "lib", "libpython%s.so.1.0" % minor)
        shutil.copy2(os.path.join(prefix, "bin", "python" + minor), cls.exe)
        shutil.copy2(os.path.join(prefix, "lib", os.path.basename(cls.libpython)), cls.libpython)
        os.symlink(os.path.join(prefix, "lib", "python" + minor),
                   os.path.join(cls.prefix, "lib", "python" + minor))
        program = os.path.join(cls.dir, "program.py")
        with open(program, "w") as f:
            f.write(PROGRAM)
        ready = os.path.join(cls.dir, "ready")
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(cls.prefix, "lib"))
        cls.process = subprocess.Popen([cls.exe, program, ready], env=env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.time() + 60
            while not os.path.exists(ready):
                if cls.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the program under the copied Python did not start")
                time.sleep(0.05)
            with open("/proc/%d/maps" % cls.process.pid) as maps:
                if cls.libpython not in maps.read():
                    raise RuntimeError("the copy did not load its own libpython")
            cls.core = harness.take_core(cls.process.pid, cls.dir)
        finally:
            cls.process.kill()
            cls.process.wait()
        cls.before = cls.cli()
        if cls.before.rc != 0:
            raise AssertionError("the core fails with its files in place: " +
                                 cls.before.describe())
        # The files move under a new root, as they are inside a container's image.
        cls.root = os.path.join(cls.dir, "rootfs")
        os.renames(cls.prefix, cls.root + cls.prefix)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def cli(cls, *extra):
        return harness.run(harness.frontend_command("cli", QUERY + list(extra), core=cls.core))

    def test_without_sysroot_one_line_says_what_to_give(self):
        r = self.cli()
        self.assertNotEqual(r.rc, 0, r.describe())
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.describe())
        self.assertIn("pass --sysroot DIR", lines[0])
        self.assertRegex(lines[0], r"\(e\.g\. %s\)" % r"/\S+/app/python/\S+")

    def test_cli_sysroot_gives_the_same_json(self):
        r = self.cli("--sysroot", self.root)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(json.loads(r.stdout), json.loads(self.before.stdout))

    def gdb(self, *setup):
        if harness.missing_build_product("gdb"):
            self.skipTest(harness.missing_build_product("gdb"))
        cmd = [harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off"]
        for line in setup + ("file " + self.root + self.exe, "core-file " + self.core,
                             "source " + harness.GDB_SCRIPT, "heapy heap --json"):
            cmd += ["-ex", line]
        return harness.run(cmd)

    def test_gdb_sysroot_gives_the_same_json(self):
        r = self.gdb("set sysroot " + self.root)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(harness.find_json(r.stdout), json.loads(self.before.stdout))

    def test_gdb_without_sysroot_says_how_to_set_it(self):
        r = self.gdb()
        self.assertIn("`set sysroot DIR`, then `core-file CORE` again", r.stderr, r.describe())
        self.assertNotIn("--sysroot", r.stderr, r.describe())

    def test_lldb_modules_give_the_same_json(self):
        if harness.missing_build_product("lldb"):
            self.skipTest(harness.missing_build_product("lldb"))
        cmd = [harness.LLDB, "--no-lldbinit", "--batch",
               "-o", "platform select remote-linux --sysroot " + self.root,
               "-o", "target create %s --core %s" % (self.root + self.exe, self.core),
               "-o", "plugin load " + harness.LLDB_PLUGIN, "-o", "heapy heap --json"]
        r = harness.run(cmd)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(harness.find_json(r.stdout), json.loads(self.before.stdout))


if __name__ == "__main__":
    unittest.main()
