"""End-to-end harness: fixture processes, their cores, the three front ends, heapy's formats.

Plain Python 3 standard library only. Used by the tests in this folder and, as a command, by
ctest's setup and cleanup steps:

    python3 harness.py setup [INTERPRETER...]   # start every fixture, take every core (shared
                                                # by all tests), and shapes.py under each INTERPRETER
    python3 harness.py cleanup   # kill every fixture process, delete the cores
    python3 harness.py status    # what the state directory holds

Environment (ctest sets all three; the defaults suit a run from a checkout):
    HEAPY_SOURCE_DIR   the repository (default: two levels above this file)
    HEAPY_BUILD_DIR    the CMake build directory (default: $HEAPY_SOURCE_DIR/build)
    HEAPY_E2E_STATE    where fixture processes, truths and cores are kept for a whole test run.
                       Unset: a private temporary directory, cleaned up when the process exits.
    HEAPY_E2E_KEEP=1   cleanup kills the processes but keeps the cores and truths.
    HEAPY_GDB, HEAPY_LLDB   debugger commands (default gdb, and lldb-19 or else lldb-16).

Every fixture process runs in its own session (process group), is recorded with its start time
in STATE/<key>/info.json, and is killed by group at cleanup; fixtures also end themselves after
FIXTURE_TTL seconds (SIGALRM) in case nothing is left to kill them.
"""

import atexit
import contextlib
import fcntl
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("HEAPY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BUILD_DIR = os.environ.get("HEAPY_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
FIXTURES_DIR = os.path.join(SOURCE_DIR, "tests", "fixtures")

HEAPY_CLI = os.path.join(BUILD_DIR, "bin", "heapy")
GDB_SCRIPT = os.path.join(BUILD_DIR, "heapy-gdb.py")
LLDB_PLUGIN = os.path.join(BUILD_DIR, "lib", "libheapy_lldb.so")
GDB = os.environ.get("HEAPY_GDB", "gdb")
LLDB = os.environ.get("HEAPY_LLDB") or next(
    (name for name in ("lldb-19", "lldb-16") if shutil.which(name)), "lldb-19")

# The lldb plugin adds the tools for heapy's own tests (_heapy _objects, _heapy _wait) only when
# asked: every lldb the tests start inherits this.
os.environ.setdefault("HEAPY_LLDB_TOOLS", "1")

FIXTURE_TTL = 1800         # seconds a fixture process lives at most
READY_TIMEOUT = 120        # seconds a fixture may take to build its heap
GCORE_TIMEOUT = 300        # seconds gcore may take
COMMAND_TIMEOUT = 90       # seconds one heapy / gdb / lldb run may take

FRONTENDS = ("cli", "gdb", "lldb")
MODES = ("core", "live")
# "debian": the distribution's static, stripped python3.11; "pyenv": a pyenv CPython 3.11 built
# with --enable-shared; "pyX.Y": the newest pyenv CPython X.Y ($PYENV_ROOT or ~/.pyenv), any build.
# The suite runs every test on the first two and a lighter set on the others (CMakeLists.txt);
# "py3.8" is an unsupported version and "py3.14t" a free-threaded build (pyenv's, else
# /opt/python3.14t), used only to check heapy's message for them.
INTERPRETERS = ("debian", "pyenv", "py3.9", "py3.10", "py3.12", "py3.13", "py3.14", "py3.13t", "py3.14t")
VERSION_INTERPRETERS = INTERPRETERS[2:]
OTHER_INTERPRETERS = ("py3.8",)
DEBIAN_PYTHON = "/usr/bin/python3.11"
SKIP_PYENV = "skipped: no pyenv CPython 3.11 shared build"

# The exit status with which a test module tells ctest it was skipped (SKIP_RETURN_CODE).
SKIP_EXIT = 77


# --- interpreters --------------------------------------------------------------------------------

def _version_key(path):
    version = path.split("/versions/")[1].split("/")[0]
    return [int(p) if p.isdigit() else -1 for p in re.split(r"[.\-]", version)]


_interpreter_cache = {}


def _pyenv_pythons(minor):
    """pyenv's CPython `minor` ("3.11") interpreters, newest patch level first."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return sorted(glob.glob(os.path.join(root, "versions", minor + ".*", "bin", "python" + minor)),
                  key=_version_key, reverse=True)


def _config_var(exe, name):
    try:
        return subprocess.run(
            [exe, "-S", "-c", "import sysconfig; print(sysconfig.get_config_var(%r))" % name],
            capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def interpreter(name):
    """Path of the interpreter called `name` (INTERPRETERS, OTHER_INTERPRETERS), or None if
    it is absent."""
    if name in _interpreter_cache:
        return _interpreter_cache[name]
    exe = None
    if name == "debian":
        exe = DEBIAN_PYTHON if os.access(DEBIAN_PYTHON, os.X_OK) else None
    elif name == "pyenv":
        for candidate in _pyenv_pythons("3.11"):
            if _config_var(candidate, "Py_ENABLE_SHARED") == "1":
                exe = os.path.realpath(candidate)
                break
    elif re.fullmatch(r"py3\.\d+", name):
        opt = "/opt/python%s/bin/python%s" % (name[2:], name[2:])
        for candidate in _pyenv_pythons(name[2:]) + [opt]:
            # Skip a broken install: the interpreter must at least start.
            if _config_var(candidate, "VERSION") == name[2:]:
                exe = os.path.realpath(candidate)
                break
    elif re.fullmatch(r"py3\.\d+t", name):
        minor = name[2:-1]
        opt = "/opt/python%st/bin/python%st" % (minor, minor)
        root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
        pyenv = sorted(glob.glob(os.path.join(root, "versions", minor + ".*t", "bin", "python%st" % minor)))
        for candidate in pyenv[::-1] + [opt]:
            if _config_var(candidate, "Py_GIL_DISABLED") == "1":
                exe = os.path.realpath(candidate)
                break
    else:
        raise ValueError("unknown interpreter %r" % name)
    _interpreter_cache[name] = exe
    return exe


def skip_message(name):
    """What a test prints (before exiting with SKIP_EXIT) when interpreter `name` is absent."""
    if name == "pyenv":
        return SKIP_PYENV
    if name.startswith("py3."):
        return "skipped: no CPython %s" % name[2:]
    return "skipped: no %s" % name


def exit_if_absent(name):
    """Exit with SKIP_EXIT, saying why, when interpreter `name` is absent."""
    if interpreter(name) is None:
        print(skip_message(name))
        sys.exit(SKIP_EXIT)


# --- state directory -----------------------------------------------------------------------------

_state = None


def state_dir():
    global _state
    if _state is None:
        _state = os.environ.get("HEAPY_E2E_STATE")
        if _state:
            os.makedirs(_state, exist_ok=True)
        else:
            _state = tempfile.mkdtemp(prefix="heapy-e2e-")
            atexit.register(cleanup, _state)
    return _state


@contextlib.contextmanager
def locked(name):
    """An exclusive lock shared by every test process of this run (flock on STATE/name.lock)."""
    path = os.path.join(state_dir(), name + ".lock")
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- processes -----------------------------------------------------------------------------------

def _start_time(pid):
    """Start time of pid (clock ticks since boot), or None if it is gone or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(pid, start_time):
    return start_time is not None and _start_time(pid) == start_time


def kill_group(pid, start_time):
    """Kill the process group led by pid, if pid is still the process we started."""
    if not alive(pid, start_time):
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.time() + 10
    while time.time() < deadline and alive(pid, start_time):
        try:
            os.waitpid(pid, os.WNOHANG)  # reaps it if we are its parent
        except ChildProcessError:
            pass
        time.sleep(0.05)


class Target:
    """A fixture process (kept alive) and its core, as recorded in STATE/<key>/info.json."""

    def __init__(self, info):
        self.info = info
        self.key = info["key"]
        self.fixture = info["fixture"]
        self.interp = info["interp"]
        self.exe = info["exe"]
        self.pid = info["pid"]
        self.start_time = info["start_time"]
        self.core = info["core"]
        self.dir = info["dir"]
        self._truth = None

    @property
    def truth(self):
        if self._truth is None:
            with open(self.info["truth"]) as f:
                self._truth = json.load(f)
        return self._truth

    def alive(self):
        return alive(self.pid, self.start_time)

    def kill(self):
        kill_group(self.pid, self.start_time)


def _tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def take_core(pid, directory):
    """gcore -o DIR/core PID; returns DIR/core.PID. The process keeps running."""
    out = os.path.join(directory, "gcore.log")
    with open(out, "w") as log:
        rc = subprocess.run(["gcore", "-o", os.path.join(directory, "core"), str(pid)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            timeout=GCORE_TIMEOUT).returncode
    core = os.path.join(directory, "core.%d" % pid)
    if rc != 0 or not os.path.isfile(core):
        raise RuntimeError("gcore of pid %d failed (exit %d):\n%s" % (pid, rc, _tail(out)))
    return core


def _spawn(cmd, directory):
    """Start cmd in a new session (its own process group), output to DIR/process.log.
    posix_spawn, not Popen: the process must outlive this Python without a Popen to reap it."""
    log = os.path.join(directory, "process.log")
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    pid = os.posix_spawn(cmd[0], cmd, env, setsid=True, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ])
    # The start time identifies this process from now on (pids get reused).
    return pid, _start_time(pid)


def _wait_ready(pid, start, ready, log, timeout=READY_TIMEOUT):
    deadline = time.time() + timeout
    while not os.path.exists(ready):
        if not alive(pid, start):
            raise RuntimeError("fixture pid %d exited before it was ready:\n%s" % (pid, _tail(log)))
        if time.time() > deadline:
            kill_group(pid, start)
            raise RuntimeError("fixture pid %d not ready after %ds:\n%s" % (pid, timeout, _tail(log)))
        time.sleep(0.05)


def _wait_asleep(pid, timeout=5.0):
    """Waits (at most `timeout` seconds) until every thread of pid has slept in the same system
    call, at the same place, for three polls in a row: the ready file comes just before the
    fixture's last calls block, and a core taken in between catches objects in flight (held by a
    register or a C frame for a moment; an import still running when the machine is loaded)."""
    deadline = time.time() + timeout
    before, stable = None, 0
    while time.time() < deadline:
        try:
            threads = {}
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/stat" % (pid, task)) as f:
                    stat = f.read()
                with open("/proc/%d/task/%s/syscall" % (pid, task)) as f:
                    threads[task] = (stat[stat.rindex(")") + 2], f.read())
        except OSError:
            return
        asleep = all(state in "SD" for state, _ in threads.values())
        stable = stable + 1 if asleep and threads == before else 0
        if stable >= 2:
            return
        before = threads
        time.sleep(0.02)


def target(fixture, interp="debian", args=()):
    """The running fixture `fixture` (a tests/fixtures/*.py name, or "no_python" for a `sleep`
    process) under interpreter `interp`, with its core. Started and cored once per state
    directory; later calls (from any test process) reuse it. None if the interpreter is absent.
    """
    key = "%s-%s" % (fixture, interp) + "".join("-" + re.sub(r"\W", "", a) for a in args)
    with locked("target-" + key):
        directory = os.path.join(state_dir(), key)
        info_path = os.path.join(directory, "info.json")
        if os.path.exists(info_path):
            with open(info_path) as f:
                t = Target(json.load(f))
            if t.alive() and os.path.exists(t.core):
                return t
            t.kill()
            shutil.rmtree(directory, ignore_errors=True)
        if fixture == "no_python":
            exe = os.path.realpath(shutil.which("sleep") or "/bin/sleep")
        else:
            exe = interpreter(interp)
            if exe is None:
                return None
        os.makedirs(directory, exist_ok=True)
        truth = os.path.join(directory, "truth.json")
        ready = truth + ".ready"
        if fixture == "no_python":
            cmd = [exe, str(FIXTURE_TTL)]
        else:
            cmd = [exe, os.path.join(FIXTURES_DIR, fixture + ".py"), truth, "--ready", ready,
                   "--ttl", str(FIXTURE_TTL)] + list(args)
        pid, start = _spawn(cmd, directory)
        info = {"key": key, "fixture": fixture, "interp": interp, "exe": exe, "pid": pid,
                "start_time": start, "dir": directory, "truth": truth, "cmd": cmd, "core": None}
        # Record the process before anything can fail, so cleanup always finds it.
        _write_json(info_path, info)
        if fixture == "no_python":
            with open(truth, "w") as f:
                json.dump({"fixture": "no_python", "pid": pid, "python": None}, f)
        else:
            _wait_ready(pid, start, ready, os.path.join(directory, "process.log"))
            _wait_asleep(pid)
        t0 = time.time()
        info["core"] = take_core(pid, directory)
        info["gcore_seconds"] = round(time.time() - t0, 2)
        if not alive(pid, start):
            raise RuntimeError("fixture pid %d died while its core was taken:\n%s"
                               % (pid, _tail(os.path.join(directory, "process.log"))))
        _write_json(info_path, info)
        return Target(info)


def _write_json(path, data):
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=1)
    os.rename(path + ".tmp", path)


def all_targets(state=None):
    for path in sorted(glob.glob(os.path.join(state or state_dir(), "*", "info.json"))):
        try:
            with open(path) as f:
                yield Target(json.load(f))
        except (OSError, ValueError):
            continue


def cleanup(state=None):
    state = state or state_dir()
    for t in all_targets(state):
        t.kill()
    if os.environ.get("HEAPY_E2E_KEEP") == "1":
        return
    shutil.rmtree(state, ignore_errors=True)


# The targets the whole suite uses; `setup` makes them all, in parallel.
SUITE_TARGETS = [("shapes", "debian", ()), ("shapes", "pyenv", ()), ("no_python", "none", ()),
                 ("big", "debian", ("--objects", "200000")),
                 ("queries", "debian", ())]


def setup(interps=()):
    """Start from a clean state: kill what a previous run left, then make every target, and
    shapes.py under each of `interps` too (the versions the registered tests run on)."""
    from concurrent.futures import ThreadPoolExecutor

    cleanup()
    os.makedirs(state_dir(), exist_ok=True)
    t0 = time.time()
    specs = list(SUITE_TARGETS) + [("shapes", i, ()) for i in interps
                                   if ("shapes", i, ()) not in SUITE_TARGETS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda spec: (spec, target(*spec)), specs))
    for (fixture, interp, args), t in results:
        if t is None:
            print("%-10s %-7s %s" % (fixture, interp, skip_message(interp)))
        else:
            print("%-10s %-7s pid %-7d core %s (%d MB, gcore %.1fs)" % (
                fixture, interp, t.pid, t.core, os.path.getsize(t.core) >> 20,
                t.info.get("gcore_seconds", 0)))
    print("setup took %.1fs" % (time.time() - t0))


# --- running the front ends ----------------------------------------------------------------------

class Result:
    def __init__(self, cmd, rc, stdout, stderr, seconds):
        self.cmd, self.rc, self.stdout, self.stderr, self.seconds = cmd, rc, stdout, stderr, seconds

    @property
    def command_line(self):
        return " ".join(_quote(c) for c in self.cmd)

    def describe(self, limit=3000):
        def cut(s):
            return s if len(s) <= limit else s[:limit // 2] + "\n[...]\n" + s[-limit // 2:]
        return "$ %s\nexit status %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.command_line, self.rc, cut(self.stdout), cut(self.stderr))


def _quote(s):
    return s if re.fullmatch(r"[\w@%+=:,./-]+", s) else "'" + s.replace("'", "'\\''") + "'"


def run(cmd, timeout=COMMAND_TIMEOUT, env=None):
    """Runs cmd (with `env` added to the environment); its Result."""
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           start_new_session=True, env=dict(os.environ, **env) if env else None)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout after %ds" % timeout, e.stdout or b"", e.stderr or b""
    return Result(cmd, rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  time.time() - t0)


def missing_build_product(frontend):
    """A message if what the front end needs was not built, else None."""
    path = {"cli": HEAPY_CLI, "gdb": GDB_SCRIPT, "lldb": LLDB_PLUGIN}[frontend]
    if not os.path.exists(path):
        return "%s was not built (expected %s; build with scripts/build)" % (frontend, path)
    tool = {"cli": None, "gdb": GDB, "lldb": LLDB}[frontend]
    if tool and not shutil.which(tool):
        return "%s is not installed (scripts/setup-deps)" % tool
    return None


def skip_unless_built(frontend):
    """Raises unittest.SkipTest when what the front end needs was not built."""
    missing = missing_build_product(frontend)
    if missing:
        raise unittest.SkipTest(missing)


def target_or_skip(fixture, params, args=()):
    """The running fixture for params.interp (and its front end, params.frontend when it has one),
    or unittest.SkipTest when that front end was not built or the interpreter is absent."""
    skip_unless_built(getattr(params, "frontend", "cli"))
    t = target(fixture, params.interp, args)
    if t is None:
        raise unittest.SkipTest(skip_message(params.interp))
    return t


def debian_target_or_skip(fixture, args=()):
    """target(fixture, "debian", args), or unittest.SkipTest when Debian's Python is absent."""
    t = target(fixture, "debian", args)
    if t is None:
        raise unittest.SkipTest("no %s" % DEBIAN_PYTHON)
    return t


def frontend_command(frontend, words, core=None, exe=None, pid=None):
    """The command line that runs `heapy WORDS...` through a front end, on a core (with the
    executable exe) or on a live pid."""
    assert (core is None) != (pid is None)
    if frontend == "cli":
        cmd = [HEAPY_CLI] + list(words)
        if core is not None:
            cmd += ["--core", core] + (["--exe", exe] if exe else [])
        else:
            cmd += ["--pid", str(pid)]
        return cmd
    # lldb keeps the tools for heapy's own tests (_objects, _wait) under `_heapy`, out of help.
    prefix = "_heapy" if frontend == "lldb" and words and words[0].startswith("_") else "heapy"
    line = " ".join([prefix] + list(words))
    if frontend == "gdb":
        cmd = [GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
               "-ex", "source " + GDB_SCRIPT, "-ex", line]
        return cmd + ([exe, core] if core is not None else ["-p", str(pid)])
    if frontend == "lldb":
        cmd = [LLDB, "--no-lldbinit", "--batch", "-o", "plugin load " + LLDB_PLUGIN, "-o", line]
        return cmd + (["-c", core, exe] if core is not None else ["-p", str(pid)])
    raise ValueError(frontend)


def run_heapy(frontend, mode, t, words, exe=None, timeout=COMMAND_TIMEOUT):
    """Run `heapy WORDS` through frontend on target t's core (mode "core") or live process."""
    if mode == "core":
        return run(frontend_command(frontend, words, core=t.core, exe=exe or (
            t.exe if frontend != "cli" else None)), timeout)
    if not t.alive():
        raise RuntimeError("fixture process %d (%s) is gone" % (t.pid, t.key))
    # One debugger (ptrace) at a time per process.
    with locked("live-" + t.key):
        result = run(frontend_command(frontend, words, pid=t.pid), timeout)
        check_left_running(t, "%s %s" % (frontend, " ".join(words)))
    return result


def process_state(pid):
    """The state letter of /proc/PID/stat (S sleeping, T stopped, t traced, Z zombie...)."""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2]


def check_left_running(t, what):
    """After a live run the process must be alive, not stopped and not traced any more."""
    deadline = time.time() + 5
    while True:
        if not t.alive():
            raise RuntimeError("%s killed fixture process %d (%s)" % (what, t.pid, t.key))
        state = process_state(t.pid)
        if state not in ("T", "t"):
            return
        if time.time() > deadline:
            raise RuntimeError("%s left fixture process %d (%s) stopped (state %s)"
                               % (what, t.pid, t.key, state))
        time.sleep(0.05)


def find_json(text):
    """The one JSON result line (the line that starts with '{"count"') in front-end output."""
    lines = [l for l in text.splitlines() if l.startswith('{"count"')]
    if len(lines) != 1:
        raise ValueError("expected exactly one line starting with '{\"count\"', found %d"
                         % len(lines))
    return json.loads(lines[0])


# --- heapy's partition table (HEAPY.md 1.1), rendered from a JSON result -----------------------

HEADERS = {"clodo": "Kind (class / dict of class)", "type": "Type"}
SET_HEADER = " Index  Count   %     Size   % Cumulative  % "
LABEL_RE = re.compile(r"^Partition of a set of (\d+) objects?\. Total size = (\d+) bytes\.$")
FOOTER_RE = re.compile(r"^<(\d+) more rows\. Type e\.g\. '_\.more' to view\.>$")
ROWS_PER_PAGE = 10


def percent(part, whole):
    return int("%.0f" % (part * 100.0 / whole)) if whole else 0


def label_line(count, size):
    return "Partition of a set of %d object%s. Total size = %d bytes." % (
        count, "" if count == 1 else "s", size)


def render_partition(result, all_rows=False):
    """The text heapy prints for the partition `result` (a parsed --json line): the label, the
    header and the first page of rows with the footer, or (all_rows) every row."""
    lines = [label_line(result["count"], result["size"])]
    rows = result["rows"]
    if not rows:
        return lines
    lines += textwrap.fill(SET_HEADER + HEADERS[result["classifier"]], width=100,
                           subsequent_indent=" " * 45).split("\n")
    shown = rows
    if not all_rows and len(rows) > ROWS_PER_PAGE + 1:
        shown = rows[:ROWS_PER_PAGE]
    cumulative = 0
    for index, row in enumerate(shown):
        cumulative += row["size"]
        prefix = "%6d %6d %3d %8d %3d %9d %3d " % (
            index, row["count"], percent(row["count"], result["count"]), row["size"],
            percent(row["size"], result["size"]), cumulative, percent(cumulative, result["size"]))
        pieces = row["kind"].split("\n")
        lines += textwrap.wrap(prefix + pieces[0], width=100,
                               subsequent_indent=" " * len(prefix))
        for piece in pieces[1:]:
            lines += textwrap.wrap(piece, width=100, initial_indent=" " * 45,
                                   subsequent_indent=" " * 45)
    if len(shown) < len(rows):
        lines.append("<%d more rows. Type e.g. '_.more' to view.>" % (len(rows) - len(shown)))
    return lines


def find_table(text):
    """The lines of text from the first partition label line on."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if LABEL_RE.match(line):
            return lines[i:]
    raise ValueError("no line matches %s" % LABEL_RE.pattern)


def _main(argv):
    if len(argv) < 2 or argv[1] not in ("setup", "cleanup", "status") or (
            argv[1] != "setup" and len(argv) != 2) or not set(argv[2:]) <= set(INTERPRETERS):
        print("usage: harness.py setup [INTERPRETER...]|cleanup|status (interpreters: %s)"
              % " ".join(INTERPRETERS), file=sys.stderr)
        return 2
    if not os.environ.get("HEAPY_E2E_STATE"):
        print("harness.py: HEAPY_E2E_STATE must be set for %s" % argv[1], file=sys.stderr)
        return 2
    if argv[1] == "setup":
        setup(argv[2:])
    elif argv[1] == "cleanup":
        n = sum(1 for t in all_targets() if t.alive())
        cleanup()
        print("killed %d fixture process(es); state %s" % (
            n, "kept" if os.environ.get("HEAPY_E2E_KEEP") == "1" else "removed"))
    else:
        for t in all_targets():
            print("%-28s pid %-7d %-5s core %s" % (t.key, t.pid, "alive" if t.alive() else "dead",
                                                   t.core))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))


def main_for_interpreter(params, default="debian", choices=None, add_options=None):
    """The main() of a test module run once per interpreter: `--interp NAME` sets params.interp
    (skipping, exit 77, when that interpreter is absent), `--frontend` and `--mode` set those of
    params when it has them, add_options(parser) adds the module's own; the other arguments go to
    unittest."""
    import argparse
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--interp", choices=choices or INTERPRETERS, default=default)
    if hasattr(params, "frontend"):
        parser.add_argument("--frontend", choices=FRONTENDS, default=params.frontend)
    if hasattr(params, "mode"):
        parser.add_argument("--mode", choices=MODES, default=params.mode)
    if add_options:
        add_options(parser)
    args, rest = parser.parse_known_args()
    vars(params).update(vars(args))
    exit_if_absent(params.interp)
    unittest.main(argv=[sys.argv[0]] + rest)
