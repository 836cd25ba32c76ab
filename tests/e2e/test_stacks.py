"""`heapy stacks` on the "stacks" fixture: every worker thread's frames exactly as the process's
own sys._current_frames() gave them (function, file, line, innermost first), and the main thread
ending in the module's last call, through the front end and mode given, on each interpreter.

    python3 test_stacks.py [--interp NAME] [--frontend cli|gdb|lldb] [--mode core|live] [-v]
"""

import argparse
import json
import re
import unittest

import harness

PARAMS = argparse.Namespace(interp="debian", frontend="cli", mode="core")

# The x86-64 system calls the fixture's threads wait in, with what heapy says they wait on.
# time.sleep is select() on no file (pselect6 in the kernel) before 3.11, clock_nanosleep after; restart_syscall is an interrupted
# timed wait the kernel resumes (after an earlier debugger attached, in live runs).
SYSCALLS = {202: ("futex", "lock"), 230: ("clock_nanosleep", "sleep"), 270: ("pselect6", "sleep"),
            0: ("read", "io"), 34: ("pause", "signal"), 219: ("restart_syscall", "timed")}


def read_stacks(cls):
    """Sets the test class's truth, threads (stacks --json, by thread id) and text (bt)."""
    cls.truth = cls.target.truth
    r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, cls.target, ["stacks", "--json"])
    lines = [line for line in r.stdout.splitlines() if line.startswith('{"threads"')]
    if len(lines) != 1:
        raise AssertionError("no stacks JSON:\n" + r.describe())
    cls.threads = {t["thread_id"]: t for t in json.loads(lines[0])["threads"]}
    cls.text = harness.run_heapy(PARAMS.frontend, PARAMS.mode, cls.target, ["bt"]).stdout


class Stacks(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target_or_skip("stacks", PARAMS)
        read_stacks(cls)

    def frames(self, ident):
        self.assertIn(ident, self.threads, "no thread %d in %s" % (ident, sorted(self.threads)))
        thread = self.threads[ident]
        self.assertEqual(thread["cut"], "")
        return [{k: f[k] for k in ("function", "file", "line")} for f in thread["frames"]]

    def test_workers_exact(self):
        for ident, want in self.truth["stacks"].items():
            self.assertEqual(self.frames(int(ident)), want, "thread %s" % ident)

    def test_a_frames_local_with_its_kind_size_and_retained_size(self):
        want = self.truth["payload"]
        frames = self.threads[want["thread"]]["frames"]
        innermost = next(f for f in frames if f["function"].endswith("run"))
        local = next(v for v in innermost["locals"] if v["name"] == "payload")
        self.assertEqual((local["kind"], local["size"], local["retained"]),
                         (want["kind"], want["size"], want["retained"]))
        self.assertRegex(self.text, r"\n    payload = list \(%d bytes, retains %d\)\n" % (
            want["size"], want["retained"]))

    def test_main_thread_ends_in_the_last_call(self):
        main = self.truth["main"]
        frames = self.frames(main["ident"])
        self.assertEqual(frames[-1], {"function": "<module>", "file": main["file"],
                                      "line": main["line"]})
        self.assertEqual(frames[-2]["function"], "block_forever")

    def test_thread_names_and_activity(self):
        names = {ident: t["name"] for ident, t in self.threads.items()}
        self.assertEqual(names, {int(i): n for i, n in self.truth["names"].items()})
        # Every thread waits on a lock with the GIL released.
        self.assertEqual({t["activity"] for t in self.threads.values()}, {"detached"})
        self.assertFalse(any(t["holds_gil"] for t in self.threads.values()))
        self.assertRegex(self.text, r'(?m)^Thread \d+.* "recursive", waiting ')

    def test_each_threads_system_call(self):
        for ident, number in self.truth["syscalls"].items():
            thread = self.threads[int(ident)]
            got = (thread["cpu"], thread["syscall"], thread["waits_on"])
            if PARAMS.mode == "live" and got[1] == "restart_syscall":
                continue  # a sleep an earlier attach interrupted: resumed, not what it was
            self.assertEqual(got, ("syscall",) + SYSCALLS[number], "thread %s" % ident)
        main = self.threads[self.truth["main"]["ident"]]
        self.assertEqual((main["syscall"], main["waits_on"]), ("futex", "lock"))
        self.assertRegex(self.text, r'(?m)^Thread \d+.* "recursive", waiting on a lock '
                         r'\(futex; (GIL released|detached)\):$')
        self.assertRegex(self.text, r'(?m)^Thread \d+.* "reader", waiting on I/O '
                         r'\(read; (GIL released|detached)\):$')

    def test_all_suspended_generators_and_tasks(self):
        r = harness.run_heapy(PARAMS.frontend, PARAMS.mode, self.target,
                              ["stacks", "--all", "--json"])
        lines = [line for line in r.stdout.splitlines() if line.startswith('{"threads"')]
        self.assertEqual(len(lines), 1, r.describe())
        suspended = json.loads(lines[0])["suspended"]
        want = self.truth["suspended"]

        def frames(entry):
            return [{k: f[k] for k in ("function", "file", "line")} for f in entry["frames"]]

        tasks = [s for s in suspended if s["kind"] == "Task"]
        self.assertEqual([(t["name"], frames(t)) for t in tasks],
                         [(want["task"]["name"], want["task"]["frames"])])
        self.assertTrue(tasks[0]["awaits"].startswith(want["task"]["awaits"] + " 0x"),
                        tasks[0]["awaits"])
        generators = [frames(s) for s in suspended if s["kind"] == "Generator"]
        self.assertIn([want["generator"]], generators)
        # The task's coroutines are shown once, under the task.
        self.assertEqual([s for s in suspended if s["kind"] == "Coroutine"], [])
        text = harness.run_heapy(PARAMS.frontend, PARAMS.mode, self.target,
                                 ["bt", "--all", "--locals", "0"]).stdout
        self.assertRegex(text, r'(?m)^Task 0x[0-9a-f]+ "awaiting-a-future", awaiting %s 0x'
                         % re.escape(want["task"]["awaits"]))

    def test_text_is_a_traceback(self):
        main = self.truth["main"]
        self.assertIn('  File "%s", line %d, in <module>\n' % (main["file"], main["line"]),
                      self.text)
        titles = re.findall(r"^Thread \d+.*:$", self.text, re.M)
        self.assertEqual(len(titles), len(self.threads), self.text)


class HeldGil(unittest.TestCase):
    """The main thread holds the GIL in a C call that keeps it: the stacks say so."""

    @classmethod
    def setUpClass(cls):
        cls.target = harness.target_or_skip("stacks", PARAMS, ["--hold-gil"])
        read_stacks(cls)

    def test_the_main_thread_runs_and_the_workers_wait(self):
        main = self.truth["holds_gil"]
        free_threaded = "free-threaded" in self.text
        activity = {ident: t["activity"] for ident, t in self.threads.items()
                    if not (free_threaded and ident == self.truth["gil_waiter"])}
        self.assertEqual(activity, {ident: "attached" if ident == main else "detached"
                                    for ident in activity})
        holders = [ident for ident, t in self.threads.items() if t["holds_gil"]]
        self.assertEqual(holders, [] if free_threaded else [main])
        if not free_threaded:
            self.assertIn('The GIL is held by thread %d "MainThread".\n' % main, self.text)
        # Blocked in a C call that keeps the GIL: the kernel says pause().
        self.assertRegex(self.text, r'(?m)^Thread %d .*"MainThread", waiting for a signal '
                         r'\(pause\) and (holds the GIL|attached):$' % main)

    def test_a_thread_waits_for_the_gil(self):
        if "free-threaded" in self.text:
            self.skipTest("a free-threaded build has no GIL to wait for")
        waiter = self.threads[self.truth["gil_waiter"]]
        if waiter["cpu"] == "user":
            # Between two 5 ms waits of take_gil, for a few microseconds: rare, not wrong.
            self.assertEqual(waiter["activity"], "detached")
            return
        self.assertEqual((waiter["syscall"], waiter["waits_on"]), ("futex", "gil"))
        self.assertRegex(self.text, r'(?m)^Thread \d+.* "gil-waiter", waiting for the GIL:$')

    def test_main_thread_is_in_its_last_call(self):
        main = self.truth["main"]
        frames = self.threads[main["ident"]]["frames"]
        self.assertEqual((frames[0]["function"], frames[0]["line"]), ("<module>", main["line"]))



if __name__ == "__main__":
    harness.main_for_interpreter(PARAMS, default="debian")
