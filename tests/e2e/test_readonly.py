"""heapy never writes to the process it reads: proved on a live fixture process.

    python3 test_readonly.py [-v]

The test starts its own "shapes" fixture (no other test attaches to it), checksums every page of
its writable memory (read from /proc/PID/mem over the writable mappings of /proc/PID/maps, by
this test, not by heapy), runs every command `heapy help` lists - through gdb (one session, every
command in turn), through lldb (likewise) and through the CLI's --pid (one run per command) -
and checksums again. No page may differ.

A debugger's attach alone changes a few bytes of the target: stopping a thread interrupts the
futex wait it blocks in, and the C library's retry path then writes the thread's errno and
stack (on this machine: 3 bytes in the main thread's TLS page next to libc, sometimes a page of
another thread's stack). Those pages are measured first, with attaches that run no heapy
command (gdb and lldb attach and detach; the CLI stops the process for a command it then
rejects), after a warm-up attach of each kind; exactly those pages are excluded, and the test
prints them.
"""

import hashlib
import json
import os
import sys
import unittest

import harness

PAGE = 4096
WARMUPS = 1       # attaches of each kind before measuring (first-time paths: lazy binding)
BASELINES = 2     # measured attaches of each kind that run no heapy command
PASSES = 3        # passes of every command at most (see the test)
MIN_TABLES = 12   # partition tables one debugger session of every command prints at least


def writable_pages(pid):
    """{page address: (digest, mapping)} of every readable, writable page of pid."""
    pages = {}
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for line in maps:
            parts = line.split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            perms = parts[1]
            name = parts[5] if len(parts) > 5 else "[anonymous]"
            if "r" not in perms or "w" not in perms or name == "[vvar]":
                continue
            for page in range(start, end, PAGE):
                try:
                    mem.seek(page)
                    data = mem.read(PAGE)
                except OSError:
                    data = None
                digest = hashlib.blake2b(data, digest_size=16).digest() if data is not None else None
                pages[page] = (digest, name)
    return pages


def stack_pages(pid):
    """Pages at the stack pointers of pid's threads (blocked in system calls while idle). A
    debugger's stop interrupts those calls, and the C library's wait loops then rewrite their own
    stack frames there: the process writes them, not the debugger."""
    pages = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                fields = f.read().split()
        except OSError:
            continue
        if len(fields) >= 3 and fields[0] not in ("running", "-1"):
            sp = int(fields[-2], 16) & ~(PAGE - 1)
            pages.update(range(sp - 2 * PAGE, sp + 16 * PAGE, PAGE))
    return pages


def changed(before, after):
    return sorted(p for p in set(before) | set(after)
                  if before.get(p, (None,))[0] != after.get(p, (None,))[0])


def describe(pages, snapshot):
    return ", ".join("%#x (%s)" % (p, snapshot.get(p, (None, "unmapped now"))[1]) for p in pages)


class ReadOnly(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        missing = [m for m in (harness.missing_build_product(f) for f in harness.FRONTENDS) if m]
        if missing:
            raise unittest.SkipTest("; ".join(missing))
        exe = harness.interpreter("debian")
        if exe is None:
            raise unittest.SkipTest("no /usr/bin/python3.11")
        cls.dir = os.path.join(harness.state_dir(), "readonly")
        os.makedirs(cls.dir, exist_ok=True)
        truth = os.path.join(cls.dir, "truth.json")
        ready = truth + ".ready"
        for path in (truth, ready):
            if os.path.exists(path):
                os.unlink(path)
        cls.pid, cls.start = harness._spawn(
            [exe, os.path.join(harness.FIXTURES_DIR, "shapes.py"), truth, "--ready", ready,
             "--ttl", "900"], cls.dir)
        harness._wait_ready(cls.pid, cls.start, ready, os.path.join(cls.dir, "process.log"))
        with open(truth) as f:
            cls.truth = json.load(f)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "pid", None):
            harness.kill_group(cls.pid, cls.start)

    # -- the commands ------------------------------------------------------------------------------

    def commands(self):
        """Every command of `heapy help`, with arguments, in an order that keeps state meaningful."""
        address = next(iter(self.truth["ids"].values()))["address"]
        stat = os.path.join(self.dir, "dump.stat")
        export = os.path.join(self.dir, "export.jsonl")
        page = os.path.join(self.dir, "report.html")
        for path in (stat, export, page):
            if os.path.exists(path):
                os.unlink(path)
        return [
            "heap", "heap --by type --all", "more", "all", "by via", "by rcs", "by size",
            "by module", "by class", "by unity", "by idset", "heap", "row 0", "by id",
            "select str", "iso %s" % address, "referrers", "referents", "heapu",
            "heapu --held --json", "heapu --garbage", "setref", "heap", "setref --clear",
            "heap", "dump %s" % stat, "load %s" % stat, "diff %s" % stat, "info --json",
            "stacks", "bt --json", "stacks --all", "leaks", "leaks --by via --json",
            "where %s" % address, "heap --by prod", "top 3 --by prod", "report %s" % page,
            "_objects", "shpaths %s" % address, "rp", "heap", "dominos", "domisize",
            "top 5", "top 3 --by size --kinds", "export %s" % export, "help",
        ]

    def listed_commands(self):
        r = harness.run([harness.HEAPY_CLI, "help"])
        names = []
        listing = False
        for line in r.stdout.splitlines():
            parts = line.split()
            if line.startswith("Commands:"):
                listing = True
            elif listing and line.startswith("  ") and parts:
                names.append(parts[0])
            elif listing and not line.strip():
                listing = False
        return names

    # -- attaching ---------------------------------------------------------------------------------

    def attach(self, frontend, words_list):
        """One debugger session (gdb, lldb) running heapy WORDS for each entry, or one CLI run
        per entry; [] attaches and detaches without running a heapy command."""
        pid = str(self.pid)
        if frontend == "gdb":
            cmd = [harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off"]
            if words_list:
                cmd += ["-ex", "source " + harness.GDB_SCRIPT]
            for words in words_list:
                cmd += ["-ex", "heapy " + words]
            return [harness.run(cmd + ["-p", pid], timeout=600)]
        if frontend == "lldb":
            cmd = [harness.LLDB, "--no-lldbinit", "--batch"]
            if words_list:
                # lldb stops at the first failing -o command; a sourced file can go on.
                script = os.path.join(self.dir, "lldb-commands")
                with open(script, "w") as f:
                    f.write("".join("heapy %s\n" % words for words in words_list))
                cmd += ["-o", "plugin load " + harness.LLDB_PLUGIN,
                        "-o", "command source --stop-on-error false " + script]
            return [harness.run(cmd + ["-p", pid], timeout=600)]
        if not words_list:
            # The CLI stops the process before it looks at the command, then rejects it.
            return [harness.run([harness.HEAPY_CLI, "no-such-command", "--pid", pid])]
        return [harness.run([harness.HEAPY_CLI] + words.split() + ["--pid", pid])
                for words in words_list if not words.startswith(("more", "all", "row", "by ",
                                                                  "select", "referrers",
                                                                  "referents", "load", "diff",
                                                                  "dump", "setref", "help"))]

    def left_running(self, what):
        t = harness.Target({"key": "readonly", "fixture": "shapes", "interp": "debian",
                            "exe": None, "pid": self.pid, "start_time": self.start,
                            "core": None, "dir": self.dir})
        harness.check_left_running(t, what)

    # -- the test ----------------------------------------------------------------------------------

    def test_every_command_leaves_writable_memory_unchanged(self):
        listed = self.listed_commands()
        covered = {c.split()[0] for c in self.commands()}
        self.assertTrue(listed, "heapy help listed no commands")
        self.assertFalse(set(listed) - covered, "commands of `heapy help` this test does not run: %s"
                         % sorted(set(listed) - covered))

        # What attaching alone changes.
        for _ in range(WARMUPS):
            for frontend in harness.FRONTENDS:
                self.attach(frontend, [])
                self.left_running("%s attach" % frontend)
        excluded = {}
        for _ in range(BASELINES):
            for frontend in harness.FRONTENDS:
                before = writable_pages(self.pid)
                self.attach(frontend, [])
                self.left_running("%s attach" % frontend)
                after = writable_pages(self.pid)
                for p in changed(before, after):
                    excluded.setdefault(p, set()).add(frontend)
        snapshot = writable_pages(self.pid)
        print("\nreadonly: %d writable pages (%d MiB); a plain attach changed %d: %s" % (
            len(snapshot), len(snapshot) * PAGE >> 20, len(excluded),
            "; ".join("%#x %s by %s" % (p, snapshot.get(p, (0, "?"))[1], "/".join(sorted(f)))
                      for p, f in sorted(excluded.items())) or "none"), file=sys.stderr)

        # Every command, from every front end. A debugger's stop interrupts the process's blocked
        # threads, and their wait loops may then write a page of their own (a stack, a lock): such
        # pages differ from pass to pass, while a write by heapy would recur in every pass. So a
        # pass with changes is repeated, and only pages changed in every pass fail the test.
        commands = self.commands()
        failures = []
        ran = 0
        tables = {}
        suspects = None
        for attempt in range(PASSES):
            before = writable_pages(self.pid)
            for frontend in harness.FRONTENDS:
                for r in self.attach(frontend, commands):
                    ran += 1
                    tables[frontend] = tables.get(frontend, 0) + (r.stdout + r.stderr).count(
                        "Partition of a set of")
                    self.assertIsInstance(r.rc, int, "%s hung:\n%s" % (frontend, r.describe()))
                    out = r.stdout + r.stderr
                    if "Traceback (most recent call last)" in out or r.rc not in (0, 1, 2):
                        failures.append(r.describe())
                    elif frontend != "cli" and out.count("Partition of a set of") < MIN_TABLES:
                        failures.append(
                            "%s printed fewer than %d tables: did every command run?\n%s"
                            % (frontend, MIN_TABLES, r.describe(limit=20000)))
                self.left_running("heapy through %s" % frontend)
            after = writable_pages(self.pid)
            stacks = stack_pages(self.pid)
            written = {p for p in changed(before, after) if p not in excluded and p not in stacks}
            suspects = written if suspects is None else suspects & written
            print("readonly: pass %d: %d debugger sessions and CLI runs of %d commands (tables "
                  "printed: %s); %d pages changed, %d outside the pages attaching alone and the "
                  "threads' stacks change: %s" % (
                      attempt + 1, ran, len(commands),
                      ", ".join("%s %d" % kv for kv in sorted(tables.items())),
                      len(changed(before, after)), len(written),
                      describe(sorted(written), after) or "none"), file=sys.stderr)
            if not suspects:
                break
        self.assertEqual(sorted(suspects), [], "heapy changed the target's memory at %s, in "
                         "every one of %d passes" % (describe(sorted(suspects), after), PASSES))
        self.assertEqual(failures, [], "front ends crashed:\n" + "\n".join(failures))


if __name__ == "__main__":
    unittest.main()
