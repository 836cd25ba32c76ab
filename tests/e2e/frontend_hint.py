"""The footer of a listing names the command for the next page in the front end's own words
('heapy more' in gdb and lldb, 'more' in the standalone command, issue 21 point 2), where heapy
says '_.more'. as_heapy() turns it back into heapy's, for comparing text with heapy's tables,
and the end of a listing's "('heapy all' shows it again)" into the standalone command's."""

import re

MORE_COMMAND = {"cli": "more", "gdb": "heapy more", "lldb": "heapy more"}
_FOOTER = re.compile(r"^(<.*Type e\.g\. ')(?:heapy more|more)(' .*>)$", re.M)
_AT_THE_END = re.compile(r"^(Nothing more: .*\(')heapy (all' shows it again\)\.)$", re.M)


def as_heapy(text):
    """`text` (a string or a list of lines) with every footer saying '_.more' as heapy's does."""
    if isinstance(text, list):
        return [as_heapy(line) for line in text]
    return _AT_THE_END.sub(r"\1\2", _FOOTER.sub(r"\1_.more\2", text))
