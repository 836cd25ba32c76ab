# Runs inside gdb (see scripts/extract-layout): reads the DWARF of a CPython build and prints the
# layout file that heapy embeds (cpython-layouts/<version>.json).
#
# Offsets come from core/cpython/layout_fields.def; the interpreter- and thread-state root fields
# are every object pointer found by walking PyInterpreterState and PyThreadState, minus free lists
# and caches (which hold dead or borrowed objects).
import json
import os
import re

import gdb

DEF_FILE = os.environ["HEAPY_LAYOUT_FIELDS"]
VERSION = os.environ["HEAPY_LAYOUT_VERSION"]
CONSTANTS_FILE = os.environ.get("HEAPY_LAYOUT_CONSTANTS", "")
PATCHES = os.environ.get("HEAPY_LAYOUT_PATCHES", "")

FIELD_RE = re.compile(r'^LAYOUT_FIELD\((\w+),\s*"([^"]+)",\s*"([^"]+)"\)')
SIZE_RE = re.compile(r'^LAYOUT_SIZE\((\w+),\s*"([^"]+)"\)')

# Fields heapy's RootState names (HEAPY.md 4.2), in its traversal order; renamed members keep the
# short name.
HEAPY_INTERP_ORDER = [
    "modules", "importlib", "import_func", "sysdict", "builtins", "codec_search_path",
    "codec_search_cache", "codec_error_registry", "dict", "sysdict_copy", "builtins_copy",
    "before_forkers", "after_forkers_parent", "after_forkers_child", "audit_hooks",
]
HEAPY_RENAMES = {
    "imports_modules": "modules",
    "imports_importlib": "importlib",
    "imports_import_func": "import_func",
    "codecs_search_path": "codec_search_path",
    "codecs_search_cache": "codec_search_cache",
    "codecs_error_registry": "codec_error_registry",
}
HEAPY_THREAD_ORDER = [
    "c_profileobj", "c_traceobj", "curexc_type", "curexc_value", "curexc_traceback",
    "current_exception", "exc_state_exc_value", "exc_state_exc_type", "exc_state_exc_traceback",
    "dict", "async_exc", "async_gen_firstiter", "async_gen_finalizer", "context",
]
# Members that hold dead, borrowed or not-yet-initialised objects, or that heapy leaves out
# (slice_cache: a freed slice kept for reuse, 3.10-3.12).
SKIP = re.compile(r"free_?list|freelist|keys_free|type_cache|trash_delete|_initial_thread|slice_cache|"
                  r"modules_by_index|^gc$|^gc_|numfree|cached_objects|obmalloc|trace_info|delete_later|^frame$|^types$")


def lookup(type_name):
    try:
        return gdb.lookup_type(type_name)
    except gdb.error:
        if type_name.startswith("struct "):
            return gdb.lookup_type(type_name[len("struct "):])
        raise


def offset_of(type_names, path):
    t = None
    for type_name in type_names.split("|"):
        try:
            t = lookup(type_name).strip_typedefs()
            break
        except gdb.error:
            continue
    if t is None:
        return None
    offset = 0
    for part in path.split("."):
        found = find_field(t, part)
        if found is None:
            return None
        field_offset, t = found
        offset += field_offset
    return offset


def find_field(t, name):
    """(offset, type) of member `name` of struct t, looking into anonymous unions and structs
    too (3.12's PyObject keeps ob_refcnt in one); None if there is no such member."""
    for f in t.fields():
        if f.name == name:
            return f.bitpos // 8, f.type.strip_typedefs()
        if f.name is None and f.type.strip_typedefs().code in (gdb.TYPE_CODE_UNION,
                                                                gdb.TYPE_CODE_STRUCT):
            inner = find_field(f.type.strip_typedefs(), name)
            if inner is not None:
                return f.bitpos // 8 + inner[0], inner[1]
    return None


def is_object_struct(t, depth=0):
    t = t.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT or depth > 6:
        return False
    if t.tag in ("_object", "PyObject"):
        return True
    fields = t.fields()
    return bool(fields) and fields[0].name == "ob_base" and is_object_struct(fields[0].type, depth + 1)


def object_pointer_fields(type_name):
    out = []

    def walk(t, base, prefix):
        for f in t.fields():
            if f.name is None or f.bitpos is None:
                continue
            name = prefix + f.name
            if SKIP.search(f.name):
                continue
            ft = f.type.strip_typedefs()
            off = base + f.bitpos // 8
            if ft.code == gdb.TYPE_CODE_PTR and is_object_struct(ft.target()):
                out.append((name, off))
            elif ft.code == gdb.TYPE_CODE_STRUCT and not is_object_struct(ft):
                walk(ft, off, name + "_")

    walk(lookup(type_name).strip_typedefs(), 0, "")
    return out


def ordered_roots(fields, heapy_order):
    named = [(HEAPY_RENAMES.get(n, n), o) for n, o in fields]
    rank = {n: i for i, n in enumerate(heapy_order)}
    first = sorted((f for f in named if f[0] in rank), key=lambda f: rank[f[0]])
    rest = [f for f in named if f[0] not in rank]
    return [{"name": n, "offset": o} for n, o in first + rest]


def main():
    layout = {"version": VERSION}
    if PATCHES:
        first, last = PATCHES.split("-")
        layout["patches"] = [int(first), int(last)]
    layout.update({"fields": {}, "sizes": {}})
    missing = []
    for line in open(DEF_FILE):
        line = line.strip()
        m = FIELD_RE.match(line)
        if m:
            key, type_name, paths = m.groups()
            for path in paths.split("|"):
                try:
                    off = offset_of(type_name, path)
                except gdb.error:
                    off = None
                if off is not None:
                    layout["fields"][key] = off
                    break
            else:
                missing.append(key)
            continue
        m = SIZE_RE.match(line)
        if m:
            key, type_name = m.groups()
            for name in type_name.split("|"):
                try:
                    layout["sizes"][key] = lookup(name).strip_typedefs().sizeof
                    break
                except gdb.error:
                    continue
            else:
                missing.append(key)
    if find_field(lookup("PyObject").strip_typedefs(), "ob_tid") is not None:
        # Free-threaded builds keep the PyGC_Head type but place no GC header before objects.
        layout["sizes"]["gc_head_size"] = 0
    layout["interp_roots"] = ordered_roots(object_pointer_fields("struct _is"), HEAPY_INTERP_ORDER)
    layout["tstate_roots"] = ordered_roots(object_pointer_fields("struct _ts"), HEAPY_THREAD_ORDER)
    if CONSTANTS_FILE:
        layout["constants"] = json.load(open(CONSTANTS_FILE))
    layout["absent"] = sorted(missing)
    print(json.dumps(layout, indent=1, sort_keys=False))


main()
