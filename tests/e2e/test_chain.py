"""A 10-million-long linked list (tests/fixtures/chain.py): the walk, the dominator tree and the
path search must not recurse on data-controlled depth. Through the CLI on the core: every link
is counted, the head retains the whole chain (domisize), the tail's only referrer is the link
before it, and the path to the second link is found. Not timed (scripts/bench measures speed).

    python3 test_chain.py [-v]
"""

import unittest

import harness

LENGTH = 10_000_000
ARGS = ("--length", str(LENGTH))
TIMEOUT = 600


class Chain(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        missing = harness.missing_build_product("cli")
        if missing:
            raise AssertionError(missing)
        cls.t = harness.debian_target_or_skip("chain", ARGS)
        cls.truth = cls.t.truth

    def heapy(self, words):
        r = harness.run_heapy("cli", "core", self.t, words, timeout=TIMEOUT)
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def test_every_link_and_the_head_retains_them(self):
        self.assertEqual(self.truth["length"], LENGTH)
        head = self.truth["ids"]["head"]["address"]
        r = self.heapy(["heap", "--json", ";", "iso", head, ";", "domisize", "--json"])
        rows = {row["kind"]: row for row in harness.find_json(r.stdout)["rows"]}
        self.assertEqual(rows["__main__.Link"]["count"], LENGTH, r.describe())
        self.assertEqual(rows["__main__.Link"]["size"], LENGTH * self.truth["link_size"])
        retained = [l for l in r.stdout.splitlines() if l.startswith('{"domisize"')]
        self.assertEqual(len(retained), 1, r.describe())
        self.assertIn('"domisize": %d' % (LENGTH * self.truth["link_size"]), retained[0])

    def test_the_tail_and_its_referrer(self):
        tail = self.truth["ids"]["tail"]["address"]
        r = self.heapy(["iso", tail, "--json", ";", "referrers", "--json"])
        lines = [l for l in r.stdout.splitlines() if l.startswith('{"count"')]
        self.assertEqual(len(lines), 2, r.describe())
        self.assertIn('"kind": "__main__.Link", "count": 1', lines[1], r.describe())

    def test_path_to_the_second_link(self):
        head = self.truth["ids"]["head"]["address"]
        r = self.heapy(["iso", head, ";", "referents", ";", "select", "__main__.Link", ";", "sp",
                        "--json"])
        self.assertIn("hp.Root.i0_modules['__main__'].__dict__['head'].next", r.stdout,
                      r.describe())


if __name__ == "__main__":
    unittest.main()
