"""The oracle comparator: heapy's exported object graph, object by object, against what the
process said about every one of its objects just before its core was taken.

    python3 tests/e2e/oracle.py ORACLE.jsonl HEAPY_EXPORT.jsonl [--truth TRUTH.json] [--json]
                                [--examples N] [--rows N]
    python3 tests/e2e/oracle.py --self-test

ORACLE.jsonl is written by tests/fixtures/stdlib_oracle.py (one line per object: id, type, type_id,
size = sys.getsizeof, referents = gc.get_referents, extra = what the fixture's extended referent
function found besides, scanned = words of a C body that tracemalloc proved to be live objects;
see that file). Every line is an object that exists; only referents and extra are edges the
object must have (a scanned word may be a borrowed pointer). HEAPY_EXPORT.jsonl is `heapy --core CORE export FILE`: one
line per object: address, type, type_address, kind, size, owner, referents, relations (parallel to
referents), root, virtual (null | "dict" | "frame"), reachable.

It prints one table per type: objects compared, phantoms, type mismatches, missing objects, objects
with missing referents, size differences; totals; where heapy loses the missing objects; and up to
N examples of every nonzero cell. The definitions:

* compared: a non-virtual heapy object whose address the oracle knows.
* phantom: a non-virtual heapy object whose address the oracle does not know, unless it is
  EXPLAINED: it exists only since the recording. The explained ones are the greatest set E with:
  every heapy frame object the oracle does not know ("types.FrameType") and every virtual node is
  in E, and an unknown object is in E when all its heapy referrers are in E. In practice: an
  unknown object is a phantom when a path of heapy edges leads to it from an object the oracle
  knows (a virtual `dict of X` counts as its owner) or from a root edge, through unknown non-frame
  objects only, or when nothing refers to it at all; the explained ones are the rest (the frames
  of the fixture's final blocking call and what only they hold). Counted apart, never as phantoms.
* type mismatch: a compared object whose type_address is not the oracle's type_id (a phantom that
  happens to sit where a real object is, or corrupt decoding). Its size and referents are not
  compared: they belong to another object.
* missing object: seeds = the oracle objects heapy reports as reachable and did not reach only
  through guessed edges (relations starting with "->?"); every oracle object reachable from the
  seeds in the oracle's graph (referents + extra) must be a reachable object of heapy's export.
  (heapy names a guessed edge "->(guessed)"; both that and the "->?" prefix count as guesses.)
  Each missing object is reported under its type, with the oracle referrer through which it is
  reached; "where heapy loses objects" groups them by the first edge of the oracle's path that
  heapy does not have (the referrer heapy has -> the first object it lacks).
* missing referent: for a compared object, an id of the oracle's `referents` (gc.get_referents)
  that heapy's referents of the same object do not include. heapy's referents are expanded through
  its virtual nodes: an edge to a virtual `dict of X` (an instance's inline values) brings that
  node's referents in, as gc.get_referents of such an instance lists the values directly. Ids the
  oracle never recorded as objects are ignored. Documented exceptions: REFERENT_EXCEPTIONS.
  (heapy following MORE than gc.get_referents, e.g. the str keys of a dict, is not a difference.)
* size difference: a compared object whose heapy size is not the oracle's sys.getsizeof.

Plain Python 3 standard library; fast enough for 500k objects (dicts and sets, one pass each).
"""

import argparse
import collections
import json
import sys

CATEGORIES = ("phantoms", "type_mismatch", "missing", "missing_referents", "size")
HEADINGS = {"compared": "compared", "phantoms": "phantoms", "type_mismatch": "type!=",
            "missing": "missing", "missing_referents": "miss.refs", "size": "size!=",
            "explained": "explained"}
DESCRIPTIONS = {
    "phantoms": "phantom objects (heapy has them, the process had none there)",
    "type_mismatch": "type mismatches (same address, another type)",
    "missing": "missing objects (reachable in the process, not found by heapy)",
    "missing_referents": "objects with missing referents (gc.get_referents not all in heapy's)",
    "size": "size differences (heapy's size is not sys.getsizeof)",
}
GUESS_PREFIX = "->?"           # the export's spec: a guessed edge's relation starts so
GUESS_TEXT = "->(guessed)"     # what heapy names one (core/heap/relation_text.cpp)
FRAME_TYPE = "types.FrameType"

# Referents of gc.get_referents that heapy need not report, each with its reason. A rule is
# (name, predicate(oracle, referrer_id, referent_id) -> bool, reason). Keep it short: every rule
# hides a difference from every version.
REFERENT_EXCEPTIONS = [
    ("self", lambda oracle, export, obj, ref: obj == ref,
     "an object that refers to itself (a finished frame's tp_traverse visits its own frame object "
     "through _PyInterpreterFrame.frame_obj): no path and no reachability depends on it"),
    ("its static type", lambda oracle, export, obj, ref: _its_static_type(oracle, export, obj, ref),
     "the object's own type when heapy holds it static (no '->ob_type' edge): some modules' "
     "m_traverse visits Py_TYPE(module), the static module type, which no instance of a static "
     "type holds a counted reference to"),
    ("a mortal interned string", lambda oracle, export, obj, ref: _mortal_interned(
        oracle, export, obj, ref),
     "a str in a dict only the runtime holds (the interned-strings dict) that nothing else in the "
     "oracle refers to and that the core no longer holds: 3.12+'s interned dict "
     "holds no counted reference to a mortal string, so one the recording itself made (a name it "
     "looked up) dies after the recording and leaves the dict"),
    ("through an untracked part", lambda oracle, export, obj, ref: _through_untracked_part(
        oracle, export, obj, ref),
     "tp_traverse reports as its own what the container's untracked sub-objects hold (an "
     "lru_cache wrapper visits each lru_list_elem's key and result); heapy reaches it through "
     "that sub-object (wrapper -> cache dict -> link -> result), the structure as it is"),
]


def _its_static_type(oracle, export, obj, ref):
    rec = export.objects.get(obj)
    return (ref == oracle.objects[obj][Oracle.TYPE_ID] and rec is not None
            and "->ob_type" not in (rec[Export.RELATIONS] or ()))


def _mortal_interned(oracle, export, obj, ref):
    O = oracle.objects
    if ref in export.objects or O[ref][Oracle.TYPE] != "str" or O[obj][Oracle.TYPE] != "dict":
        return False
    # The interned dict is held by the interpreter's state only: no object of the oracle refers
    # to it (its referents are recorded once each, so {s: s} cannot be told from the keys).
    return oracle.referrer_count(ref) == 1 and oracle.referrer_count(obj) == 0


def _through_untracked_part(oracle, export, obj, ref):
    """ref is held, in heapy's graph, by an object that the oracle records as not gc-tracked,
    that gc.get_referents(obj) does not list, and that heapy reaches from obj in one or two
    edges."""
    O, H = oracle.objects, export.objects
    rec = H.get(obj)
    if rec is None:
        return False
    wanted = set(O[obj][Oracle.REFERENTS]) if obj in O else set()
    near = set(rec[Export.REFERENTS])
    for middle in list(near):
        inner = H.get(middle)
        if inner is not None:
            near.update(inner[Export.REFERENTS])
    for part in near:
        inner = H.get(part)
        if (inner is not None and part not in wanted and part in O
                and O[part][Oracle.GC] is False and ref in inner[Export.REFERENTS]):
            return True
    return False


def is_guess(relation):
    """Whether an edge's relation text says a conservative scan guessed it."""
    return relation is not None and (relation.startswith(GUESS_PREFIX) or GUESS_TEXT in relation)


# -- loading ---------------------------------------------------------------------------------------

class Oracle:
    """id -> (type, type_id, size or None, referents tuple, extra tuple, gc, py_sizeof)."""

    TYPE, TYPE_ID, SIZE, REFERENTS, EXTRA, GC, PY_SIZEOF = range(7)

    def __init__(self, records):
        self.objects = records
        self._referrers = None

    def referrer_count(self, address):
        """How many objects of the oracle list `address` among their referents."""
        if self._referrers is None:
            self._referrers = collections.Counter()
            for record in self.objects.values():
                self._referrers.update(set(record[Oracle.REFERENTS]))
        return self._referrers[address]

    @staticmethod
    def _record(d, names):
        name = names.setdefault(d["type"], d["type"])
        return (name, d["type_id"], d.get("size"), tuple(d["referents"]),
                tuple(d.get("extra", ())), d.get("gc"), bool(d.get("py_sizeof")))

    @classmethod
    def load(cls, path):
        names = {}
        return cls({d["id"]: cls._record(d, names) for d in _json_lines(path)})

    @classmethod
    def from_dicts(cls, dicts):
        names = {}
        return cls({d["id"]: cls._record(d, names) for d in dicts})


def _json_lines(path):
    """The records of a JSON Lines file, blank lines skipped."""
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


class Export:
    """address -> (type, type_address, size, referents tuple, relations tuple, root, virtual,
    reachable, kind, owner)."""

    TYPE, TYPE_ADDRESS, SIZE, REFERENTS, RELATIONS, ROOT, VIRTUAL, REACHABLE, KIND, OWNER = range(10)

    def __init__(self, records):
        self.objects = records

    @staticmethod
    def _record(d, strings):
        def s(x):
            return x if x is None else strings.setdefault(x, x)
        relations = d.get("relations") or ()
        return (s(d.get("type")), d.get("type_address"), d.get("size"),
                tuple(d.get("referents") or ()), tuple(s(r) for r in relations), s(d.get("root")),
                s(d.get("virtual")), d.get("reachable", True) is not False, s(d.get("kind")),
                d.get("owner"))

    @classmethod
    def load(cls, path):
        strings = {}
        return cls({d["address"]: cls._record(d, strings) for d in _json_lines(path)})

    @classmethod
    def from_dicts(cls, dicts):
        strings = {}
        return cls({d["address"]: cls._record(d, strings) for d in dicts})


# -- the comparison --------------------------------------------------------------------------------

class Report:
    def __init__(self, examples_per_cell):
        self.rows = collections.defaultdict(lambda: dict.fromkeys(("compared", "explained") + CATEGORIES, 0))
        self.examples = collections.defaultdict(list)
        self.examples_per_cell = examples_per_cell
        self.lost_at = []
        self.explained_by_type = collections.Counter()
        self.notes = []
        self.counts = {}
        self.c_held = []
        self.example_addresses = {}

    def add(self, type_name, category, example=None, address=None):
        self.rows[type_name][category] += 1
        if example is not None:
            cell = self.examples[(type_name, category)]
            if len(cell) < self.examples_per_cell:
                cell.append(example() if callable(example) else example)
                self.example_addresses.setdefault((type_name, category), []).append(address)

    def totals(self):
        total = dict.fromkeys(("compared", "explained") + CATEGORIES, 0)
        for row in self.rows.values():
            for key, value in row.items():
                total[key] += value
        return total

    def differences(self):
        """{(type, category): count} of every nonzero cell."""
        return {(t, c): row[c] for t, row in self.rows.items() for c in CATEGORIES if row[c]}

    def as_json(self):
        return {
            "counts": self.counts,
            "totals": self.totals(),
            "rows": {t: row for t, row in sorted(self.rows.items())},
            "examples": {"%s|%s" % k: v for k, v in sorted(self.examples.items())},
            "lost_at": self.lost_at,
            "explained_by_type": dict(self.explained_by_type),
            "c_held": self.c_held,
            "notes": self.notes,
        }


def _hex(address):
    return "0x%x" % address if isinstance(address, int) else str(address)


def compare(oracle, export, examples=3, truth=None, unprovable_roots=()):
    """Compare Oracle `oracle` with Export `export`; a Report."""
    report = Report(examples)
    O = oracle.objects
    H = export.objects
    E = Export
    R = Oracle

    def otype(i):
        return O[i][R.TYPE] if i in O else "?"

    def htype(a):
        rec = H.get(a)
        if rec is None:
            return "?"
        return ("<virtual %s>" % rec[E.VIRTUAL]) if rec[E.VIRTUAL] else rec[E.TYPE]

    virtual = {a for a, rec in H.items() if rec[E.VIRTUAL]}
    real = [a for a in H if a not in virtual]
    known = [a for a in real if a in O]
    unknown = {a for a in real if a not in O}
    report.counts = {"oracle_objects": len(O), "heapy_objects": len(H), "heapy_virtual": len(virtual),
                     "compared": len(known), "heapy_unknown_to_oracle": len(unknown)}

    # heapy's referrers of the nodes that are not oracle objects (for the explanation and the
    # examples), and whether each node has an edge that is not a guess (for the seeds).
    referrers = collections.defaultdict(list)
    solid = set()
    for a, rec in H.items():
        if rec[E.ROOT] is not None:
            solid.add(a)
        relations = rec[E.RELATIONS]
        for k, ref in enumerate(rec[E.REFERENTS]):
            relation = relations[k] if k < len(relations) else None
            if not is_guess(relation):
                solid.add(ref)
            if ref not in O or ref in virtual:
                if ref != a:
                    referrers[ref].append((a, relation))

    # -- phantoms, explained ones --
    always = {a for a in unknown if H[a][E.TYPE] == FRAME_TYPE}
    always |= {a for a in virtual if H[a][E.VIRTUAL] == "frame"}
    # Roots the caller knows the oracle cannot see (interpreter-state fields no Python code
    # reaches, made before the oracle's tracing starts): what only they hold is not a phantom.
    unprovable = {a for a in unknown if H[a][E.ROOT] in unprovable_roots}
    if unprovable:
        report.notes.append("%d objects held from root edges the oracle cannot see (%s) are not "
                            "counted as phantoms" % (len(unprovable),
                                                     ", ".join(sorted(unprovable_roots))))
    always |= unprovable
    candidates = (unknown | virtual) - always
    bad = set()
    stack = []
    for a in candidates:
        rec = H[a]
        refs = referrers.get(a, ())
        if (any(r in O and r not in virtual for r, _ in refs) or
                (rec[E.ROOT] is not None) or (not refs and rec[E.ROOT] is None)):
            bad.add(a)
            stack.append(a)
    while stack:
        a = stack.pop()
        for ref in H[a][E.REFERENTS]:
            if ref in candidates and ref not in bad:
                bad.add(ref)
                stack.append(ref)

    def why_phantom(a):
        rec = H[a]
        refs = referrers.get(a, ())
        parts = []
        if rec[E.ROOT] is not None:
            parts.append("root edge %s" % rec[E.ROOT])
        for r, relation in refs[:3]:
            status = ("oracle knows it" if r in O else "virtual" if r in virtual
                      else "also unknown")
            parts.append("%s via %s %s (%s)" % (relation or "?", htype(r), _hex(r), status))
        if not parts:
            parts.append("no heapy referrer")
        return "%s %s size %s%s: %s" % (_hex(a), rec[E.TYPE], rec[E.SIZE],
                                         "" if rec[E.REACHABLE] else " (unreachable)",
                                         "; ".join(parts))

    for a in unknown:
        name = H[a][E.TYPE]
        if a in bad:
            report.add(name, "phantoms", lambda a=a: why_phantom(a))
        else:
            report.add(name, "explained")
            report.explained_by_type[name] += 1

    # -- compared objects: type, size, referents --
    exceptions_hit = collections.Counter()
    for a in known:
        rec = H[a]
        orec = O[a]
        name = orec[R.TYPE]
        report.add(name, "compared")
        if rec[E.TYPE_ADDRESS] is not None and rec[E.TYPE_ADDRESS] != orec[R.TYPE_ID]:
            report.add(name, "type_mismatch", address=a, example=lambda a=a, rec=rec, orec=orec: (
                "%s: heapy says %s (type at %s), the process had %s (type at %s)" % (
                    _hex(a), rec[E.TYPE], _hex(rec[E.TYPE_ADDRESS]), orec[R.TYPE],
                    _hex(orec[R.TYPE_ID]))))
            continue   # another object than the oracle's: its size and referents say nothing
        if orec[R.SIZE] is not None and rec[E.SIZE] != orec[R.SIZE]:
            report.add(name, "size", address=a, example=lambda a=a, rec=rec, orec=orec: (
                "%s: heapy %s, sys.getsizeof %d (%+d)%s" % (
                    _hex(a), rec[E.SIZE], orec[R.SIZE],
                    (rec[E.SIZE] or 0) - orec[R.SIZE],
                    ", __sizeof__ is Python code" if orec[R.PY_SIZEOF] else "")))
        wanted = orec[R.REFERENTS]
        if not wanted:
            continue
        have = set(rec[E.REFERENTS])
        for ref in rec[E.REFERENTS]:
            # What an instance's own dict holds counts as the instance's: inline values (a
            # virtual dict), and on 3.13+ a materialised __dict__ that still shares the inline
            # values gc.get_referents lists as the instance's.
            if ref in virtual or (H[ref][E.OWNER] == a if ref in H else False):
                have.update(H[ref][E.REFERENTS])
        lacking = []
        for ref in wanted:
            if ref in have or ref not in O:
                continue
            for rule, applies, _ in REFERENT_EXCEPTIONS:
                if applies(oracle, export, a, ref):
                    exceptions_hit[rule] += 1
                    break
            else:
                lacking.append(ref)
        if lacking:
            report.add(name, "missing_referents", address=a,
                       example=lambda a=a, lacking=lacking, rec=rec, wanted=wanted: (
                "%s: %d of %d gc.get_referents not among heapy's %d referents, e.g. %s" % (
                    _hex(a), len(lacking), len(wanted), len(rec[E.REFERENTS]), ", ".join(
                        "%s %s (%s)" % (_hex(r), otype(r),
                                        "heapy has the object" if r in H else "heapy lacks it")
                        for r in lacking[:3]))))
    for rule, n in sorted(exceptions_hit.items()):
        reason = next(r for name, _, r in REFERENT_EXCEPTIONS if name == rule)
        report.notes.append("%d referents not required by exception %r: %s" % (n, rule, reason))

    # -- missing objects: closure in the oracle's graph from what heapy solidly reached --
    present = {a for a in known if H[a][E.REACHABLE]}
    seeds = [a for a in present if a in solid]
    report.counts["seeds"] = len(seeds)
    report.counts["reached_only_by_guesses"] = len(present) - len(seeds)
    visited = set(seeds)
    parent = {}
    entry = {}     # missing object -> (the object heapy has, the first one it lacks, how)
    queue = collections.deque(seeds)
    while queue:
        x = queue.popleft()
        orec = O[x]
        for how, refs in (("gc.get_referents", orec[R.REFERENTS]), ("extended", orec[R.EXTRA])):
            for y in refs:
                if y in visited or y not in O:
                    continue
                visited.add(y)
                queue.append(y)
                if y not in present:
                    parent[y] = (x, how)
                    entry[y] = (x, y, how) if x in present else entry[x]
    groups = {}
    for y, (x, how) in parent.items():
        name = O[y][R.TYPE]
        report.add(name, "missing", lambda y=y, x=x, how=how: _missing_example(
            O, H, present, parent, y, x, how))
        start = entry[y]
        key = (O[start[0]][R.TYPE], O[start[1]][R.TYPE], start[2])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"entries": set(), "objects": 0, "example": None}
        group["entries"].add(start[1])
        group["objects"] += 1
        if group["example"] is None:
            group["example"] = "%s %s -> %s %s" % (O[start[0]][R.TYPE], _hex(start[0]),
                                                   O[start[1]][R.TYPE], _hex(start[1]))
    # Not a category (the seeds are heapy's): gc objects of the process that heapy's export
    # (with --unreachable, heapu's objects too) does not list at all, reachable or not.
    absent = collections.Counter(O[i][R.TYPE] for i, orec in O.items()
                                 if orec[R.GC] and i not in H)
    report.counts["gc_objects_absent"] = sum(absent.values())
    if absent:
        report.notes.append("%d gc-tracked objects of the process are not in heapy's export at "
                            "all (reachable or not): %s" % (sum(absent.values()), ", ".join(
                                "%s %d" % kv for kv in absent.most_common(8))))
    report.lost_at = sorted(
        ({"referrer_type": k[0], "referent_type": k[1], "edge": k[2],
          "entries": len(g["entries"]), "objects_behind": g["objects"], "example": g["example"]}
         for k, g in groups.items()), key=lambda g: (-g["objects_behind"], g["referrer_type"]))

    # -- where heapy holds the objects of the examples (one referrer each: their names) --
    targets = {a for addresses in report.example_addresses.values() for a in addresses
               if a is not None}
    held = {}
    if targets:
        for a, rec in H.items():
            relations = rec[E.RELATIONS]
            for k, ref in enumerate(rec[E.REFERENTS]):
                if ref in targets and ref not in held and ref != a:
                    held[ref] = "%s %s" % (htype(a), relations[k] if k < len(relations) else "?")
            if len(held) == len(targets):
                break
        for cell, addresses in report.example_addresses.items():
            texts = report.examples[cell]
            for i, a in enumerate(addresses):
                if a in held:
                    texts[i] += "; heapy holds it from %s" % held[a]
                elif a is not None and H.get(a, (None,) * 10)[E.ROOT]:
                    texts[i] += "; heapy root %s" % H[a][E.ROOT]

    # -- the truth's objects held only by a C object --
    if truth:
        for label, held in sorted(truth.get("c_held", {}).items()):
            rec = H.get(held["id"])
            report.c_held.append({
                "label": label, "id": held["id"], "holder_type": held["holder_type"],
                "found": bool(rec is not None and rec[E.REACHABLE]),
                "holder_found": bool(held["holder"] in H),
                "holder_refers": bool(held["holder"] in H and held["id"] in H[held["holder"]][E.REFERENTS]),
            })
    return report


def _missing_example(O, H, present, parent, y, x, how):
    R = Oracle
    chain = [y]
    node = y
    while node in parent and len(chain) < 8:
        node = parent[node][0]
        chain.append(node)
    path = " <- ".join("%s %s" % (O[n][R.TYPE], _hex(n)) for n in chain)
    in_heapy = ("heapy lists it as unreachable" if y in H else "heapy lacks it")
    return "%s %s size %s (%s), via %s of %s; path from an object heapy has: %s%s" % (
        _hex(y), O[y][R.TYPE], O[y][R.SIZE], in_heapy, how, O[x][R.TYPE], path,
        "" if chain[-1] in present else " <- ...")


# -- printing --------------------------------------------------------------------------------------

def format_report(report, rows=None, examples=True, skip=frozenset(), title=None):
    """The report as text. rows: at most this many type rows (those with differences first);
    skip: {(type, category)} cells shown but marked as known (a '*' after the number)."""
    lines = []
    totals = report.totals()
    c = report.counts
    lines.append(title or "Oracle comparison")
    lines.append("  oracle objects %d; heapy objects %d (%d virtual); compared %d; heapy objects "
                 "the oracle does not know %d (%d explained as made after the recording)" % (
                     c.get("oracle_objects", 0), c.get("heapy_objects", 0),
                     c.get("heapy_virtual", 0), c.get("compared", 0),
                     c.get("heapy_unknown_to_oracle", 0), totals["explained"]))
    lines.append("  missing-object seeds %d (objects heapy reached only through guessed edges: %d)"
                 % (c.get("seeds", 0), c.get("reached_only_by_guesses", 0)))

    def row_key(item):
        name, row = item
        return (-sum(row[k] for k in CATEGORIES), -row["compared"], name)
    items = sorted(report.rows.items(), key=row_key)
    if rows is not None:
        items = items[:rows]
    width = max([len("type")] + [len(name) for name, _ in items] + [5])
    width = min(width, 60)
    columns = ("compared",) + CATEGORIES
    header = "%-*s " % (width, "type") + " ".join("%10s" % HEADINGS[k] for k in columns)
    lines.append(header)
    lines.append("-" * len(header))

    def cell(name, key, value):
        mark = "*" if (name, key) in skip and value else ""
        return "%10s" % ("%d%s" % (value, mark))
    for name, row in items:
        shown = name if len(name) <= width else name[:width - 3] + "..."
        lines.append("%-*s " % (width, shown) + " ".join(cell(name, k, row[k]) for k in columns))
    if rows is not None and len(report.rows) > rows:
        lines.append("(%d more types)" % (len(report.rows) - rows))
    lines.append("-" * len(header))
    lines.append("%-*s " % (width, "TOTAL") + " ".join("%10d" % totals[k] for k in columns))
    if skip:
        lines.append("(* = known difference, listed in the test's KNOWN table)")
    if report.explained_by_type:
        lines.append("explained (exist only since the recording, not phantoms): " + ", ".join(
            "%s %d" % (k, v) for k, v in sorted(report.explained_by_type.items(),
                                                key=lambda kv: (-kv[1], kv[0]))))
    if report.lost_at:
        lines.append("")
        lines.append("Where heapy loses objects (first edge of the oracle's path that heapy lacks):")
        lines.append("  %8s %8s  %s" % ("objects", "entries", "referrer heapy has -> first object it lacks [edge]"))
        for g in report.lost_at[:40]:
            lines.append("  %8d %8d  %s -> %s [%s]  e.g. %s" % (
                g["objects_behind"], g["entries"], g["referrer_type"], g["referent_type"],
                g["edge"], g["example"]))
        if len(report.lost_at) > 40:
            lines.append("  (%d more)" % (len(report.lost_at) - 40))
    if report.c_held:
        lines.append("")
        lines.append("Objects held only by a C object (truth's c_held):")
        for h in report.c_held:
            lines.append("  %-6s %s (holder %s %s%s)" % (
                "found" if h["found"] else "LOST", h["label"], h["holder_type"],
                "found" if h["holder_found"] else "not found",
                ", refers to it" if h["holder_refers"] else ""))
    for note in report.notes:
        lines.append("note: " + note)
    if examples and report.examples:
        lines.append("")
        lines.append("Examples (up to %d per nonzero cell):" % report.examples_per_cell)
        order = sorted(report.examples.items(), key=lambda kv: (
            CATEGORIES.index(kv[0][1]), -report.rows[kv[0][0]][kv[0][1]], kv[0][0]))
        for (name, category), texts in order:
            if rows is not None and name not in dict(items):
                continue
            lines.append("  %s / %s (%d)%s:" % (name, HEADINGS[category], report.rows[name][category],
                                                " [known]" if (name, category) in skip else ""))
            for text in texts:
                lines.append("      " + text)
    return "\n".join(lines)


# -- self test -------------------------------------------------------------------------------------

def sample():
    """A small hand-made oracle and export, with the report they must give."""
    T_STR, T_LIST, T_DICT, T_INST, T_FRAME, T_EVENT, T_TYPE = 1000, 1001, 1002, 1003, 1004, 1005, 1006
    oracle = [
        # a module dict (root) holding a list, an instance and a str
        {"id": 10, "type": "dict", "type_id": T_DICT, "size": 232, "referents": [11, 12, 13],
         "extra": [14]},
        {"id": 11, "type": "list", "type_id": T_LIST, "size": 88, "referents": [15, 16]},
        {"id": 12, "type": "__main__.Inst", "type_id": T_INST, "size": 48, "referents": [17, 20]},
        {"id": 13, "type": "str", "type_id": T_STR, "size": 50, "referents": []},
        {"id": 14, "type": "str", "type_id": T_STR, "size": 51, "referents": []},   # a key
        {"id": 15, "type": "str", "type_id": T_STR, "size": 52, "referents": []},
        {"id": 16, "type": "list", "type_id": T_LIST, "size": 72, "referents": [18]},
        {"id": 17, "type": "str", "type_id": T_STR, "size": 53, "referents": []},   # inline value
        {"id": 18, "type": "list", "type_id": T_LIST, "size": 64, "referents": [19]},
        {"id": 19, "type": "str", "type_id": T_STR, "size": 54, "referents": []},
        {"id": 20, "type": "type", "type_id": T_TYPE, "size": 1000, "referents": []},
        # a finished frame that refers to itself (an exception, not a missing referent)
        {"id": 21, "type": "types.FrameType", "type_id": T_FRAME, "size": 200, "referents": [21, 13]},
        # only reachable through 22, which heapy reached through a guessed edge only
        {"id": 22, "type": "list", "type_id": T_LIST, "size": 64, "referents": [23]},
        {"id": 23, "type": "str", "type_id": T_STR, "size": 55, "referents": []},
    ]
    export = [
        {"address": 10, "type": "dict", "type_address": T_DICT, "size": 232, "root": "i0_modules",
         "referents": [11, 12, 13, 14, 30], "relations": ["['a']", "['b']", "['c']", ".keys()[0]", "['d']"]},
        # size differs; misses referent 16 (so 16, 18, 19 are missing objects)
        {"address": 11, "type": "list", "type_address": T_LIST, "size": 80, "referents": [15],
         "relations": ["[0]"]},
        # the instance's values through a virtual dict: no missing referent
        {"address": 12, "type": "__main__.Inst", "type_address": T_INST, "size": 48,
         "referents": [40, 20], "relations": [".__dict__", "->ob_type"]},
        {"address": 40, "type": "dict", "virtual": "dict", "size": 64, "owner": 12,
         "referents": [17], "relations": ["['x']"]},
        {"address": 13, "type": "str", "type_address": T_STR, "size": 50},
        {"address": 14, "type": "str", "type_address": T_STR, "size": 51},
        {"address": 15, "type": "str", "type_address": T_STR, "size": 52},
        {"address": 17, "type": "str", "type_address": T_STR, "size": 53},
        {"address": 20, "type": "type", "type_address": T_TYPE, "size": 1000},
        {"address": 21, "type": "types.FrameType", "type_address": T_FRAME, "size": 200,
         "referents": [13], "relations": ["f_locals['s']"], "root": "i0_t1_f0"},
        # 30: a phantom held by the known dict; 31 behind it is a phantom too
        {"address": 30, "type": "datetime.datetime", "type_address": 1007, "size": 48,
         "referents": [31], "relations": [".??"]},
        {"address": 31, "type": "str", "type_address": T_STR, "size": 60},
        # the final blocking call: a new frame (virtual), its Event and the Event's lock and a
        # cycle of two new objects only the Event leads to: all explained
        {"address": 50, "type": FRAME_TYPE, "virtual": "frame", "size": 100, "root": "i0_t1_f1",
         "referents": [51, 21], "relations": ["f_locals['never']", "f_back"]},
        {"address": 51, "type": "threading.Event", "type_address": T_EVENT, "size": 48,
         "referents": [52, 53], "relations": ["._cond", "._flag"]},
        {"address": 52, "type": "list", "type_address": T_LIST, "size": 56, "referents": [53],
         "relations": ["[0]"]},
        {"address": 53, "type": "list", "type_address": T_LIST, "size": 56, "referents": [52],
         "relations": ["[0]"]},
        # a known object with another type at its address
        {"address": 22, "type": "bytes", "type_address": 1008, "size": 64, "referents": [],
         "relations": []},
        # 22 reached only by a guess (from the frame above: no, from 13? str has none) -> 21
    ]
    # the frame reaches 22 only through a guessed edge
    export[9]["referents"].append(22)
    export[9]["relations"].append("->?")
    expected = {
        ("list", "size"): 1,
        ("list", "missing_referents"): 1,
        ("list", "missing"): 2,
        ("str", "missing"): 1,
        ("datetime.datetime", "phantoms"): 1,
        ("str", "phantoms"): 1,
        ("list", "type_mismatch"): 1,
    }
    expected_explained = {"threading.Event": 1, "list": 2}
    return oracle, export, expected, expected_explained


def self_test():
    oracle, export, expected, explained = sample()
    report = compare(Oracle.from_dicts(oracle), Export.from_dicts(export))
    print(format_report(report, title="Self-test report"))
    problems = []
    got = report.differences()
    if got != expected:
        problems.append("differences %r, expected %r" % (got, expected))
    if dict(report.explained_by_type) != explained:
        problems.append("explained %r, expected %r" % (dict(report.explained_by_type), explained))
    lost = [(g["referrer_type"], g["referent_type"], g["objects_behind"]) for g in report.lost_at]
    if lost != [("list", "list", 3)]:
        problems.append("lost_at %r" % lost)
    if problems:
        print("SELF-TEST FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("self-test passed")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("oracle", nargs="?", help="TRUTH.oracle.jsonl of stdlib_oracle.py")
    parser.add_argument("export", nargs="?", help="heapy export FILE.jsonl")
    parser.add_argument("--truth", help="the fixture's truth JSON (adds the c_held check)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
    parser.add_argument("--examples", type=int, default=3, help="examples per nonzero cell")
    parser.add_argument("--rows", type=int, help="at most this many type rows")
    parser.add_argument("--self-test", action="store_true", help="compare a hand-made sample")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.oracle or not args.export:
        parser.error("ORACLE and EXPORT are required (or --self-test)")
    truth = None
    if args.truth:
        with open(args.truth) as f:
            truth = json.load(f)
    report = compare(Oracle.load(args.oracle), Export.load(args.export), args.examples, truth)
    if args.json:
        print(json.dumps(report.as_json(), sort_keys=True))
    else:
        print(format_report(report, rows=args.rows))
    return 1 if report.differences() else 0


if __name__ == "__main__":
    sys.exit(main())
