"""JSON and pipes (issue 21, point 13): heapu --json has the garbage/held split its text gives,
more --json gives each row its index, setref and dump take --json, and a reader that closes the
pipe (`heapy ... | head`) ends the standalone command quietly.

    python3 test_json_pipes.py [-v]
"""

import json
import os
import re
import subprocess
import tempfile
import unittest

import harness
from test_queries import run_live

NOTE = re.compile(r"^(\d+) objects? \((\d+) bytes\) (?:is|are) cyclic garbage .*;\n"
                  r"(\d+) objects? \((\d+) bytes\) (?:is|are) held from outside", re.M)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


class JsonAndPipes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        cls.t = harness.debian_target_or_skip("queries")

    def cli(self, *words):
        r = harness.run_heapy("cli", "core", self.t, list(words))
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def test_heapu_json_has_the_split(self):
        text, result = self.cli("heapu", ";", "heapu", "--json").stdout.split('\n{"count"')
        result = json.loads('{"count"' + result)
        note = [int(x) for x in NOTE.search(text).groups()]
        self.assertEqual([result["garbage"]["count"], result["garbage"]["size"],
                          result["held"]["count"], result["held"]["size"]], note)
        self.assertEqual(result["count"], note[0] + note[2])

    def test_more_json_rows_carry_their_index(self):
        heap, page = json_lines(self.cli("heap", "--json", ";", "more", "--json").stdout)
        self.assertEqual([r["index"] for r in page["rows"]], list(range(10, 20)))
        self.assertEqual([{k: r[k] for k in ("kind", "count", "size")} for r in page["rows"]],
                         heap["rows"][10:20])
        (by_id,) = json_lines(self.cli("heap", ";", "row", "0", ";", "by", "id", ";", "more",
                                       "--json").stdout)
        self.assertEqual(by_id["rows"][0]["index"], 10)

    def test_dump_json(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "heap.stat")
            heap, dump = json_lines(self.cli("heap", "--json", ";", "dump", path, "--json").stdout)
            self.assertEqual(dump, {"file": path, "rows": len(heap["rows"]),
                                    "count": heap["count"], "size": heap["size"]})

    def test_setref_json(self):
        cmd = harness.frontend_command("cli", ["setref", "--json", ";", "setref", "--clear",
                                               "--json"], pid=self.t.pid)
        r = run_live(self.t, cmd)
        self.assertEqual(r.rc, 0, r.describe())
        point, cleared = json_lines(r.stdout)
        self.assertGreater(point["reference_point"], 1000)
        self.assertEqual(cleared, {"reference_point": None})

    def test_a_closed_pipe_ends_it_quietly(self):
        heapy = subprocess.Popen([harness.HEAPY_CLI, "--core", self.t.core, "heap", "--by", "id",
                                  "--all"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        head = subprocess.run(["head", "-1"], stdin=heapy.stdout, capture_output=True, text=True)
        heapy.stdout.close()
        err = heapy.stderr.read().decode()
        heapy.stderr.close()
        status = heapy.wait(timeout=harness.COMMAND_TIMEOUT)
        self.assertRegex(head.stdout, r"^Set of \d+ <mixed> objects")
        self.assertEqual(err, "", "nothing on stderr when the reader closes the pipe")
        self.assertEqual(status, 141, "the status of a tool killed by SIGPIPE")


if __name__ == "__main__":
    unittest.main()
