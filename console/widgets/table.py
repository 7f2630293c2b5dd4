"""The console's data table: text cells are shown as typed, never parsed as markup.

Textual's `DataTable` reads a `str` cell as Rich markup: a resident's proposal title holding
`[/]` raises MarkupError and kills the console, and `[link=…]` or `[@click=…]` would become
live. Every screen's table is this one, so no screen can forget.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey


def plain(cell: Any) -> Any:
    """A `str` cell as plain `Text`; anything else (already `Text`, a number) unchanged."""
    return Text(cell) if isinstance(cell, str) else cell


class Table(DataTable[Any]):
    """A `DataTable` whose `str` cells are plain text."""

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        return super().add_row(
            *(plain(cell) for cell in cells), height=height, key=key, label=plain(label)
        )

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)
