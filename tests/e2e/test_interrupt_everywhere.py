"""Ctrl-C in every long step of every command (issue 21, point 1), on the core of the "big"
fixture with 4 million objects: rp, top's paths, referrers, and printing every row of `by via`
stop within a fraction of a second, whatever step they are in when Ctrl-C comes. Each command is
timed once, then interrupted at several points of that time.

    python3 test_interrupt_everywhere.py [-v]
"""

import signal
import subprocess
import time
import unittest

import harness

OBJECTS = ("--objects", "4000000")
STOP_WITHIN = 1.0  # seconds from SIGINT to exit (steps poll every few hundredths; a busy CI)
POINTS = (0.55, 0.7, 0.85)  # when to interrupt, as a fraction of the command's time


def debugger_command(frontend, t, words):
    """The command line running `words` (";" words separate heapy commands) on t's core."""
    if frontend == "cli":
        return [harness.HEAPY_CLI, "--core", t.core] + words
    lines = " ".join(words).split(" ; ")
    cmd = harness.frontend_command(frontend, lines[0].split(), core=t.core, exe=t.exe)
    option = "-ex" if frontend == "gdb" else "-o"
    at = cmd.index(option, cmd.index("heapy " + lines[0]) - 1) + 2
    for line in lines[1:]:
        cmd[at:at] = [option, "heapy " + line]
        at += 2
    return cmd


class InterruptEverywhere(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        cls.t = harness.debian_target_or_skip("big", OBJECTS)

    def run_until(self, cmd, seconds=None):
        """(exit status, seconds from SIGINT to exit, stderr); no SIGINT when seconds is None."""
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        try:
            if seconds is not None:
                time.sleep(seconds)
                sent = time.time()
                p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=harness.COMMAND_TIMEOUT)
            return p.returncode, time.time() - sent if seconds is not None else 0, err
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def check_everywhere(self, frontend, words):
        harness.skip_unless_built(frontend)
        cmd = debugger_command(frontend, self.t, words)
        t0 = time.time()
        status, _, err = self.run_until(cmd)
        whole = time.time() - t0
        self.assertEqual(status, 0, err)
        for point in POINTS:
            status, latency, err = self.run_until(cmd, whole * point)
            self.assertLess(latency, STOP_WITHIN, "%s %s: Ctrl-C at %.1f of %.1f s (status %s):\n%s"
                            % (frontend, " ".join(words), whole * point, whole, status, err))

    def test_rp(self):
        self.check_everywhere("cli", ["rp"])

    def test_top(self):
        self.check_everywhere("cli", ["top", "3"])

    def test_referrers(self):
        self.check_everywhere("cli", ["referrers"])

    def test_printing_every_row_of_by_via(self):
        self.check_everywhere("cli", ["heap", "--by", "via", ";", "all"])

    def test_rp_in_gdb(self):
        self.check_everywhere("gdb", ["rp"])

    def test_printing_every_row_in_lldb(self):
        self.check_everywhere("lldb", ["heap", "--by", "via", ";", "all"])


if __name__ == "__main__":
    unittest.main()
