"""The server's clock and the municipality's calendar.

Every "now" of the server comes from `now()`, so that tests can set the date (a Monday, the
1st of a month, the day summer time starts) instead of sleeping or depending on the day
they run. A day, week or month is always the municipality's, in its own time zone: an event
at 00:30 in Brussels belongs to that day, whatever offset its sender wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_fixed: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware in UTC (the fixed time while a test holds one)."""
    return _fixed if _fixed is not None else datetime.now(UTC)


@contextmanager
def fixed(at: datetime) -> Iterator[None]:
    """Hold the clock at `at` (aware) for the duration: for tests of days and expiry."""
    global _fixed
    previous, _fixed = _fixed, at.astimezone(UTC)
    try:
        yield
    finally:
        _fixed = previous


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The time zone of that name (cached: a city's zone is asked for on every event)."""
    return ZoneInfo(name)


def local_day(at: datetime, timezone: str) -> date:
    """The municipality's calendar day of a moment."""
    return at.astimezone(zone(timezone)).date()


def today(timezone: str) -> date:
    """Today in the municipality."""
    return local_day(now(), timezone)


def first_day(days: int | None, timezone: str) -> date | None:
    """The first day of a period of `days` days ending today (the municipality's); None for
    all time."""
    return today(timezone) - timedelta(days=days - 1) if days else None
