"""The oracle comparator (tests/e2e/oracle.py) on hand-made oracles and exports: each definition
of its docstring, one case at a time, and its speed on a heap of 300,000 objects.

    python3 test_oracle_compare.py [-v]
"""

import json
import os
import tempfile
import time
import unittest

import oracle

T_DICT, T_LIST, T_STR, T_FRAME, T_INST, T_TYPE = 900, 901, 902, 903, 904, 905


def o(id_, type_name, type_id, size, referents=(), extra=(), **more):
    d = {"id": id_, "type": type_name, "type_id": type_id, "size": size,
         "referents": list(referents), "extra": list(extra), "gc": True}
    d.update(more)
    return d


def h(address, type_name, type_address, size, referents=(), relations=None, root=None,
      virtual=None, reachable=True, kind=None, owner=None):
    referents = list(referents)
    return {"address": address, "type": type_name, "type_address": type_address, "size": size,
            "kind": kind or type_name, "owner": owner, "referents": referents,
            "relations": relations if relations is not None else ["[%d]" % i for i in range(len(referents))],
            "root": root, "virtual": virtual, "reachable": reachable}


def run(oracle_dicts, export_dicts, truth=None):
    return oracle.compare(oracle.Oracle.from_dicts(oracle_dicts),
                          oracle.Export.from_dicts(export_dicts), truth=truth)


class SampleTest(unittest.TestCase):
    def test_builtin_sample(self):
        oracle_dicts, export_dicts, expected, explained = oracle.sample()
        report = run(oracle_dicts, export_dicts)
        self.assertEqual(report.differences(), expected)
        self.assertEqual(dict(report.explained_by_type), explained)

    def test_self_test_command(self):
        self.assertEqual(oracle.main(["--self-test"]), 0)


class DefinitionsTest(unittest.TestCase):
    def base(self):
        """A root dict holding a list that holds a str; heapy agrees exactly."""
        return ([o(1, "dict", T_DICT, 100, [2]), o(2, "list", T_LIST, 64, [3]),
                 o(3, "str", T_STR, 50)],
                [h(1, "dict", T_DICT, 100, [2], root="i0_modules"), h(2, "list", T_LIST, 64, [3]),
                 h(3, "str", T_STR, 50)])

    def test_agreement_is_clean(self):
        report = run(*self.base())
        self.assertEqual(report.differences(), {})
        self.assertEqual(report.totals()["compared"], 3)

    def test_size(self):
        ora, exp = self.base()
        exp[2]["size"] = 51
        self.assertEqual(run(ora, exp).differences(), {("str", "size"): 1})

    def test_size_null_in_oracle_is_not_compared(self):
        ora, exp = self.base()
        ora[2]["size"] = None
        exp[2]["size"] = 51
        self.assertEqual(run(ora, exp).differences(), {})

    def test_missing_object_and_referent(self):
        ora, exp = self.base()
        exp[1]["referents"], exp[1]["relations"] = [], []
        del exp[2]
        report = run(ora, exp)
        self.assertEqual(report.differences(), {("str", "missing"): 1,
                                                ("list", "missing_referents"): 1})
        self.assertEqual([(g["referrer_type"], g["referent_type"], g["objects_behind"])
                          for g in report.lost_at], [("list", "str", 1)])

    def test_missing_through_extra_edges(self):
        """A dict key (extra, not gc.get_referents) heapy does not have is a missing object,
        not a missing referent."""
        ora, exp = self.base()
        ora[0]["extra"] = [4]
        ora.append(o(4, "str", T_STR, 49))
        report = run(ora, exp)
        self.assertEqual(report.differences(), {("str", "missing"): 1})
        self.assertEqual(report.lost_at[0]["edge"], "extended")

    def test_unreachable_in_heapy_counts_as_missing(self):
        ora, exp = self.base()
        exp[1]["referents"], exp[1]["relations"] = [], []
        exp[2]["reachable"] = False
        report = run(ora, exp)
        self.assertEqual(report.differences(), {("str", "missing"): 1,
                                                ("list", "missing_referents"): 1})
        self.assertIn("unreachable", report.examples[("str", "missing")][0])

    def test_heapy_following_more_is_fine(self):
        ora, exp = self.base()
        exp[2]["referents"], exp[2]["relations"] = [1], ["->ob_type"]
        self.assertEqual(run(ora, exp).differences(), {})

    def test_virtual_dict_expansion(self):
        ora = [o(1, "dict", T_DICT, 100, [2]), o(2, "__main__.A", T_INST, 48, [3, 5]),
               o(3, "str", T_STR, 50), o(5, "type", T_TYPE, 900)]
        exp = [h(1, "dict", T_DICT, 100, [2], root="i0_modules"),
               h(2, "__main__.A", T_INST, 48, [4, 5], [".__dict__", "->ob_type"]),
               h(4, "dict", 0, 64, [3], ["['x']"], virtual="dict", owner=2,
                 kind="dict of __main__.A"),
               h(3, "str", T_STR, 50), h(5, "type", T_TYPE, 900)]
        report = run(ora, exp)
        self.assertEqual(report.differences(), {})
        self.assertEqual(report.counts["heapy_virtual"], 1)

    def test_phantom_from_known_object_and_what_it_leads_to(self):
        ora, exp = self.base()
        exp[0]["referents"].append(10)
        exp[0]["relations"].append("->?")
        exp.append(h(10, "datetime.datetime", 999, 48, [11], [".??"]))
        exp.append(h(11, "str", T_STR, 80))
        report = run(ora, exp)
        self.assertEqual(report.differences(), {("datetime.datetime", "phantoms"): 1,
                                                ("str", "phantoms"): 1})
        self.assertIn("via dict", report.examples[("datetime.datetime", "phantoms")][0])

    def test_phantom_without_referrer(self):
        ora, exp = self.base()
        exp.append(h(10, "str", T_STR, 80, reachable=False))
        self.assertEqual(run(ora, exp).differences(), {("str", "phantoms"): 1})

    def test_phantom_held_by_a_root_edge(self):
        ora, exp = self.base()
        exp.append(h(10, "dict", T_DICT, 80, root="i0_t1_dict"))
        self.assertEqual(run(ora, exp).differences(), {("dict", "phantoms"): 1})

    def test_new_frames_and_what_only_they_hold_are_explained(self):
        ora, exp = self.base()
        exp += [h(20, "types.FrameType", T_FRAME, 200, [21, 1], ["f_locals['e']", "f_globals"],
                  root="i0_t1_f1"),
                h(21, "threading.Event", 950, 48, [22], ["._cond"]),
                h(22, "list", T_LIST, 56, [23], ["[0]"]),
                h(23, "list", T_LIST, 56, [22], ["[0]"]),                    # a cycle
                h(24, "types.FrameType", T_FRAME, 150, [20], ["f_back"], virtual="frame",
                  root="i0_t1_f2")]
        report = run(ora, exp)
        self.assertEqual(report.differences(), {})
        self.assertEqual(dict(report.explained_by_type),
                         {"types.FrameType": 1, "threading.Event": 1, "list": 2})

    def test_new_object_also_held_by_an_old_one_is_a_phantom(self):
        ora, exp = self.base()
        exp += [h(20, "types.FrameType", T_FRAME, 200, [21], ["f_locals['x']"], root="i0_t1_f1"),
                h(21, "str", T_STR, 60)]
        exp[1]["referents"].append(21)
        self.assertEqual(run(ora, exp).differences(), {("str", "phantoms"): 1})

    def test_new_value_in_an_old_instances_inline_values_is_a_phantom(self):
        ora = [o(1, "dict", T_DICT, 100, [2]), o(2, "__main__.A", T_INST, 48, [5]),
               o(5, "type", T_TYPE, 900)]
        exp = [h(1, "dict", T_DICT, 100, [2], root="i0_modules"),
               h(2, "__main__.A", T_INST, 48, [4, 5], [".__dict__", "->ob_type"]),
               h(4, "dict", 0, 64, [3], ["['x']"], virtual="dict", owner=2),
               h(3, "str", T_STR, 50), h(5, "type", T_TYPE, 900)]
        self.assertEqual(run(ora, exp).differences(), {("str", "phantoms"): 1})

    def test_type_mismatch_skips_size_and_referents(self):
        ora, exp = self.base()
        exp[1].update(type="bytes", type_address=999, size=40, referents=[], relations=[])
        del exp[2]
        report = run(ora, exp)
        self.assertEqual(report.differences(), {("list", "type_mismatch"): 1, ("str", "missing"): 1})

    def test_reached_only_by_guesses_is_not_a_seed(self):
        """An object heapy reached only through a guessed edge does not vouch for what the
        oracle says it holds (nor is it missing: heapy has it)."""
        ora, exp = self.base()
        ora.append(o(7, "list", T_LIST, 64, [8]))
        ora.append(o(8, "str", T_STR, 50))
        exp[2]["referents"], exp[2]["relations"] = [7], ["->(guessed)"]
        exp.append(h(7, "list", T_LIST, 64))
        report = run(ora, exp)
        self.assertEqual(report.differences(), {("list", "missing_referents"): 1})
        self.assertEqual(report.counts["reached_only_by_guesses"], 1)

    def test_self_reference_is_an_exception(self):
        ora, exp = self.base()
        ora[1]["referents"].append(2)
        self.assertEqual(run(ora, exp).differences(), {})
        self.assertTrue(any("'self'" in n for n in run(ora, exp).notes))

    def test_referent_held_by_an_untracked_part_is_an_exception(self):
        """lru_cache: gc.get_referents(wrapper) lists each link's result; heapy has wrapper ->
        cache dict -> link (untracked) -> result."""
        ora = [o(1, "dict", T_DICT, 100, [2]),
               o(2, "functools._lru_cache_wrapper", T_INST, 96, [3, 5]),
               o(3, "dict", T_DICT, 232, [4]), o(4, "functools._lru_list_elem", T_LIST, 56, gc=False),
               o(5, "list", T_LIST, 64)]
        ora[3]["gc"] = False
        exp = [h(1, "dict", T_DICT, 100, [2], root="i0_modules"),
               h(2, "functools._lru_cache_wrapper", T_INST, 96, [3], ["->cache"]),
               h(3, "dict", T_DICT, 232, [4], ["[(7,)]"]),
               h(4, "functools._lru_list_elem", T_LIST, 56, [5], ["->result"]),
               h(5, "list", T_LIST, 64)]
        report = run(ora, exp)
        self.assertEqual(report.differences(), {})
        self.assertTrue(any("untracked part" in n for n in report.notes))
        # Held by a tracked object instead: a missing referent.
        ora[3]["gc"] = True
        self.assertEqual(run(ora, exp).differences(),
                         {("functools._lru_cache_wrapper", "missing_referents"): 1})

    def test_referent_unknown_to_oracle_is_ignored(self):
        ora, exp = self.base()
        ora[1]["referents"].append(12345)
        self.assertEqual(run(ora, exp).differences(), {})

    def test_c_held(self):
        ora, exp = self.base()
        truth = {"c_held": {"str in a list": {"id": 3, "holder": 2, "holder_type": "list"},
                            "lost": {"id": 99, "holder": 2, "holder_type": "list"}}}
        report = run(ora, exp, truth)
        found = {c["label"]: (c["found"], c["holder_refers"]) for c in report.c_held}
        self.assertEqual(found, {"str in a list": (True, True), "lost": (False, False)})

    def test_text_and_json(self):
        ora, exp = self.base()
        exp[2]["size"] = 51
        report = run(ora, exp)
        text = oracle.format_report(report, skip={("str", "size")})
        self.assertIn("1*", text)
        self.assertIn("str / size!= (1) [known]", text)
        data = json.loads(json.dumps(report.as_json()))
        self.assertEqual(data["rows"]["str"]["size"], 1)
        self.assertEqual(data["totals"]["compared"], 3)


class FilesAndSpeedTest(unittest.TestCase):
    def test_300k_objects_from_files(self):
        """Load and compare 300,000 objects (files as the fixture and heapy write them)."""
        n = 300000
        with tempfile.TemporaryDirectory() as d:
            ora_path, exp_path = os.path.join(d, "o.jsonl"), os.path.join(d, "e.jsonl")
            with open(ora_path, "w") as f:
                f.write(json.dumps(o(1, "list", T_LIST, 8 * n, range(2, n + 1))) + "\n")
                for i in range(2, n + 1):
                    f.write('{"id":%d,"type":"tuple","type_id":%d,"size":48,"referents":[%d],'
                            '"extra":[],"gc":true}\n' % (i, T_INST, 1))
            with open(exp_path, "w") as f:
                f.write(json.dumps(h(1, "list", T_LIST, 8 * n, range(2, n + 1), root="i0_x")) + "\n")
                for i in range(2, n + 1):
                    f.write(json.dumps(h(i, "tuple", T_INST, 48 if i % 1000 else 40, [1], ["[0]"]))
                            + "\n")
            t0 = time.time()
            report = oracle.compare(oracle.Oracle.load(ora_path), oracle.Export.load(exp_path))
            seconds = time.time() - t0
        self.assertEqual(report.differences(), {("tuple", "size"): n // 1000 - 1 + 1})
        self.assertLess(seconds, 60, "300k objects took %.1fs" % seconds)
        print("\n300,000 objects loaded and compared in %.1fs" % seconds)


if __name__ == "__main__":
    unittest.main()
