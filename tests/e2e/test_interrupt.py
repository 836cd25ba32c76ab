"""Ctrl-C: a command that is interrupted stops within a fraction of a second, and the debugger
stays usable: the next heapy command runs and answers in full. `heapy _wait SECONDS` (a hidden
command for these tests) polls for an interrupt the way every long command does, so the test
controls when the interrupt lands; the front ends' plumbing (gdb's KeyboardInterrupt via
PyErr_CheckSignals, lldb's WasInterrupted, the CLI's SIGINT handler) is what is under test.

    python3 test_interrupt.py [-v]
"""

import signal
import subprocess
import time
import unittest

import harness

WAIT = 60          # what _wait is asked for: far longer than the test waits
SETTLE = 4.0       # seconds to let the debugger load the core and start the command
STOP_WITHIN = 3.0  # seconds the interrupted command may take to stop (generous for a busy CI)


class Interrupt(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.t = harness.target("shapes", "debian")
        if cls.t is None:
            raise unittest.SkipTest("no /usr/bin/python3.11")

    def need(self, frontend):
        missing = harness.missing_build_product(frontend)
        if missing:
            self.fail(missing)

    def interrupt(self, cmd, later_input=None):
        """Starts cmd, sends SIGINT after SETTLE seconds, then (if given) writes later_input to
        its standard input. Returns (output, seconds from SIGINT to exit)."""
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            if later_input is not None:
                p.stdin.write(later_input[0])
                p.stdin.flush()
            time.sleep(SETTLE)
            self.assertIsNone(p.poll(), "%s ended before the interrupt" % cmd[0])
            sent = time.time()
            p.send_signal(signal.SIGINT)
            if later_input is not None:
                time.sleep(0.5)
                p.stdin.write(later_input[1])
                p.stdin.flush()
            out, _ = p.communicate(timeout=harness.COMMAND_TIMEOUT)
            return out, time.time() - sent
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def check_next_command(self, out, frontend):
        result = harness.find_json(out)
        self.assertGreater(result["count"], 1000, "%s: the command after the interrupt:\n%s"
                           % (frontend, out[-3000:]))

    def test_cli(self):
        self.need("cli")
        cmd = [harness.HEAPY_CLI, "--core", self.t.core, "_wait", str(WAIT)]
        out, seconds = self.interrupt(cmd)
        self.assertIn("heapy: interrupted", out)
        self.assertLess(seconds, STOP_WITHIN, out)

    def test_gdb(self):
        # gdb -batch goes on with the next -ex command after one that failed.
        self.need("gdb")
        cmd = [harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
               "-ex", "source " + harness.GDB_SCRIPT, "-ex", "heapy _wait %d" % WAIT,
               "-ex", "heapy heap --json", self.t.exe, self.t.core]
        out, seconds = self.interrupt(cmd)
        self.assertIn("heapy: interrupted", out)
        self.assertLess(seconds, STOP_WITHIN + 5, out)  # includes the next command
        self.check_next_command(out, "gdb")

    def test_lldb(self):
        # lldb --batch ends at a failed command, so commands come from standard input here.
        self.need("lldb")
        cmd = [harness.LLDB, "--no-lldbinit", "-c", self.t.core, self.t.exe]
        first = "plugin load %s\n_heapy _wait %d\n" % (harness.LLDB_PLUGIN, WAIT)
        out, seconds = self.interrupt(cmd, (first, "heapy heap --json\nquit\n"))
        self.assertIn("Interrupted", out)
        self.assertLess(seconds, STOP_WITHIN + 5, out)
        self.check_next_command(out, "lldb")


if __name__ == "__main__":
    unittest.main()
