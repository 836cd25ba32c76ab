"""`heapy stacks` next to CPython's own `py-bt` (Tools/gdb/libpython.py) on the "stacks" fixture's
core: for every thread, the same Python frames — file, line and function — in the same order.
libpython.py comes from the interpreter's source tree (/opt/src/Python-X.Y.Z, or
HEAPY_LIBPYTHON_PY); the test is skipped where there is none, or where gdb cannot read the
interpreter's debug info.

    python3 test_pybt.py [--interp NAME] [-v]
"""

import argparse
import glob
import json
import os
import re
import unittest

import harness

PARAMS = argparse.Namespace(interp="py3.14")
THREAD_RE = re.compile(r"^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)")
# py-bt writes "line ?" where its own line-table reading fails (3.14.7's does on the fixture's
# module frame); heapy's line is then compared with the fixture's truth by test_stacks instead.
FILE_RE = re.compile(r'^  File "(.*)", line (\d+|\?), in (.*)$')


def libpython_for(version):
    """libpython.py of the interpreter's version (X.Y.Z), else of its minor version."""
    if os.environ.get("HEAPY_LIBPYTHON_PY"):
        return os.environ["HEAPY_LIBPYTHON_PY"]
    minor = ".".join(version.split(".")[:2])
    for pattern in ("/opt/src/Python-%s/Tools/gdb/libpython.py" % version,
                    "/opt/src/Python-%s.*/Tools/gdb/libpython.py" % minor):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def py_bt(target, libpython):
    """{native thread id: [(file, line, function), ...] innermost first} from py-bt."""
    r = harness.run([harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
                     "-ex", "source " + libpython, "-ex", "thread apply all py-bt",
                     target.exe, target.core])
    threads, current = {}, None
    for line in r.stdout.splitlines():
        m = THREAD_RE.match(line)
        if m:
            current = threads.setdefault(int(m.group(1)), [])
            continue
        m = FILE_RE.match(line)
        if m and current is not None:
            line = None if m.group(2) == "?" else int(m.group(2))
            current.append((m.group(1), line, m.group(3)))
    return threads, r


class PyBt(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target_or_skip("stacks", PARAMS)
        version = cls.target.truth["python"]["version"].split()[0]
        libpython = libpython_for(version.rstrip("t+"))
        if libpython is None:
            raise unittest.SkipTest("no libpython.py for Python %s (set HEAPY_LIBPYTHON_PY)"
                                    % version)
        cls.py_bt, cls.gdb = py_bt(cls.target, libpython)
        if not any(cls.py_bt.values()):
            raise unittest.SkipTest("py-bt read no frame (no debug info?):\n" + cls.gdb.describe())
        r = harness.run_heapy("cli", "core", cls.target, ["stacks", "--json"])
        line = next(l for l in r.stdout.splitlines() if l.startswith('{"threads"'))
        cls.heapy = {t["native_thread_id"]: t for t in json.loads(line)["threads"]}

    def test_same_frames_in_every_thread(self):
        self.assertEqual(sorted(self.py_bt), sorted(self.heapy))
        for native, frames in self.py_bt.items():
            ours = [(f["file"], f["line"], f["function"]) for f in self.heapy[native]["frames"]]
            # py-bt names a function by co_name, heapy by co_qualname (3.11+).
            ours = [(path, line, name.rsplit(".", 1)[-1]) for path, line, name in ours]
            unknown = {i for i, frame in enumerate(frames) if frame[1] is None}
            ours = [(path, None if i in unknown else line, name)
                    for i, (path, line, name) in enumerate(ours)]
            self.assertEqual(ours, frames, "thread (LWP %d)" % native)


if __name__ == "__main__":
    harness.main_for_interpreter(PARAMS, default="py3.14")
