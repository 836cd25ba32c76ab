"""heapy's lldb commands as lldb's parsed script commands (lldb 19 and later).

libheapy_lldb.so imports this module from beside itself when lldb can take parsed commands: only
those tell lldb their options and the values an option takes, so that Tab completes
`heapy heap --by v` to `via` and `help heapy heap` lists the options. What the commands are
comes from the library (heapy_lldb_definitions), and each command hands the words lldb parsed
back to it (heapy_lldb_run), through ctypes: nothing is said twice, and no lldb command stands
in between for lldb's help to list.
"""

import ctypes
import json
import os

import lldb

_LIBRARY = ctypes.CDLL(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "libheapy_lldb.so"))
_LIBRARY.heapy_lldb_definitions.restype = ctypes.c_char_p
_LIBRARY.heapy_lldb_definitions.argtypes = []
_LIBRARY.heapy_lldb_run.restype = ctypes.c_bool
_LIBRARY.heapy_lldb_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                    ctypes.POINTER(ctypes.c_char_p)]


def _address(sb_object):
    """The address of the C++ object an SB wrapper holds (what the library's SB API takes)."""
    return ctypes.c_void_p(int(sb_object.this))


class _HeapyCommand:
    """One `heapy NAME` command; each subclass has its `definition`."""

    definition = None
    no_repeat = None

    def __init__(self, debugger, internal_dict):
        self.words = []
        self.options = {}
        self.takes_value = set()
        for i, o in enumerate(self.definition["options"]):
            # Long options only, as in gdb and the standalone command: lldb neither shows nor
            # accepts a short option that is not a printable character.
            option = {"short_option": chr(1 + i), "help": o["help"], "required": False,
                      "completion_type": getattr(lldb, o.get("completion_type",
                                                             "eNoCompletion"))}
            if "value_type" in o:
                option["value_type"] = getattr(lldb, o["value_type"])
                self.takes_value.add(o["name"])
            if "enum_values" in o:
                option["enum_values"] = o["enum_values"]
            self.options[o["name"]] = option

    def get_short_help(self):
        return self.definition["short_help"]

    def get_long_help(self):
        return self.definition["long_help"]

    def get_flags(self):
        return 0

    def get_options_definition(self):
        return self.options

    def get_args_definition(self):
        args = self.definition["arguments"]
        if not args:
            return []
        return [[{"arg_type": getattr(lldb, a["arg_type"]), "repeat": a["repeat"]}
                 for a in args]]

    def get_repeat_command(self, command):
        return self.no_repeat

    def option_parsing_started(self):
        self.words = []

    def set_option_value(self, exe_ctx, opt_name, opt_value):
        self.words.append("--" + opt_name)
        if opt_name in self.takes_value:
            self.words.append(opt_value)
        return True

    def __call__(self, debugger, args, exe_ctx, result):
        words = [self.definition["name"]] + self.words
        words += [args.GetItemAtIndex(i).GetStringValue(1 << 20) for i in range(args.GetSize())]
        argv = (ctypes.c_char_p * len(words))(
            *[w.encode("utf-8", "surrogateescape") for w in words])
        _LIBRARY.heapy_lldb_run(_address(debugger), _address(result), len(words), argv)


def _register(debugger, module_name):
    definitions = json.loads(_LIBRARY.heapy_lldb_definitions().decode())
    interpreter = debugger.GetCommandInterpreter()
    for d in definitions["commands"]:
        class_name = "heapy_" + d["name"].replace("-", "_")
        globals()[class_name] = type(class_name, (_HeapyCommand,),
                                     {"definition": d, "no_repeat": definitions["no_repeat"]})
        result = lldb.SBCommandReturnObject()
        interpreter.HandleCommand("command script add -o -p -c %s.%s heapy %s"
                                  % (module_name, class_name, d["name"]), result, False)
        if not result.Succeeded():
            raise RuntimeError(result.GetError())


def __lldb_init_module(debugger, internal_dict):
    _register(debugger, __name__)
