"""`heapy setref` on the live "queries" fixture process, through one front end:

    python3 test_queries_live.py --frontend cli|gdb|lldb [-v]

A reference point lives only as long as the session that set it, and a process held by a
debugger does not run. So in gdb and lldb one session sets the reference point, checks that
`heap` is now empty, writes a byte to the fixture's FIFO and continues the process: the fixture
makes one batch of new objects (truth["setref"]["rows"]) and raises SIGINT, on which the
debugger stops; `heap` must then show exactly that batch, and after `setref --clear` the whole
heap again. The CLI holds the process stopped for a whole chain, so there `setref ; heap` must
be empty and `setref --clear ; heap` whole.
"""

import argparse
import shlex
import sys
import unittest

import harness
from test_queries import Groups, json_line, rows_of

PARAMS = argparse.Namespace(frontend="cli")


class SetrefLive(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built(PARAMS.frontend)
        cls.target = harness.target("queries", "debian")
        if cls.target is None:
            raise unittest.SkipTest("no %s" % harness.DEBIAN_PYTHON)
        cls.setref = cls.target.truth["setref"]
        cls.where = "%s on the live queries.py process %d" % (PARAMS.frontend, cls.target.pid)

    def run_steps(self, *steps):
        g = Groups()
        g.add("live", *steps)
        r, _, outputs = g.run(PARAMS.frontend, self.target, mode="live")["live"]
        if outputs is None or (PARAMS.frontend == "cli" and r.rc != 0):
            self.fail("the session's output does not have one part per command (%s):\n%s"
                      % (self.where, r.describe(20000)))
        return r, [json_line(o) if s.endswith("--json") else o for s, o in zip(steps, outputs)]

    def test_setref(self):
        fifo = self.setref["fifo"]
        if PARAMS.frontend == "cli":
            r, out = self.run_steps("heap --json", "setref", "heap --json", "heapu --json",
                                    "setref --clear", "heap --json")
            self.assertEqual((out[2]["count"], out[2]["rows"]), (0, []),
                             "nothing is new in a process that did not run (%s)" % self.where)
            self.assertEqual((out[3]["count"], out[3]["rows"]), (0, []), "heapu after setref")
            self.assertEqual(out[5], out[0], "setref --clear: the whole heap again")
            return
        trigger = {"gdb": "!shell printf x > %s" % shlex.quote(fifo),
                   "lldb": "!script open(%r, 'w').write('x')" % fifo}[PARAMS.frontend]
        resume = {"gdb": "!continue", "lldb": "!process continue"}[PARAMS.frontend]
        r, out = self.run_steps("setref", "heap --json", trigger, resume, "heap --json",
                                "heap --by type --json", "setref --clear", "heap --json")
        self.assertIn("SIGINT", out[3], "the process stops on the fixture's signal:\n%s"
                      % r.describe())
        self.assertEqual((out[1]["count"], out[1]["rows"]), (0, []),
                         "heap right after setref (%s)" % self.where)
        self.assertEqual(rows_of(out[4]), self.setref["rows"],
                         "heap after setref and one batch (%s)" % self.where)
        self.assertEqual(out[4]["count"], sum(self.setref["rows"].values()))
        self.assertEqual(out[5]["count"], out[4]["count"])
        self.assertGreater(out[7]["count"], 10 * out[4]["count"], "setref --clear")


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--frontend", choices=harness.FRONTENDS, default="cli")
    args, rest = parser.parse_known_args()
    vars(PARAMS).update(vars(args))
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
