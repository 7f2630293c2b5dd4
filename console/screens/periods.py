"""What a screen of figures over a period does: its period key moves to the next of
console.figures.PERIODS and reads the figures again."""

from __future__ import annotations

from console.figures import PERIODS
from console.i18n import _


class ChoosingPeriod:
    """Mixed into a screen that has a `load()` of its figures for `period`."""

    period_index = 1  # the last 30 days to start with

    def load(self) -> object:
        """Read the figures again for `period` (each screen has its own)."""
        raise NotImplementedError

    @property
    def period(self) -> str:
        """The period's code, as the server's `period` parameter takes it."""
        return PERIODS[self.period_index][0]

    @property
    def period_label(self) -> str:
        """The period in words, translated."""
        return _(PERIODS[self.period_index][1])

    def action_next_period(self) -> None:
        self.period_index = (self.period_index + 1) % len(PERIODS)
        self.load()
