"""Text from the server made inert for a terminal, at the client's edge.

Everything a resident, a script or another organisation wrote reaches staff terminals. A
description can carry terminal escapes (OSC 52 writes the clipboard, OSC 0 retitles the
window, CSI wipes the screen), C1 controls and bidi overrides that reorder what is read.
`ApiClient` passes every string of every answer through `inert` before a screen or a
command sees it, so none can forget: such characters become visible marks (caret notation
as `gh` and `less` show them, `^[` for ESC; `<U+202E>` for the others), so staff see that
something odd was sent and nothing is silently dropped. Newlines and tabs stay.

Markup is a separate matter: `[`, `]` stay as typed here; screens and commands show data as
Rich `Text` (never parsed as markup).
"""

from __future__ import annotations

import re
from typing import Any

# C0 except \t and \n, DEL, C1, the bidi embeddings, overrides, isolates and marks, and the
# line and paragraph separators (which some terminals treat as newlines).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _mark(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return "^" + chr(code + 0x40)  # ESC -> ^[, BEL -> ^G, CR -> ^M
    if code == 0x7F:
        return "^?"
    return f"<U+{code:04X}>"


def inert(text: str) -> str:
    """`text` with every control, bidi and separator character shown as an inert mark."""
    return _UNSAFE.sub(_mark, text)


def inert_data(value: Any) -> Any:
    """Decoded JSON with every string (keys too) made inert."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, list):
        return [inert_data(item) for item in value]
    if isinstance(value, dict):
        return {inert(k) if isinstance(k, str) else k: inert_data(v) for k, v in value.items()}
    return value


def inert_csv(text: str) -> str:
    """CSV text made inert line by line (its `\\r\\n` line ends kept)."""
    return "\r\n".join(inert(line) for line in text.split("\r\n"))
