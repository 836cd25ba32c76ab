"""heapy against the oracle: every object of a process that uses the whole standard library.

    python3 test_oracle.py --interp debian|pyenv|py3.X [-v]

tests/fixtures/stdlib_oracle.py runs under the interpreter, imports every C extension module of
the standard library, makes objects of their C types and small real workloads, and records, for
every object it can reach, id, type, sys.getsizeof and gc.get_referents (TRUTH.oracle.jsonl).
Its core is taken with gcore, `heapy --core CORE --exe EXE export FILE.jsonl --unreachable`
writes heapy's graph (heapu's objects too: a phantom there is as wrong), and tests/e2e/oracle.py compares them object by object. The whole per-type table is
printed (phantoms, type mismatches, missing objects, objects with missing referents, size
differences), with where heapy loses objects and examples of every nonzero cell; the test fails
on every nonzero cell that KNOWN below does not list, with a reason, for this version.

By hand, on a core the suite made (HEAPY_E2E_KEEP=1 keeps it):
    python3 tests/e2e/oracle.py STATE/stdlib_oracle-debian/truth.json.oracle.jsonl EXPORT.jsonl \\
        --truth STATE/stdlib_oracle-debian/truth.json
"""

import argparse
import json
import os
import sys
import time
import unittest

import harness
import oracle

PARAMS = argparse.Namespace(interp="debian")
EXPORT_TIMEOUT = 180

# Differences that cannot be fixed, per (first version, last version, type, category): reason.
# Categories: phantoms, type_mismatch, missing, missing_referents, size (oracle.CATEGORIES).
# Not a place to park what heapy has not done yet: only what no post-mortem tool can do (e.g. a
# type whose __sizeof__ is Python code: heapy cannot run it). The fixture lists such types in
# truth["counts"]["python_sizeof_types"] (none in the standard library so far).
KNOWN = [
    ((3, 9), (3, 99), "builtins.cython_function_or_method", "missing_referents",
     "a third-party C type heapy has no recipe for (Cython's function, in Debian's numpy): its "
     "words are taken for references only with evidence, so an edge may be refused, never "
     "invented (README: unknown C types)"),
    ((3, 9), (3, 99), "module", "missing_referents",
     "a module whose m_traverse visits C static variables rather than its state (_tkinter's "
     "Tkinter_TclError, Tkapp_Type...): heapy reads a module's state (md_state) and the recipes "
     "of c-types/ only; the objects are found through the module's dict, not as its referents"),
]

# Root edges of heapy whose objects the oracle cannot prove exist, though they do: fields of the
# interpreter's state that no Python code reaches, filled at start-up before the fixture's
# tracing begins (the errno map, 3.10+; the perf trampoline's code object and its names, 3.12).
# What only they hold is counted as neither phantom nor object (see oracle.compare). guppy's
# root does not walk them (HEAPY.md 4.2); heapy does, as they are the process's memory.
UNPROVABLE_ROOTS = ("i0_exc_state_errnomap", "i0_interpreter_trampoline")


def known_cells(version, report):
    """{(type, category): reason} of KNOWN entries that apply to this version and report."""
    found = {}
    for first, last, type_name, category, reason in KNOWN:
        if first <= version <= last and type_name in report.rows and \
                report.rows[type_name][category]:
            found[(type_name, category)] = reason
    return found


class OracleTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.missing_build = harness.missing_build_product("cli")
        t0 = time.time()
        cls.target = harness.target("stdlib_oracle", PARAMS.interp)
        cls.fixture_seconds = time.time() - t0
        cls.truth = cls.target.truth
        cls.where = "stdlib_oracle.py under %s python %s (core %s)" % (
            PARAMS.interp, cls.truth["python"]["version"].split()[0], cls.target.core)
        hexversion = cls.truth["python"]["hexversion"]
        cls.version = ((hexversion >> 24) & 0xff, (hexversion >> 16) & 0xff)
        cls.report = cls.export_problem = None
        cls.export_seconds = cls.compare_seconds = 0.0
        if cls.missing_build:
            return
        help_run = harness.run([harness.HEAPY_CLI, "help", "export"])
        if help_run.rc != 0:
            cls.export_problem = ("heapy has no 'export' command yet (heapy help export: %s)"
                                  % (help_run.stdout + help_run.stderr).strip().splitlines()[0])
            return
        out = os.path.join(cls.target.dir, "heapy-export.jsonl")
        with harness.locked("export-" + cls.target.key):
            t0 = time.time()
            if os.path.exists(out):
                os.unlink(out)
            run = harness.run(harness.frontend_command(
                "cli", ["export", out, "--unreachable"], core=cls.target.core, exe=cls.target.exe),
                timeout=EXPORT_TIMEOUT)
            cls.export_seconds = time.time() - t0
            if run.rc != 0 or not os.path.exists(out):
                cls.export_problem = "heapy export failed:\n" + run.describe()
                return
            cls.export_stderr = run.stderr
            t0 = time.time()
            cls.report = oracle.compare(oracle.Oracle.load(cls.truth["oracle_path"]),
                                        oracle.Export.load(out), examples=3, truth=cls.truth,
                                        unprovable_roots=UNPROVABLE_ROOTS)
            cls.compare_seconds = time.time() - t0

    def require_report(self):
        if self.missing_build:
            self.fail(self.missing_build)
        if self.export_problem:
            self.fail("%s (%s)" % (self.export_problem, self.where))

    def test_fixture_recorded_cleanly(self):
        """The fixture built every section, and its recording was stable and left nothing."""
        truth = self.truth
        problems = []
        if truth["build_errors"]:
            problems.append("sections that failed: %s" % json.dumps(truth["build_errors"], indent=1))
        if truth["counts"]["unstable_ids"]:
            problems.append("%d ids differ between the two passes of the recording"
                            % truth["counts"]["unstable_ids"])
        if truth["leftovers_after_recording"]:
            problems.append("objects the recording left behind: %r"
                            % truth["leftovers_after_recording"])
        wished = {"_elementtree", "array", "_io", "_struct", "_ctypes", "_sqlite3", "_datetime",
                  "_decimal", "_socket", "_ssl", "_sre", "_json", "_pickle", "_asyncio",
                  "_queue", "_contextvars", "select", "mmap", "zlib", "_csv", "_random",
                  "pyexpat"}
        lacking = sorted(wished - set(truth["modules"]["imported"]))
        if lacking:
            problems.append("modules this interpreter lacks: %s (%s)" % (
                ", ".join(lacking), "; ".join("%s: %s" % (m, truth["modules"]["missing"].get(m))
                                               for m in lacking)))
        if problems:
            self.fail("stdlib_oracle.py under %s:\n  %s" % (PARAMS.interp, "\n  ".join(problems)))

    def test_heapy_matches_oracle(self):
        """Every object, its size and its referents as the process said (KNOWN aside)."""
        self.require_report()
        report = self.report
        known = known_cells(self.version, report)
        title = ("heapy export vs the oracle: %s\n  fixture %.1fs (recording %s), export %.1fs, "
                 "comparison %.1fs" % (self.where, self.fixture_seconds,
                                      self.truth["counts"]["seconds"], self.export_seconds,
                                      self.compare_seconds))
        print()
        print(format_everything(report, known, self.truth, title))
        sys.stdout.flush()
        unexplained = {cell: n for cell, n in report.differences().items() if cell not in known}
        if unexplained:
            by_category = {}
            for (type_name, category), n in unexplained.items():
                by_category.setdefault(category, []).append((n, type_name))
            lines = []
            for category in oracle.CATEGORIES:
                cells = sorted(by_category.get(category, []), reverse=True)
                if cells:
                    lines.append("%s: %d objects of %d types, most: %s" % (
                        oracle.DESCRIPTIONS[category], sum(n for n, _ in cells), len(cells),
                        ", ".join("%s %d" % (t, n) for n, t in cells[:8])))
            self.fail("heapy differs from the oracle (%s); the table and examples are printed "
                      "above:\n  %s" % (self.where, "\n  ".join(lines)))

    def test_held_only_by_c_objects(self):
        """Objects that only a C object holds (an Element's text, a deque's item...) are found."""
        self.require_report()
        lost = [h for h in self.report.c_held if not h["found"]]
        if lost:
            self.fail("objects held only by a C object that heapy does not find (%s):\n  %s" % (
                self.where, "\n  ".join("%s (holder %s %s)" % (
                    h["label"], h["holder_type"],
                    "found but not followed" if h["holder_found"] else "not found either")
                    for h in lost)))

    def test_healthy_core_has_nothing_unreadable(self):
        """A healthy core of a program using the whole standard library (and, under Debian's
        python3.11, numpy, lxml, yaml, msgpack and the other C extensions of
        build_third_party) has no 'could not be read' line: a false corruption warning teaches users to
        ignore the real one."""
        if self.missing_build:
            self.fail(self.missing_build)
        run = harness.run(harness.frontend_command("cli", ["heap"], core=self.target.core,
                                                   exe=self.target.exe), timeout=EXPORT_TIMEOUT)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertNotIn("could not be read", run.stdout, "%s:\n%s" % (self.where, run.stdout))

    def test_guppy3_bytype(self):
        """Where guppy3 is built for this Python (GUPPY3_PATH, else /opt/guppy3-3.11; never in
        the repository), the fixture runs hp.heap().bytype just before its recording and heapy's
        `heap --by type --all` of the core is compared with it row by row. The differences are
        printed, not failed on (yet); without guppy3 nothing is said."""
        path = guppy3_path(self.version)
        if path is None or self.missing_build:
            return
        target = harness.target("stdlib_oracle", PARAMS.interp, args=("--guppy", path))
        found = target.truth.get("guppy") or {}
        if "rows" not in found:
            print("\nguppy3 at %s did not run in the fixture: %s" % (path, found.get("error")))
            return
        run = harness.run(harness.frontend_command(
            "cli", ["heap", "--by", "type", "--all", "--json"], core=target.core, exe=target.exe),
            timeout=EXPORT_TIMEOUT)
        if run.rc != 0:
            print("\nheapy heap --by type failed on the guppy3 fixture's core:\n" + run.describe())
            return
        print()
        print(compare_with_guppy(found, harness.find_json(run.stdout), PARAMS.interp))


def guppy3_path(version):
    """A guppy3 tree built in place for Python `version` ((3, 11)), or None."""
    import glob
    for path in (os.environ.get("GUPPY3_PATH"), "/opt/guppy3-%d.%d" % version):
        if path and glob.glob(os.path.join(path, "guppy", "heapy",
                                           "heapyc.cpython-%d%d-*.so" % version)):
            return path
    return None


def compare_with_guppy(guppy, heapy, interp, rows=40):
    """Text: guppy3's rows against heapy's --by type rows, the largest differences first."""
    theirs = guppy["rows"]
    ours = {row["kind"]: [row["count"], row["size"]] for row in heapy["rows"]}
    differing = []
    for kind in set(theirs) | set(ours):
        g, h = theirs.get(kind, [0, 0]), ours.get(kind, [0, 0])
        if g != h:
            differing.append((kind, g, h))
    differing.sort(key=lambda d: (-abs(d[2][0] - d[1][0]), -abs(d[2][1] - d[1][1]), d[0]))
    lines = ["guppy3 hp.heap().bytype (run in the fixture just before its recording, %.1fs) vs "
             "heapy heap --by type --all of the core, %s:" % (guppy["seconds"], interp),
             "  guppy3 %d objects, %d bytes; heapy %d objects, %d bytes; %d of %d types differ "
             "(not a failure: guppy3 counts its own session, materialises dicts and frames, and "
             "sees the heap a moment earlier)" % (
                 guppy["count"], guppy["size"], heapy["count"], heapy["size"], len(differing),
                 len(set(theirs) | set(ours))),
             "  %-50s %9s %9s %7s %11s %11s %9s" % ("type", "guppy3", "heapy", "diff",
                                                 "guppy3 B", "heapy B", "diff B")]
    for kind, g, h in differing[:rows]:
        lines.append("  %-50s %9d %9d %+7d %11d %11d %+9d" % (
            kind[:50], g[0], h[0], h[0] - g[0], g[1], h[1], h[1] - g[1]))
    if len(differing) > rows:
        lines.append("  (%d more types differ)" % (len(differing) - rows))
    return "\n".join(lines)


def format_everything(report, known, truth, title):
    lines = [oracle.format_report(report, skip=set(known), title=title)]
    if known:
        lines.append("")
        lines.append("Known differences (KNOWN table):")
        for (type_name, category), reason in sorted(known.items()):
            lines.append("  %s / %s: %s" % (type_name, category, reason))
    uncovered = []
    for module, types in sorted(truth.get("types_by_module", {}).items()):
        names = [name for name, n in sorted(types.items()) if not n]
        if names:
            uncovered.append("  %s: %s" % (module, ", ".join(names)))
    if uncovered:
        lines.append("")
        lines.append("Public C types with no instance in this heap (the fixture does not cover them):")
        lines.extend(uncovered)
    notes = truth.get("peek", {}).get("notes")
    if notes:
        lines.append("")
        lines.append("Oracle readers: %s" % json.dumps(notes, sort_keys=True))
    return "\n".join(lines)


def main():
    harness.main_for_interpreter(PARAMS)


if __name__ == "__main__":
    main()
