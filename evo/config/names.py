"""Names are data, not paths: the one place where a user-given name (a scenario, sweep, shift, feature or
metric name) becomes a file or directory name, and where names are made safe for a terminal.

:func:`path_component` keeps Unicode letters, digits, combining marks, symbols such as emoji and a few
harmless punctuation marks, and encodes every other character as ``%XX`` (``%uXXXX`` beyond one byte): path
separators, ``..``, control characters, NUL and ``%`` itself can never reach the file system raw, and two
different names never give the same component. :func:`terminal` escapes control characters (ESC, BEL,
newlines) before a name is printed. Standard library only.
"""

from __future__ import annotations

import unicodedata

from evo.errors import EvoError

#: punctuation kept as it is inside a path component (besides Unicode letters and digits)
_KEEP = frozenset("-_.+=,@ ()")
#: the longest component most file systems accept is 255 bytes; leave room for suffixes such as ".png"
MAX_COMPONENT_BYTES = 200


def _encode(ch: str) -> str:
    n = ord(ch)
    return f"%{n:02X}" if n < 0x100 else f"%u{n:04X}" if n < 0x10000 else f"%U{n:08X}"


def path_component(name: str, what: str = "name") -> str:
    """A single file or directory name for ``name``: never a separator, never ``.``/``..``, never hidden,
    no control characters; injective (different names give different components). ``what`` names the
    source in the error raised for an empty or over-long name."""
    if not isinstance(name, str) or not name:
        raise EvoError(f"{what}: expected a non-empty name, got {name!r}")
    out = []
    for i, ch in enumerate(name):
        cat = unicodedata.category(ch)
        printable = cat[0] in "LNM" or cat == "So"  # letters, digits, combining marks, emoji
        edge_space = ch == " " and i in (0, len(name) - 1)
        leading_dot = ch == "." and i == 0
        out.append(ch if (printable or ch in _KEEP) and not edge_space and not leading_dot else _encode(ch))
    text = "".join(out)
    if len(text.encode("utf-8")) > MAX_COMPONENT_BYTES:
        raise EvoError(f"{what}: expected a name of at most {MAX_COMPONENT_BYTES} bytes as a file name, "
                       f"got {len(text.encode('utf-8'))} bytes ({name[:40]!r}…)")
    return text


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control, format or unassigned character (ESC, NUL, newline, U+202E …)."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def terminal(text: object, keep: str = "") -> str:
    """``text`` safe to print: control characters (ESC sequences, BEL, newlines, bidi overrides) shown as
    escapes instead of acting on the terminal; the characters in ``keep`` (e.g. newline) pass."""
    s = str(text)
    if not has_control(s):
        return s
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if ch not in keep and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch
                   for ch in s)


def percent(fraction: float) -> str:
    """A fraction as a percentage with the fewest decimals that keep a non-zero value non-zero and a value
    below one below 100 % (1 agent in 200 is "0.5%", 199 in 200 "99.5%", not "0%" and "100%")."""
    digits = 0
    while digits < 4 and ((0 < fraction and round(fraction * 100, digits) == 0)
                          or (fraction < 1 and round(fraction * 100, digits) == 100)):
        digits += 1
    return f"{fraction * 100:.{digits}f}%"
