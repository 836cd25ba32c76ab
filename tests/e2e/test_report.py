"""`heapy report FILE.html` (issue 19): the page opened in headless Chromium (Debian's chromium)
shows no console error, its chart's top box is the root with the heap's whole retained size,
clicking a box zooms into it; its sizes equal `heapy domisize` and `top --json` on the same core;
--diff equals `heapy diff`; gdb and lldb write the same page; bad input fails with one line.
Screenshots and pages are kept in BUILD_DIR/tests/e2e/report/ as artefacts.

    python3 test_report.py [-v]
"""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

ARTEFACTS = os.path.join(harness.BUILD_DIR, "tests", "e2e", "report")
BROWSER_TIMEOUT = 90
BIG_OBJECTS = "1000000"


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser(*args):
    """Runs headless Chromium with a throwaway profile; returns its standard output."""
    with tempfile.TemporaryDirectory(prefix="heapy-chromium-") as profile:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
               "--window-size=1280,1600"]
        r = harness.run(cmd + list(args), timeout=BROWSER_TIMEOUT)
    if r.rc != 0:
        raise AssertionError("chromium failed:\n" + r.describe())
    return r


def page_data(path):
    """The JSON the page carries in #heapy-data."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'<script type="application/json" id="heapy-data">(.*?)</script>', text, re.S)
    assert m, "no #heapy-data in " + path
    return json.loads(m.group(1))


def selftest(path):
    """What the page reports about itself after a simulated click (report.js, ?selftest)."""
    r = browser("--dump-dom", "file://%s?selftest" % path)
    m = re.search(r'<pre id="heapy-selftest">(.*?)</pre>', r.stdout, re.S)
    if not m:
        raise AssertionError("the page's script did not finish (no #heapy-selftest):\n"
                             + r.describe(6000))
    return json.loads(html.unescape(m.group(1)))


def json_lines(text, prefix):
    return [json.loads(l) for l in text.splitlines() if l.startswith(prefix)]


class Report(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        if not chromium():
            raise unittest.SkipTest("chromium is not installed (scripts/setup-deps)")
        os.makedirs(ARTEFACTS, exist_ok=True)
        cls.target = harness.debian_target_or_skip("stacks")
        cls.page = os.path.join(ARTEFACTS, "stacks.html")
        if os.path.exists(cls.page):
            os.remove(cls.page)
        cls.written = harness.run_heapy("cli", "core", cls.target, ["report", cls.page, "--json"])
        cls.data = page_data(cls.page) if os.path.exists(cls.page) else None

    def heapy(self, words, t=None):
        r = harness.run_heapy("cli", "core", t or self.target, words)
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def test_written(self):
        self.assertEqual(self.written.rc, 0, self.written.describe())
        out = json.loads(self.written.stdout)
        self.assertEqual(out["file"], self.page)
        self.assertEqual(out["bytes"], os.path.getsize(self.page))
        with open(self.page, encoding="utf-8") as f:
            text = f.read()
        # Self-contained: nothing fetched from anywhere.
        self.assertNotRegex(text, r'<script[^>]* src=|<link[^>]* href=|https?://[^"\s]*\.(js|css)\b')
        self.assertIn("d3-hierarchy", text)
        self.assertIn("Redistribution and use in source and binary forms", text)  # its licence

    def test_sizes_equal_domisize_and_top(self):
        r = self.heapy(["heap", "--json", ";", "domisize", "--json", ";", "top", "--json"])
        domisize = json_lines(r.stdout, '{"domisize"')[0]
        top = json_lines(r.stdout, '{"total"')[0]
        header, root = self.data["header"], self.data["tree"]["boxes"][0]
        self.assertEqual(header["retained"], domisize["domisize"])
        self.assertEqual(header["objects"], domisize["count"])
        self.assertEqual(root[5], domisize["domisize"])  # the chart's root box
        self.assertEqual(top["total"], header["retained"])
        self.assertEqual([(r["address"], r["retained"], r["path"]) for r in self.data["top"]],
                         [(r["address"], r["retained"], r["path"]) for r in top["rows"]])

    def test_partitions_equal_heap(self):
        for by, part in zip(("clodo", "type"), self.data["partitions"]):
            r = self.heapy(["heap", "--by", by, "--json"])
            heap = json_lines(r.stdout, '{"count"')[0]
            self.assertEqual((part["count"], part["size"]), (heap["count"], heap["size"]), by)
            self.assertEqual([tuple(row) for row in part["rows"]],
                             [(row["kind"], row["count"], row["size"]) for row in heap["rows"]], by)

    def test_unreachable_equals_heapu(self):
        heapu = json_lines(self.heapy(["heapu", "--json"]).stdout, '{"count"')[0]
        for part in ("garbage", "held"):
            page = self.data["unreachable"][part]
            self.assertEqual((page["count"], page["size"]),
                             (heapu[part]["count"], heapu[part]["size"]), part)
        held = json_lines(self.heapy(["heapu", "--held", "--json"]).stdout, '{"count"')[0]
        self.assertEqual([tuple(r) for r in self.data["unreachable"]["held"]["rows"]],
                         [(r["kind"], r["count"], r["size"]) for r in held["rows"]][:20])

    def test_tree_adds_up(self):
        boxes = self.data["tree"]["boxes"]
        inside = [0] * len(boxes)
        for box in boxes[1:]:
            parent, retained = box[0], box[5]
            self.assertGreaterEqual(parent, 0)
            inside[parent] += retained
            self.assertEqual(len(box), 8 if box[3] == 1 and box[1] >= 0 else 7, box)
        for i, box in enumerate(boxes):
            self.assertGreaterEqual(box[5], inside[i], "box %d retains less than its children" % i)
            if inside[i]:  # expanded: its children and its own objects make its retained size
                self.assertEqual(box[5], inside[i] + box[4], "box %d" % i)

    def test_stacks_and_locals(self):
        truth = self.target.truth["payload"]
        thread = next(t for t in self.data["stacks"] if t["thread_id"] == truth["thread"])
        innermost = next(f for f in thread["frames"] if f["function"].endswith("run"))
        local = next(l for l in innermost["locals"] if l[0] == "payload")
        self.assertEqual(local[1:], [truth["kind"], truth["size"], truth["retained"]])

    def test_in_the_browser(self):
        result = selftest(self.page)
        self.assertEqual(result["errors"], [])
        root = self.data["tree"]["boxes"][0]
        self.assertEqual(result["top"]["box"], 0)
        self.assertTrue(result["top"]["text"].startswith("root "), result)
        self.assertEqual(result["top"]["retained"], root[5])
        self.assertEqual(result["topRows"], [[r["address"], r["retained"]] for r in self.data["top"]])
        # The click zoomed: the box clicked is now the top box, the chart's whole width, and the
        # breadcrumb leads back to the root.
        clicked = result["clicked"]
        self.assertEqual(result["after"]["box"], clicked)
        self.assertEqual(result["after"]["retained"], self.data["tree"]["boxes"][clicked][5])
        self.assertEqual(result["after"]["left"], "0px")
        self.assertTrue(result["after"]["breadcrumb"].startswith("root \u203a "), result)
        # A click on the Objects header of the table under the chart sorts it by that column.
        objects = result["sortedObjects"]
        self.assertGreater(len(objects), 1, result)
        self.assertEqual(objects, sorted(objects, reverse=True))
        print("\nstacks page: %d bytes, interactive after %d ms" % (
            os.path.getsize(self.page), result["readyMs"]))
        shot = os.path.join(ARTEFACTS, "stacks.png")
        browser("--screenshot=" + shot, "file://%s#box=%d" % (self.page, clicked))
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_diff(self):
        shapes = harness.debian_target_or_skip("shapes")
        old = os.path.join(ARTEFACTS, "shapes.stat")
        if os.path.exists(old):
            os.remove(old)
        self.heapy(["heap", ";", "dump", old], t=shapes)
        page = os.path.join(ARTEFACTS, "diff.html")
        self.heapy(["report", page, "--diff", old])
        diff = page_data(page)["diff"]
        want = json_lines(self.heapy(["diff", old, "--json"]).stdout, '{"count"')[0]
        rows = [tuple(r) for r in diff["rows"]]
        want_rows = [(r["kind"], r["count"], r["size"]) for r in want["rows"]]
        self.assertTrue(rows == want_rows, "%d rows, heapy diff has %d; first: %s, %s" % (
            len(rows), len(want_rows), rows[:3], want_rows[:3]))
        self.assertEqual(diff["size"] - diff["old_size"], want["size"])
        self.assertEqual(selftest(page)["errors"], [])

    def test_bad_input_is_one_line(self):
        bad_stat = os.path.join(ARTEFACTS, "not-a-stat.txt")
        with open(bad_stat, "w") as f:
            f.write("hello\n")
        for words, message in (
                (["report", "/nonexistent-dir/x.html"], "cannot create /nonexistent-dir/x.html"),
                (["report", os.path.join(ARTEFACTS, "x.html"), "--diff", bad_stat],
                 "is not a Stat dump"),
                (["report", os.path.join(ARTEFACTS, "x.html"), "--detail", "0"], "--detail"),
                (["report"], "needs one file name")):
            r = harness.run_heapy("cli", "core", self.target, words)
            self.assertNotEqual(r.rc, 0, r.describe())
            self.assertIn(message, r.stderr, r.describe())
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.describe())
        self.assertFalse(os.path.exists(os.path.join(ARTEFACTS, "x.html")))

    def test_gdb_core_and_lldb_live(self):
        runs = [("gdb", "core"), ("lldb", "live")]
        for frontend, mode in runs:
            if harness.missing_build_product(frontend):
                continue
            page = os.path.join(ARTEFACTS, "stacks-%s-%s.html" % (frontend, mode))
            if os.path.exists(page):
                os.remove(page)
            r = harness.run_heapy(frontend, mode, self.target, ["report", page])
            self.assertIn("Wrote %s" % page, r.stdout, r.describe())
            data = page_data(page)
            self.assertEqual(data["header"]["retained"], data["tree"]["boxes"][0][5])
            self.assertEqual(data["header"]["retained"], data["header"]["size"])
            if mode == "core":  # the same core as the CLI's: the same figures
                self.assertEqual(data["header"]["retained"], self.data["header"]["retained"])
                self.assertEqual(data["top"], self.data["top"])


class BigReport(unittest.TestCase):
    """A heap of a million objects (the big fixture, shaped as scripts/bench's): the page is small
    and quick in the browser, and folded to a few boxes every figure is still right."""

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        if not chromium():
            raise unittest.SkipTest("chromium is not installed (scripts/setup-deps)")
        os.makedirs(ARTEFACTS, exist_ok=True)
        cls.target = harness.debian_target_or_skip("big", ("--objects", BIG_OBJECTS, "--no-approx"))
        r = harness.run_heapy("cli", "core", cls.target, ["heap", ";", "domisize", "--json"])
        cls.domisize = json_lines(r.stdout, '{"domisize"')[0]["domisize"]

    def report(self, name, words=()):
        page = os.path.join(ARTEFACTS, name)
        t0 = time.time()
        r = harness.run_heapy("cli", "core", self.target, ["report", page] + list(words))
        seconds = time.time() - t0
        self.assertEqual(r.rc, 0, r.describe())
        return page, seconds

    def test_page_is_small_and_quick(self):
        page, seconds = self.report("big.html")
        size = os.path.getsize(page)
        self.assertLess(size, 5 << 20)
        result = selftest(page)
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["top"]["retained"], self.domisize)
        self.assertLess(result["readyMs"], 2000)
        print("\nbig page (%s objects requested): %d bytes, report %.1f s, interactive after "
              "%d ms" % (BIG_OBJECTS, size, seconds, result["readyMs"]))
        browser("--screenshot=" + os.path.join(ARTEFACTS, "big.png"), "file://" + page)

    def test_folded(self):
        page, _ = self.report("big-folded.html", ["--detail", "20"])
        boxes = page_data(page)["tree"]["boxes"]
        self.assertLess(len(boxes), 20 + 40 + 2)
        self.assertTrue(any(b[1] == -1 for b in boxes), "nothing folded into 'other objects'")
        self.assertEqual(boxes[0][5], self.domisize)
        result = selftest(page)
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["top"]["retained"], self.domisize)


if __name__ == "__main__":
    unittest.main()
