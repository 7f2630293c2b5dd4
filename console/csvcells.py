"""CSV that a spreadsheet does not run: every CSV the console writes goes through here.

A resident's name `=HYPERLINK("http://evil.example","x")` or an open answer
`=cmd|' /C calc'!A0` is evaluated by Excel and LibreOffice when staff open the file (OWASP
"CSV injection"). A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return gets a leading `'`, which spreadsheets read as "this is text". Numbers stay numbers:
a negative count is not text. The server's exports follow the same rule.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def cell(value: Any) -> Any:
    """The value as a spreadsheet may safely read it."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class Writer:
    """`csv.writer` whose every row is made safe."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([cell(value) for value in row])


class DictWriter:
    """`csv.DictWriter` whose every row is made safe."""

    def __init__(self, handle: IO[str], fieldnames: Sequence[str]) -> None:
        self._writer = csv.DictWriter(handle, fieldnames=fieldnames)

    def writeheader(self) -> None:
        """Write the header line."""
        self._writer.writeheader()

    def writerow(self, row: dict[str, Any]) -> None:
        """Write one row."""
        self._writer.writerow({key: cell(value) for key, value in row.items()})
