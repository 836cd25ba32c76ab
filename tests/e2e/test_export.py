"""`heapy export` through the CLI, gdb and lldb, on the cores of the "queries" and "shapes"
fixtures (python3.11), checked against what each process wrote about its own heap:

    python3 test_export.py [--frontend cli|gdb|lldb]... [-v]      (default: all three)

One session per front end and fixture runs `heap --json`, `heap --by type --json`, `heapu --json`
and three exports (JSON Lines, CSV, JSON Lines with --unreachable). Python's json and csv modules
read the files (strict UTF-8); the checks: one line per object of `heap` (count, size, Clodo and
Type rows), keys in the contract's order, every referent exported, referents and relations
parallel, the fixture's chosen objects and every instance of its classes present with their kind
and size, owners of `dict of X` rows are X instances, virtual nodes, the root's names, what the
fixture knows an object refers to (with the relations `by via` names), dict keys of every kind
of character, CSV and JSON Lines the same, the unreachable objects `heapu` counts. The CLI also:
the text line, errors (no file left behind) and help.
"""

import argparse
import ast
import collections
import csv
import json
import os
import shutil
import sys
import tempfile
import unittest

import harness

PARAMS = argparse.Namespace(frontends=list(harness.FRONTENDS))
KEYS = ["address", "type", "type_address", "kind", "size", "owner", "referents", "relations",
        "root", "virtual", "reachable"]


def session_command(frontend, target, steps):
    """One run of `heapy STEP` for each step (a list of words) through `frontend`, on the core."""
    if frontend == "cli":
        words = []
        for step in steps:
            words += step + [";"]
        return [harness.HEAPY_CLI] + words[:-1] + ["--core", target.core]
    lines = [" ".join(["heapy"] + step) for step in steps]
    if frontend == "gdb":
        cmd = [harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
               "-ex", "source " + harness.GDB_SCRIPT]
        for line in lines:
            cmd += ["-ex", line]
        return cmd + [target.exe, target.core]
    cmd = [harness.LLDB, "--no-lldbinit", "--batch", "-o", "plugin load " + harness.LLDB_PLUGIN]
    for line in lines:
        cmd += ["-o", line]
    return cmd + ["-c", target.core, target.exe]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def rows_of(partition):
    """{kind: (count, size)}; distinct types of one name (ctypes makes several classes called
    CFunctionType) are rows of one name."""
    rows = collections.defaultdict(lambda: (0, 0))
    for row in partition["rows"]:
        count, size = rows[row["kind"]]
        rows[row["kind"]] = (count + row["count"], size + row["size"])
    return dict(rows)


def address(text):
    return int(text, 16)


class Exported:
    """What one front end's session made of one fixture's core."""

    STEPS = [["heap", "--json"], ["heap", "--by", "type", "--json"], ["heapu", "--json"],
             ["export", "{dir}/heap.jsonl", "--json"], ["export", "{dir}/heap.csv", "--json"],
             ["export", "{dir}/all.ndjson", "--unreachable", "--json"]]

    def __init__(self, frontend, target, directory):
        steps = [[w.format(dir=directory) for w in step] for step in self.STEPS]
        self.result = harness.run(session_command(frontend, target, steps), timeout=300)
        self.outputs = [json.loads(line) for line in self.result.stdout.splitlines()
                        if line.startswith("{")]
        self.ok = self.result.rc == 0 and len(self.outputs) == len(steps)
        if not self.ok:
            return
        (self.heap, self.by_type, self.heapu, self.jsonl_summary, self.csv_summary,
         self.all_summary) = self.outputs
        self.paths = [step[1] for step in steps[3:]]
        self.objects = read_jsonl(self.paths[0])
        self.csv = read_csv(self.paths[1])
        self.all = read_jsonl(self.paths[2])
        self.by_address = {o["address"]: o for o in self.objects}


class ExportChecks:
    """The checks, on one fixture through one front end (a subclass says which)."""

    maxDiff = None
    frontend = fixture = None

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built(cls.frontend)
        cls.target = harness.debian_target_or_skip(cls.fixture)
        cls.truth = cls.target.truth
        cls.dir = tempfile.mkdtemp(prefix="heapy-export-", dir=harness.state_dir())
        cls.x = Exported(cls.frontend, cls.target, cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        if not self.x.ok:
            self.fail("%s session on the %s core failed:\n%s" % (
                self.frontend, self.fixture, self.x.result.describe()))

    def where(self, what=""):
        return "%s, %s core%s" % (self.frontend, self.fixture, ": " + what if what else "")

    # -- the file as a whole --

    def test_summaries(self):
        x = self.x
        self.assertEqual(x.jsonl_summary, {
            "file": x.paths[0], "format": "jsonl", "objects": x.heap["count"],
            "references": sum(len(o["referents"]) for o in x.objects)})
        self.assertEqual(x.csv_summary, dict(x.jsonl_summary, file=x.paths[1], format="csv"))
        self.assertEqual(x.all_summary["objects"], x.heap["count"] + x.heapu["count"])

    def test_one_line_per_object_of_the_heap(self):
        x = self.x
        self.assertEqual(len(x.objects), x.heap["count"])
        self.assertEqual(len(x.by_address), len(x.objects), "an address exported twice")
        self.assertEqual(sum(o["size"] for o in x.objects), x.heap["size"])
        for o in x.objects:
            self.assertEqual(list(o), KEYS, self.where("keys of %r" % o))
            self.assertIs(o["reachable"], True)

    def test_kinds_and_types_are_the_tables(self):
        for field, partition in (("kind", self.x.heap), ("type", self.x.by_type)):
            counts, sizes = collections.Counter(), collections.Counter()
            for o in self.x.objects:
                counts[o[field]] += 1
                sizes[o[field]] += o["size"]
            self.assertEqual({k: (counts[k], sizes[k]) for k in counts}, rows_of(partition),
                             self.where(field))

    def test_referents_are_exported_and_parallel_to_relations(self):
        for o in self.x.objects:
            self.assertEqual(len(o["referents"]), len(o["relations"]), self.where(str(o)))
            for r in o["referents"]:
                self.assertTrue(r in self.x.by_address, self.where("referent of %r" % o))
            for text in o["relations"]:
                self.assertIsInstance(text, str)
                self.assertTrue(text, self.where("an empty relation in %r" % o))

    def test_type_addresses(self):
        # Types held by modules (builtins, __main__) are objects of the heap too; a static type
        # that nothing refers to (sys.float_info's) is not.
        by_type = collections.defaultdict(set)
        for o in self.x.objects:
            by_type[o["type"]].add(o["type_address"])
        for name in ("dict", "list", "str", "tuple", "type", "__main__.%s" % self.a_class):
            (type_address,) = by_type[name]
            self.assertEqual(self.x.by_address[type_address]["type"], "type", name)

    # -- the fixture's truth --

    def test_chosen_objects(self):
        for label, chosen in self.truth["ids"].items():
            o = self.x.by_address.get(address(chosen["address"]))
            self.assertIsNotNone(o, self.where(label))
            self.assertEqual((o["kind"], o["size"]), (chosen["kind"], chosen["size"]),
                             self.where(label))

    def test_every_instance_of_the_fixture_classes(self):
        kinds = collections.Counter(o["kind"] for o in self.x.objects)
        for kind, addresses in self.truth["instances"].items():
            sizes = 0
            for a in addresses:
                o = self.x.by_address.get(address(a))
                self.assertIsNotNone(o, self.where("%s at %s" % (kind, a)))
                self.assertEqual(o["kind"], kind, self.where(a))
                sizes += o["size"]
            row = self.truth["clodo"].get(kind)
            if row:
                self.assertEqual(kinds[kind], row["count"], self.where(kind))
                if row["size"] is not None:
                    self.assertEqual(sizes, row["size"], self.where(kind))
        for kind, row in self.truth["clodo"].items():
            self.assertEqual(kinds[kind], row["count"], self.where(kind))

    def test_owners(self):
        instances = {k: {address(a) for a in v} for k, v in self.truth["instances"].items()}
        dicts_checked = 0
        for o in self.x.objects:
            kind = o["kind"]
            if o["kind"] == "dict (no owner)":
                self.assertIsNone(o["owner"], self.where(str(o)))
            if not kind.startswith("dict of "):
                # A dict subclass can be a __dict__ too (ctypes' StgDict): it has an owner, and
                # its own class as kind.
                if o["owner"] is not None:
                    self.assertNotEqual(o["type"], "dict", self.where(str(o)))
                    self.assertTrue(o["owner"] in self.x.by_address, self.where(str(o)))
                continue
            self.assertIsNotNone(o["owner"], self.where(str(o)))
            self.assertEqual(o["type"], "dict", self.where(str(o)))
            owner = self.x.by_address[o["owner"]]
            self.assertEqual(owner["kind"], kind[len("dict of "):], self.where(str(o)))
            if kind[len("dict of "):] in instances:
                self.assertIn(o["owner"], instances[kind[len("dict of "):]], self.where(str(o)))
                dicts_checked += 1
        # The fixtures' instances of classes have dicts (real or virtual) with owners.
        self.assertGreater(dicts_checked, 10)

    def test_virtual_nodes(self):
        seen = collections.Counter()
        for o in self.x.objects:
            seen[o["virtual"]] += 1
            if o["virtual"] == "dict":
                self.assertEqual(o["type"], "dict")
                self.assertTrue(o["kind"].startswith("dict of "), o)
            elif o["virtual"] == "frame":
                self.assertEqual((o["type"], o["kind"]), ("types.FrameType", "types.FrameType"))
            else:
                self.assertIsNone(o["virtual"])
        # Python 3.11: inline attribute values (every never-materialised instance dict) and the
        # frames of blocked threads are virtual.
        self.assertGreater(seen["dict"], 10, self.where())
        self.assertGreater(seen["frame"], 0, self.where())

    def test_roots(self):
        rooted = [o for o in self.x.objects if o["root"] is not None]
        names = {o["root"] for o in rooted}
        self.assertIn("i0_modules", names, self.where())
        (modules,) = [o for o in rooted if o["root"] == "i0_modules"]
        self.assertEqual(modules["kind"], "dict (no owner)")
        self.assertIn("['__main__']", modules["relations"])
        for name in names:
            self.assertRegex(name, r"^i\d+_", self.where(name))
        # The root's referents are where the walk starts: they come first.
        self.assertIsNotNone(self.x.objects[0]["root"])

    # -- CSV, --unreachable --

    def test_csv_says_what_jsonl_says(self):
        header, *records = self.x.csv
        self.assertEqual(header, KEYS)
        self.assertEqual(len(records), len(self.x.objects))

        def text(value):
            return "" if value is None else str(value)

        for record, o in zip(records, self.x.objects):
            expected = [str(o["address"]), o["type"], str(o["type_address"]), o["kind"],
                        str(o["size"]), text(o["owner"]),
                        " ".join(str(r) for r in o["referents"]),
                        "\t".join(r.replace("\t", "\\t") for r in o["relations"]),
                        text(o["root"]), text(o["virtual"]), "true"]
            self.assertEqual(record, expected, self.where())

    def test_unreachable(self):
        x = self.x
        n = len(x.objects)
        self.assertEqual(x.all[:n], x.objects, "the reachable part changed")
        rest = x.all[n:]
        self.assertEqual(len(rest), x.heapu["count"])
        self.assertEqual(sum(o["size"] for o in rest), x.heapu["size"])
        types = collections.Counter(o["type"] for o in rest)
        self.assertEqual(dict(types), {k: v[0] for k, v in rows_of(x.heapu).items()})
        for o in rest:
            self.assertIs(o["reachable"], False)
            self.assertFalse(o["address"] in x.by_address, o)
        by_address = {o["address"]: o for o in x.all}
        for o in rest:
            for r in o["referents"]:
                self.assertTrue(r in by_address)


class QueriesChecks(ExportChecks):
    fixture = "queries"
    a_class = "Tracked"

    def test_referents_of_chosen_objects(self):
        # The rows `heapy iso ADDR` + `heapy referents` shows, from the export.
        for label, known in self.truth["referents"].items():
            o = self.x.by_address[address(known["address"])]
            kinds = collections.Counter(self.x.by_address[r]["kind"] for r in set(o["referents"]))
            self.assertEqual(dict(kinds), known["rows"], self.where(label))
        ref_tuple = self.x.by_address[address(self.truth["referents"]["ref_tuple"]["address"])]
        self.assertEqual(ref_tuple["relations"], ["[0]", "[1]"])
        self.assertEqual(self.x.by_address[ref_tuple["referents"][0]]["kind"], "__main__.Shared")
        ref_holder = self.x.by_address[address(self.truth["referents"]["ref_holder"]["address"])]
        holder_dict = address(self.truth["ids"]["ref_holder.__dict__"]["address"])
        relations = dict(zip(ref_holder["referents"], ref_holder["relations"]))
        self.assertEqual(relations[holder_dict], ".__dict__")
        self.assertEqual(self.x.by_address[holder_dict]["owner"], ref_holder["address"])

    def test_referrers_of_chosen_object(self):
        shared = address(self.truth["referrers"]["address"])
        referrers = collections.Counter(o["kind"] for o in self.x.objects
                                        if shared in o["referents"])
        self.assertEqual(dict(referrers), self.truth["referrers"]["rows"])

    def test_dict_keys_of_every_kind(self):
        # Keys with quotes, a backslash, a tab, non-ASCII letters, 70 characters: the relation
        # texts `by via` shows.
        relations = {r for o in self.x.objects for r in o["relations"]}
        for text in self.truth["odd_via"]:
            self.assertIn(ast.literal_eval(text), relations)
        (holder,) = [o for o in self.x.objects
                     if "['tab\\there']" in o["relations"] and o["type"] == "dict"]
        self.assertEqual(holder["kind"], "dict (no owner)")

    def test_unreachable_kinds(self):
        rest = self.x.all[len(self.x.objects):]
        types = collections.Counter(o["type"] for o in rest)
        kinds = collections.Counter(o["kind"] for o in rest)
        heapu = self.truth["heapu"]
        for part in ("garbage", "held"):
            for kind, count in heapu[part].items():
                self.assertEqual(types[kind], count, kind)
            for kind, count in heapu[part + "_clodo"].items():
                self.assertEqual(kinds[kind], count, kind)


class ShapesChecks(ExportChecks):
    fixture = "shapes"
    a_class = "Plain"


class CliOnly(unittest.TestCase):
    """The text line, errors and help (the same code serves gdb and lldb)."""

    @classmethod
    def setUpClass(cls):
        harness.skip_unless_built("cli")
        cls.target = harness.debian_target_or_skip("queries")
        cls.dir = tempfile.mkdtemp(prefix="heapy-export-", dir=harness.state_dir())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def heapy(self, *words):
        return harness.run_heapy("cli", "core", self.target, list(words))

    def test_text_line(self):
        path = os.path.join(self.dir, "heap.csv")
        r = self.heapy("export", path, "--no-progress")
        self.assertEqual(r.rc, 0, r.describe())
        with open(path, encoding="utf-8", newline="") as f:
            records = list(csv.DictReader(f))
        references = sum(len(rec["referents"].split()) for rec in records)
        self.assertEqual(r.stdout, "Exported %d objects (%d references) to %s as CSV.\n"
                         % (len(records), references, path))
        r = self.heapy("export", path, "--format", "jsonl", "--no-progress")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertTrue(r.stdout.endswith(" to %s as JSON Lines.\n" % path), r.stdout)
        self.assertEqual(len(read_jsonl(path)), len(records))

    def test_errors(self):
        directory = tempfile.mkdtemp(dir=self.dir)
        path = os.path.join(directory, "heap.txt")
        for words, message in [
                (["export", path], "heapy: cannot tell the format of %s from its name: give "
                 "--format jsonl or --format csv (or name it .jsonl, .ndjson, .json or .csv)\n"
                 % path),
                (["export", path, "--format", "xml"],
                 "heapy: unknown export format 'xml': use jsonl or csv\n"),
                (["export", directory + "/no/such/dir/heap.jsonl"],
                 "heapy: cannot create %s/no/such/dir/heap.jsonl: No such file or directory\n"
                 % directory),
                (["export"], "heapy: 'heapy export' needs one file name (see 'heapy help "
                 "export')\n")]:
            r = self.heapy(*words)
            self.assertNotEqual(r.rc, 0, r.describe())
            self.assertEqual((r.stdout, r.stderr), ("", message))
        self.assertEqual(os.listdir(directory), [])

    def test_help(self):
        r = harness.run([harness.HEAPY_CLI, "help", "export"])
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn("Usage: heapy export FILE [--format jsonl|csv] [--unreachable] [--json]",
                      r.stdout)
        self.assertIn("  export     Write every object", harness.run([harness.HEAPY_CLI,
                                                                    "help"]).stdout)

    def test_help_in_gdb(self):
        if harness.missing_build_product("gdb"):
            self.skipTest(harness.missing_build_product("gdb"))
        r = harness.run([harness.GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
                         "-ex", "source " + harness.GDB_SCRIPT, "-ex", "help heapy export"])
        self.assertIn("Usage: heapy export FILE", r.stdout, r.describe())


def checks_for(frontend):
    classes = {}
    for base in (QueriesChecks, ShapesChecks):
        name = "%s%s" % (base.__name__.replace("Checks", ""), frontend.capitalize())
        classes[name] = type(name, (base, unittest.TestCase), {"frontend": frontend})
    return classes


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--frontend", choices=harness.FRONTENDS, action="append")
    args, rest = parser.parse_known_args()
    if args.frontend:
        PARAMS.frontends = args.frontend
    for frontend in PARAMS.frontends:
        globals().update(checks_for(frontend))
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
