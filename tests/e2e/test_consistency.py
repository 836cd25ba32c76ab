"""The same heap seen six ways must give the same answer: `heapy heap --json` through the CLI,
gdb and lldb, on the core and on the live process (which has not run a single bytecode since its
core was taken), must print identical JSON.

    python3 test_consistency.py --interp debian|pyenv|py3.X [-v]
"""

import argparse
import unittest

import harness

PARAMS = argparse.Namespace(interp="debian")


class Consistency(unittest.TestCase):
    maxDiff = None

    def test_all_front_ends_and_modes_agree(self):
        t = harness.target("shapes", PARAMS.interp)
        results = {}
        failures = []
        for frontend in harness.FRONTENDS:
            missing = harness.missing_build_product(frontend)
            if missing:
                failures.append(missing)
                continue
            for mode in harness.MODES:
                r = harness.run_heapy(frontend, mode, t, ["heap", "--json"])
                try:
                    if r.rc != 0:
                        raise ValueError("exit status %s" % r.rc)
                    results[(frontend, mode)] = harness.find_json(r.stdout)
                except ValueError as e:
                    failures.append("%s %s: %s\n%s" % (frontend, mode, e, r.describe(1000)))
        reference = results.get(("cli", "core"))
        for key, result in sorted(results.items()):
            if reference is not None and result != reference:
                failures.append("%s %s differs from cli core:\n%s" % (
                    key[0], key[1], describe_difference(reference, result)))
        if failures:
            self.fail("\n\n".join(failures))


def describe_difference(a, b):
    lines = ["  %s: %r vs %r" % (f, a.get(f), b.get(f))
             for f in ("count", "size", "classifier") if a.get(f) != b.get(f)]
    kinds_a, kinds_b = {}, {}
    for result, kinds in ((a, kinds_a), (b, kinds_b)):
        for r in result.get("rows", []):
            kinds.setdefault(r["kind"], []).append((r["count"], r["size"]))
    for kind in sorted(set(kinds_a) | set(kinds_b)):
        if kinds_a.get(kind) != kinds_b.get(kind):
            lines.append("  %-40s %s vs %s" % (kind, kinds_a.get(kind), kinds_b.get(kind)))
    if not lines:
        lines.append("  same rows in a different order")
    return "\n".join(lines[:40])


def main():
    harness.main_for_interpreter(PARAMS)


if __name__ == "__main__":
    main()
