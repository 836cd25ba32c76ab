# Runs inside gdb (see scripts/extract-c-structs): reads the DWARF of a CPython build and its
# extension modules and writes the "c_structs" of a layout file: the structs that the recipes of
# cpython-layouts/c-types/*.json name, each member as [offset, size, shape].
#
# Shapes: "i" signed integer, "u" unsigned integer (or anything else read as bits), "p" pointer,
# "p NAME" pointer to struct NAME, "s NAME" inline struct (its members are listed too, dotted:
# "outer.inner"), "a SIZE" inline array of SIZE-byte elements. Anonymous structs and unions are
# flattened into their parent, as C names their members. Bit-fields are left out, and so are
# the members of object headers (ob_base).
import json
import os

import gdb

RECIPES = os.environ["HEAPY_C_TYPES"]  # the folder of recipe files
LAYOUTS = os.environ["HEAPY_LAYOUT_FILES"].split(":")
MODULES = [m for m in os.environ.get("HEAPY_MODULES", "").split(":") if m]
MAX_DEPTH = 4


def lookup(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        if name.startswith("struct "):
            return gdb.lookup_type(name[len("struct "):]).strip_typedefs()
        raise


def struct_name(t):
    """The name a struct is known by in the recipes: its typedef, else `struct TAG`."""
    if t.code == gdb.TYPE_CODE_TYPEDEF:
        return t.name
    t = t.strip_typedefs()
    return "struct " + t.tag if t.tag else None


def unqualified(t):
    return t.unqualified()


def shape(t):
    plain = t.strip_typedefs()
    code = plain.code
    if code == gdb.TYPE_CODE_PTR:
        target = unqualified(t.strip_typedefs().target()) if t.code != gdb.TYPE_CODE_TYPEDEF \
            else unqualified(plain.target())
        if target.strip_typedefs().code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
            name = struct_name(target)
            return "p " + name if name else "p"
        return "p"
    if code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        name = struct_name(unqualified(t))
        return "s " + (name or "?")
    if code == gdb.TYPE_CODE_ARRAY:
        return "a %d" % plain.target().strip_typedefs().sizeof
    if code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_ENUM, gdb.TYPE_CODE_CHAR):
        try:
            return "i" if plain.is_signed else "u"
        except AttributeError:
            return "u" if "unsigned" in str(plain) else "i"
    return "u"


def members(t, base=0, prefix="", depth=0, out=None):
    out = {} if out is None else out
    for f in t.strip_typedefs().fields():
        if f.bitpos is None or f.bitsize:
            continue
        offset = base + f.bitpos // 8
        ft = f.type
        plain = ft.strip_typedefs()
        nested = plain.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION)
        if f.name is None:
            if nested and depth < MAX_DEPTH:
                members(plain, offset, prefix, depth + 1, out)
            continue
        name = prefix + f.name
        out.setdefault(name, [offset, plain.sizeof, shape(ft)])
        # Every object struct starts with one: its members are the object header's.
        if nested and depth < MAX_DEPTH and f.name != "ob_base":
            members(plain, offset, name + ".", depth + 1, out)
    return out


def compact(structs):
    """The c_structs object, one member to a line."""
    lines = ["{"]
    names = sorted(structs)
    for i, name in enumerate(names):
        s = structs[name]
        lines.append('  %s: {"size": %d, "members": {' % (json.dumps(name), s["size"]))
        items = sorted(s["members"].items(), key=lambda kv: (kv[1][0], kv[0]))
        for j, (member, spec) in enumerate(items):
            lines.append("   %s: %s%s" % (json.dumps(member), json.dumps(spec),
                                          "," if j + 1 < len(items) else ""))
        lines.append("  }}" + ("," if i + 1 < len(names) else ""))
    lines.append(" }")
    return "\n".join(lines)


def main():
    for module in MODULES:
        gdb.execute("add-symbol-file %s" % module, to_string=True)
    wanted = sorted({name for file in sorted(os.listdir(RECIPES)) if file.endswith(".json")
                     for name in json.load(open(os.path.join(RECIPES, file))).get("structs", [])})
    structs, missing = {}, []
    for name in wanted:
        try:
            t = lookup(name)
        except gdb.error:
            missing.append(name)
            continue
        plain = t.strip_typedefs()
        if plain.code not in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION) or not plain.fields():
            missing.append(name)
            continue
        structs[name] = {"size": plain.sizeof, "members": members(plain)}
    for path in LAYOUTS:
        layout = json.load(open(path))
        layout["c_structs"] = "@C_STRUCTS@"
        layout["c_structs_absent"] = missing
        text = json.dumps(layout, indent=1)
        text = text.replace('"@C_STRUCTS@"', compact(structs))
        with open(path + ".tmp", "w") as f:
            f.write(text + "\n")
        os.rename(path + ".tmp", path)
        print("%s: %d structs, %d absent%s" % (path, len(structs), len(missing),
                                              (": " + ", ".join(missing)) if missing else ""))

main()
