"""How numbers, shares and moments are written for people.

Numbers follow the language in use, with Babel's CLDR data (40.700 and 53,4% in Dutch,
40 700 in French, 40,700 in English). Moments are always shown in the municipality's time
zone, whatever the machine's clock says: `use_timezone` is called once the signed-in
account (and so its municipality) is known. Files and JSON get ISO 8601 with the offset.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.i18n import current_language

# The language's Belgian variant where there is one: the municipalities are Belgian.
LOCALES = {"en": "en_GB", "nl": "nl_BE", "fr": "fr_BE"}
DEFAULT_TIMEZONE = "Europe/Brussels"
DASH = "–"

_zone = ZoneInfo(DEFAULT_TIMEZONE)


def zone(name: str | None) -> ZoneInfo:
    """A time zone by name (the default one when unknown or empty)."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def use_timezone(name: str | None) -> None:
    """Show every moment from now on in this zone (the municipality's)."""
    global _zone
    _zone = zone(name)


def current_timezone() -> ZoneInfo:
    """The zone moments are shown in."""
    return _zone


def _locale() -> str:
    return LOCALES.get(current_language(), "en_GB")


def number(value: int | None) -> str:
    """A whole number with the language's grouping: 40.700, 40 700, 40,700."""
    # Babel is imported when a number is first written: a command that writes none (`buurt
    # --help`, `whoami`) does not wait for it.
    from babel.numbers import format_decimal

    return DASH if value is None else format_decimal(value, locale=_locale())


def decimal(value: float | None, digits: int = 1) -> str:
    """A number with `digits` decimals: 3,1 or 3.1."""
    from babel.numbers import format_decimal

    if value is None:
        return DASH
    return format_decimal(value, format="#,##0." + "0" * digits, locale=_locale())


def percent(share: float | None) -> str:
    """A share (0…1) as a percentage with one decimal: 53,4% or 53.4%."""
    from babel.numbers import format_percent

    return DASH if share is None else format_percent(share, "#,##0.0%", locale=_locale())


def local(value: datetime) -> datetime:
    """The moment in the municipality's zone (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(_zone)


def moment(value: datetime | None) -> str:
    """Day, month in letters, year and time, as the language writes them, in the
    municipality's zone: 2 Jan 2030 06:00, 2 janv. 2030 06:00 (never 02/01, read two ways)."""
    from babel.dates import format_skeleton

    if value is None:
        return DASH
    when = local(value)
    return f"{format_skeleton('yMMMd', when, tzinfo=_zone, locale=_locale())} {when:%H:%M}"


def day_and_time(value: datetime | None) -> str:
    """A short day and time for narrow columns (29 nov. 14:05)."""
    from babel.dates import format_skeleton

    if value is None:
        return DASH
    when = local(value)
    return f"{format_skeleton('MMMd', when, tzinfo=_zone, locale=_locale())} {when:%H:%M}"


def clock(value: datetime | None) -> str:
    """The time of day with seconds (14:05:09), in the municipality's zone."""
    return DASH if value is None else f"{local(value):%H:%M:%S}"


def file_stamp() -> str:
    """Now in the municipality's zone, for a file name: 20261207-0620 (not the machine's
    clock, which on a server is UTC)."""
    return datetime.now(_zone).strftime("%Y%m%d-%H%M")


def iso(value: datetime | None) -> str:
    """ISO 8601 with the offset, in the municipality's zone: 2026-11-29T14:05:09+01:00."""
    return "" if value is None else local(value).isoformat(timespec="seconds")
