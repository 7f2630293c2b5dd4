"""The one CSV writer of the server's exports: a spreadsheet opens them as data, never runs them.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`: OWASP's "CSV
injection"). Every text cell that starts so gets a leading `'`, which spreadsheets read as
"this is text" and do not show; numbers (int and float values, a negative one too) are
written as numbers. Every export (`/v1/submissions/export.csv`, a message's `results.csv`
and `open-answers.csv`) writes its rows through `Writer`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPE = "text/csv; charset=utf-8"


def cell(value: Any) -> Any:
    """`value` as a CSV cell: None empty, a number (or bool) as it is, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Writer:
    """`csv.writer` whose every cell goes through `cell`."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])


def attachment(filename: str) -> dict[str, str]:
    """The header that makes a CSV a download named `filename`."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def download(text: str, filename: str) -> Response:
    """A CSV made in memory, as a download."""
    return Response(text, media_type=MEDIA_TYPE, headers=attachment(filename))
