"""How numbers are written for people, the same in every language."""

from __future__ import annotations


def format_number(value: int | None) -> str:
    """Thousands with a narrow no-break space: 40 700 (readable in nl, fr and en alike)."""
    if value is None:
        return "–"
    return f"{value:,}".replace(",", "\u202f")
