"""What a city may publish of a message's results: one decision, applied to every view.

Residents answered because no answer can be traced to their household. A figure of fewer
than 5 households of one neighbourhood is not shown ("< 5", the primary suppression), and a
figure that could be worked out from shown ones by subtraction (a total minus the others) is
held back too ("hidden", the secondary suppression, the smallest first). The decision is
taken over the whole message at once, not per screen: a view of one neighbourhood, the
city's table, the per-day series, the choices and the votes are all cut from the same
tables, so that no combination of them gives a suppressed figure back.

Two levels:

- `decide`: which neighbourhoods are suppressed as a whole, from each one's main count
  (responses, voters or ideas). A suppressed neighbourhood shows no figure anywhere.
- `suppress_cells`: within the neighbourhoods that are shown, which cells of a breakdown
  (days, a question's choices, votes per proposal) are held back, so that every row and
  every column that holds a held-back cell holds at least two unknowns (the suppressed
  neighbourhoods together count as one unknown in every column).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.schemas.participation import HIDDEN, SMALL, Shown

SMALL_BELOW = 5


def small(n: int) -> bool:
    """A count that could point at a household: 1 to 4 (0 points at no one)."""
    return 0 < n < SMALL_BELOW


def mark(n: int) -> Shown:
    """How a held-back count shows: "< 5" when it is small, else "hidden"."""
    return SMALL if small(n) else HIDDEN


@dataclass(frozen=True)
class Decision:
    """Which neighbourhoods of a message are suppressed, and whether the total is too."""

    counts: dict[int, int]
    suppressed: frozenset[int]
    # One neighbourhood alone would be the total: then the total is not shown either.
    total_hidden: bool

    def shown(self, hood: int) -> Shown:
        """The neighbourhood's main count as it may be shown."""
        n = self.counts.get(hood, 0)
        return mark(n) if hood in self.suppressed else n

    def total(self) -> Shown:
        """The message's total as it may be shown."""
        n = sum(self.counts.values())
        return mark(n) if self.total_hidden else n


def decide(counts: dict[int, int]) -> Decision:
    """Suppress every neighbourhood under 5; when that leaves one suppressed count that the
    total minus the others would give, the next smallest (non-zero) one as well; when there
    is none, the total."""
    suppressed = {hood for hood, n in counts.items() if small(n)}
    if len(suppressed) == 1:
        others = sorted((n, hood) for hood, n in counts.items() if hood not in suppressed and n)
        if others:
            suppressed.add(others[0][1])
    nonzero = [hood for hood in suppressed if counts[hood]]
    return Decision(dict(counts), frozenset(suppressed), total_hidden=len(nonzero) == 1)


@dataclass(frozen=True)
class Cells:
    """The cells of a breakdown held back, and the columns whose total is held back too
    (where the shown neighbourhoods could not protect a held-back cell)."""

    hidden: frozenset[tuple[int, str]]
    hidden_totals: frozenset[str]


def suppress_cells(
    table: dict[int, dict[str, int]],
    columns: list[str],
    decision: Decision,
    *,
    rows_add_up: bool,
) -> Cells:
    """Cells of a breakdown (neighbourhood x column: days, choices, proposals) to hold back.

    Every small cell of a shown neighbourhood is held back (primary); then, until nothing
    changes, a row (when its cells add up to a shown total, `rows_add_up`) or a column (whose
    city-wide total is shown) with exactly one unknown gets a second one: the smallest other
    cell, non-zero first. The suppressed neighbourhoods are one unknown in every column.
    """
    rows = sorted(hood for hood in decision.counts if hood not in decision.suppressed)
    group = 1 if decision.suppressed else 0

    def value(row: int, column: str) -> int:
        return table.get(row, {}).get(column, 0)

    def smallest(candidates: list[tuple[int, str]]) -> tuple[int, str] | None:
        if not candidates:
            return None
        return min(candidates, key=lambda rc: (value(*rc) == 0, value(*rc), rc))

    hidden = {(r, c) for r in rows for c in columns if small(value(r, c))}
    hidden_totals: set[str] = set()
    changed = True
    while changed:
        changed = False
        if rows_add_up:
            for r in rows:
                in_row = [c for c in columns if (r, c) in hidden]
                if len(in_row) == 1:
                    pick = smallest([(r, c) for c in columns if (r, c) not in hidden])
                    if pick is not None:
                        hidden.add(pick)
                        changed = True
        for c in columns:
            if c in hidden_totals:
                continue
            in_column = [r for r in rows if (r, c) in hidden]
            if len(in_column) + group == 1 and in_column:
                pick = smallest([(r, c) for r in rows if (r, c) not in hidden])
                if pick is None:
                    hidden_totals.add(c)  # one neighbourhood is the whole column
                else:
                    hidden.add(pick)
                changed = True
    return Cells(frozenset(hidden), frozenset(hidden_totals))
