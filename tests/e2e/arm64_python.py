"""Debian's arm64 python3.11, unpacked into a directory (never installed over this machine's own),
and cores of fixtures run under it with qemu-user: what an ARM64 server would leave behind.

The .deb files are fetched with `apt-get download` (Debian's arm64 architecture must be enabled:
scripts/setup-deps does `dpkg --add-architecture arm64`) into a cache outside the repository,
$HEAPY_ARM64_CACHE or $XDG_CACHE_HOME/heapy-e2e/arm64-python3.11 (~/.cache/... by default), and
unpacked there with `dpkg-deb -x` once; later runs reuse it.

qemu-user writes the core of a guest that aborts as qemu_<program>_<date>-<time>_<pid>.core in
its working directory. It writes no NT_FILE note, and leaves out every ELF file's code pages.
"""

import fcntl
import glob
import os
import resource
import shutil
import signal
import subprocess
import time
import unittest

QEMU = "qemu-aarch64-static"
GDB_MULTIARCH = "gdb-multiarch"
# python3.11-minimal's and the standard library's, and what their lib-dynload modules link that
# the fixtures load (ctypes: libffi).
PACKAGES = ("python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libc6",
            "libexpat1", "zlib1g", "libffi8")
EXE = "/usr/bin/python3.11"
FIXTURE_TIMEOUT = 300  # seconds a fixture may take under qemu (shapes.py: about 7)


def cache_dir():
    if os.environ.get("HEAPY_ARM64_CACHE"):
        return os.environ["HEAPY_ARM64_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "heapy-e2e", "arm64-python3.11")


def skip_unless_possible():
    """unittest.SkipTest, saying what is missing, when no AArch64 core can be made here."""
    if not shutil.which(QEMU):
        raise unittest.SkipTest("skipped: %s is not installed (scripts/setup-deps installs "
                                "qemu-user-static)" % QEMU)
    for tool in ("apt-get", "dpkg", "dpkg-deb"):
        if not shutil.which(tool):
            raise unittest.SkipTest("skipped: %s is missing (Debian's arm64 python3.11 is "
                                    "fetched with apt-get download)" % tool)
    arches = subprocess.run(["dpkg", "--print-foreign-architectures"], capture_output=True,
                            text=True).stdout.split()
    if "arm64" not in arches:
        raise unittest.SkipTest("skipped: Debian's arm64 architecture is not enabled (scripts/"
                                "setup-deps: dpkg --add-architecture arm64; apt-get update)")
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        raise unittest.SkipTest("skipped: core dumps are disabled here (hard RLIMIT_CORE 0)")


def _run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=600)
    return p.returncode, (p.stdout + p.stderr).strip()


def _download(debs):
    os.makedirs(debs, exist_ok=True)
    cmd = ["apt-get", "download", "-q"] + ["%s:arm64" % p for p in PACKAGES]
    rc, out = _run(cmd, cwd=debs)
    if rc != 0 and os.geteuid() == 0:
        # The package lists may name versions the mirror no longer has.
        _run(["apt-get", "update", "-q"])
        rc, out = _run(cmd, cwd=debs)
    if rc != 0:
        raise RuntimeError("apt-get download of Debian's arm64 python3.11 failed:\n" + out[-2000:])


def sysroot():
    """The directory holding Debian's arm64 python3.11 and its libraries (made once)."""
    cache = cache_dir()
    root = os.path.join(cache, "root")
    done = os.path.join(root, ".unpacked")
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(done):
            return root
        debs = os.path.join(cache, "debs")
        shutil.rmtree(debs, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        _download(debs)
        for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
            rc, out = _run(["dpkg-deb", "-x", deb, root])
            if rc != 0:
                raise RuntimeError("dpkg-deb -x %s failed:\n%s" % (deb, out))
        if not os.access(root + EXE, os.X_OK):
            raise RuntimeError("%s is not in the unpacked packages" % (root + EXE))
        with open(done, "w") as f:
            f.write("\n".join(sorted(os.listdir(debs))) + "\n")
        return root


def _allow_core():
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def fixture_core(fixture, directory, root, args=()):
    """Runs tests/fixtures/FIXTURE.py under qemu-aarch64 with `root` as its library root until it
    has written its truth and aborted. Returns (core, truth) paths in `directory`."""
    os.makedirs(directory, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(os.path.dirname(here), "fixtures", fixture + ".py")
    truth = os.path.join(directory, "truth.json")
    log = os.path.join(directory, "process.log")
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    cmd = [QEMU, "-L", root, root + EXE, script, truth, "--ttl", str(FIXTURE_TIMEOUT),
           "--abort-when-ready"] + list(args)
    t0 = time.time()
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, cwd=directory, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             preexec_fn=_allow_core)
        try:
            rc = p.wait(timeout=FIXTURE_TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = "timeout"
    cores = glob.glob(os.path.join(directory, "qemu_*.core"))
    # qemu 7.2 aborts itself after writing the guest's core, and the kernel may dump qemu too
    # (as core_pattern says): that one is of no use here.
    for host_core in glob.glob(os.path.join(directory, "core*")):
        os.remove(host_core)
    if rc != -signal.SIGABRT or len(cores) != 1 or not os.path.exists(truth):
        with open(log, errors="replace") as f:
            tail = f.read()[-3000:]
        raise RuntimeError("%s under %s did not leave one core (exit %s, cores %s):\n%s" % (
            fixture, QEMU, rc, cores, tail))
    return cores[0], truth, time.time() - t0
