"""What heapy does with input it cannot use, through one front end:

    python3 test_errors.py --frontend cli|gdb|lldb [-v]

CLI: exactly ONE line on stderr, nothing on stdout, a non-zero exit status (not a signal), for:
a missing core, a file that is not a core (text, and an ELF executable), a core of a process
without Python (`sleep`), a truncated core (a real core cut in half), a mismatched executable
(`--exe /bin/ls`), a missing executable, an unreadable core (chmod 000; as root, where every file
is readable, a directory), `--pid` of a process that does not exist, `--pid` of a process
without Python, and an unknown classifier.

gdb / lldb: the `heapy heap` command fails (the debugger's exit status in batch mode is
non-zero), with an error message and no Python traceback, and the debugger itself neither
crashes nor hangs: on a core without Python, a mismatched executable, a truncated core, and a
live process without Python.
"""

import argparse
import os
import re
import sys
import unittest

import harness

PARAMS = argparse.Namespace(frontend="cli")


def error_inputs():
    """Paths of the prepared bad inputs, made once per test run under STATE/errors."""
    directory = os.path.join(harness.state_dir(), "errors")
    with harness.locked("errors"):
        os.makedirs(directory, exist_ok=True)
        paths = {
            "missing": os.path.join(directory, "no-such-core"),
            "text": os.path.join(directory, "not-a-core.txt"),
            "truncated": os.path.join(directory, "truncated-core"),
            "unreadable": os.path.join(directory, "unreadable-core"),
        }
        if not os.path.exists(paths["text"]):
            with open(paths["text"], "w") as f:
                f.write("this is not a core file\n" * 100)
        if not os.path.exists(paths["truncated"]):
            core = harness.target("shapes", "debian").core
            half = os.path.getsize(core) // 2
            with open(core, "rb") as src, open(paths["truncated"] + ".tmp", "wb") as dst:
                remaining = half
                while remaining:
                    chunk = src.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    dst.write(chunk)
                    remaining -= len(chunk)
            os.rename(paths["truncated"] + ".tmp", paths["truncated"])
        if os.geteuid() == 0:
            # root reads every file whatever its mode: a directory is what root cannot read as a core.
            os.makedirs(paths["unreadable"], exist_ok=True)
        elif not os.path.exists(paths["unreadable"]):
            with open(paths["unreadable"], "w") as f:
                f.write("x")
            os.chmod(paths["unreadable"], 0)
        return paths


def left_running(test, t, what):
    try:
        harness.check_left_running(t, what)
    except RuntimeError as e:
        problem = str(e)
    else:
        return
    test.fail(problem)


def unused_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists("/proc/%d" % pid):
        pid -= 1
    return pid


class CliErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inputs = error_inputs()
        cls.python = harness.target("shapes", "debian")
        cls.no_python = harness.target("no_python", "none")

    def fails_with_one_line(self, args, mention=None):
        missing = harness.missing_build_product("cli")
        if missing:
            self.fail(missing)
        r = harness.run([harness.HEAPY_CLI] + args)
        what = "heapy " + " ".join(args)
        self.assertIsInstance(r.rc, int, "%s hung:\n%s" % (what, r.describe()))
        self.assertGreater(r.rc, 0, "%s must fail with a non-zero exit status (and not be "
                                    "killed by a signal):\n%s" % (what, r.describe()))
        self.assertLess(r.rc, 128, "%s died of a signal:\n%s" % (what, r.describe()))
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, "%s must print exactly one line on stderr:\n%s"
                         % (what, r.describe()))
        self.assertTrue(lines[0].strip(), "the error line is empty:\n" + r.describe())
        self.assertEqual(r.stdout, "", "%s must print nothing on stdout:\n%s" % (what, r.describe()))
        if mention is not None:
            self.assertIn(str(mention), lines[0], "the message must name %s" % mention)
        return lines[0]

    def test_missing_core(self):
        path = self.inputs["missing"]
        self.fails_with_one_line(["heap", "--core", path], mention=path)

    def test_text_file_is_not_a_core(self):
        self.fails_with_one_line(["heap", "--core", self.inputs["text"]])

    def test_executable_is_not_a_core(self):
        self.fails_with_one_line(["heap", "--core", "/bin/ls"])

    def test_core_without_python(self):
        self.fails_with_one_line(["heap", "--core", self.no_python.core])

    def test_core_without_python_json(self):
        self.fails_with_one_line(["heap", "--json", "--core", self.no_python.core])

    def test_truncated_core(self):
        self.fails_with_one_line(["heap", "--core", self.inputs["truncated"],
                                  "--exe", self.python.exe])

    def test_mismatched_exe(self):
        self.fails_with_one_line(["heap", "--core", self.python.core, "--exe", "/bin/ls"])

    def test_missing_exe(self):
        path = self.inputs["missing"] + "-exe"
        self.fails_with_one_line(["heap", "--core", self.python.core, "--exe", path], mention=path)

    def test_unreadable_core(self):
        path = self.inputs["unreadable"]
        self.fails_with_one_line(["heap", "--core", path], mention=path)

    def test_pid_that_does_not_exist(self):
        pid = unused_pid()
        self.fails_with_one_line(["heap", "--pid", str(pid)], mention=pid)

    def test_pid_without_python(self):
        self.assertTrue(self.no_python.alive())
        with harness.locked("live-" + self.no_python.key):
            self.fails_with_one_line(["heap", "--pid", str(self.no_python.pid)])
            left_running(self, self.no_python, "heapy heap --pid")

    def test_unknown_classifier(self):
        self.fails_with_one_line(["heap", "--by", "no-such-classifier", "--core", self.python.core],
                                 mention="no-such-classifier")


class DebuggerErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inputs = error_inputs()
        cls.python = harness.target("shapes", "debian")
        cls.no_python = harness.target("no_python", "none")

    def command_fails(self, core=None, exe=None, pid=None):
        frontend = PARAMS.frontend
        missing = harness.missing_build_product(frontend)
        if missing:
            self.fail(missing)
        cmd = harness.frontend_command(frontend, ["heap"], core=core, exe=exe, pid=pid)
        if pid is None:
            r = harness.run(cmd)
        else:
            with harness.locked("live-" + self.no_python.key):
                r = harness.run(cmd)
                left_running(self, self.no_python, "%s heapy heap" % frontend)
        out = r.stdout + r.stderr
        self.assertIsInstance(r.rc, int, "the debugger hung:\n" + r.describe())
        self.assertGreaterEqual(r.rc, 0, "the debugger died of a signal:\n" + r.describe())
        self.assertLess(r.rc, 128, "the debugger died of a signal:\n" + r.describe())
        self.assertNotRegex(out, r"Undefined command: \"heapy\"|'heapy' is not a valid command",
                            "the heapy command is not there:\n" + r.describe())
        self.assertNotIn("Traceback (most recent call last)", out, r.describe())
        self.assertNotRegex(out, r"Fatal signal|Segmentation fault|PLEASE submit a bug report",
                            r.describe())
        self.assertNotEqual(r.rc, 0, "heapy heap must fail as a command, so that the debugger "
                                     "in batch mode exits non-zero:\n" + r.describe())
        self.assertRegex(r.stderr, re.compile(r"\S"), "no error message:\n" + r.describe())
        return r

    def test_core_without_python(self):
        self.command_fails(core=self.no_python.core, exe=self.no_python.exe)

    def test_mismatched_exe(self):
        self.command_fails(core=self.python.core, exe="/bin/ls")

    def test_truncated_core(self):
        self.command_fails(core=self.inputs["truncated"], exe=self.python.exe)

    def test_live_process_without_python(self):
        self.assertTrue(self.no_python.alive())
        self.command_fails(pid=self.no_python.pid)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--frontend", choices=harness.FRONTENDS, default="cli")
    args, rest = parser.parse_known_args()
    PARAMS.frontend = args.frontend
    unittest.main(argv=[sys.argv[0]] + rest,
                  defaultTest="CliErrors" if args.frontend == "cli" else "DebuggerErrors")

if __name__ == "__main__":
    main()
