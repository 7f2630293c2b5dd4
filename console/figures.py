"""The figures the dashboard and `buurt stats` show: the periods, the tiles and what each
tile says (formatted for the language in use). No widgets here: the command line imports
it without Textual."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from console import formats
from console.i18n import N_

if TYPE_CHECKING:  # the models (pydantic) are not imported by `buurt --help`
    from console.api.models import Overview

PERIODS = (
    ("7d", N_("last 7 days")),
    ("30d", N_("last 30 days")),
    ("90d", N_("last 90 days")),
    ("365d", N_("last year")),
)
# (tile id, label)
TILES: tuple[tuple[str, str], ...] = (
    ("registered", N_("Registered households")),
    ("active_7d", N_("Active, last 7 days")),
    ("contributors", N_("Contributors, last 30 days")),
    ("interactions", N_("Interactions per household")),
    ("posts", N_("Posts")),
    ("comments", N_("Comments")),
    ("reactions", N_("Reactions")),
    ("help", N_("Help requests (solved)")),
    ("helpers", N_("Neighbour helpers / volunteers")),
    ("activities", N_("Activities organised (RSVPs: interested / going)")),
    ("connections", N_("New connections")),
    ("encounters", N_("Offline encounters")),
    ("views", N_("City message views")),
    ("surveys", N_("Survey responses")),
    ("budget", N_("Proposals / votes")),
    ("channels", N_("New households: invitation / organic")),
)


def tile_values(o: Overview) -> dict[str, str]:
    """What each tile shows."""
    m = o.metrics
    n, percent = formats.number, formats.percent

    def both(a: str, b: str) -> str:
        return f"{n(m.get(a, 0))} / {n(m.get(b, 0))}"

    per_household = o.interactions_per_household
    return {
        "registered": f"{n(o.registered_households)}  ({percent(o.registered_share)})",
        "active_7d": f"{n(o.active_7d)}  ({percent(o.active_7d_share)})",
        "contributors": f"{n(o.contributors_30d)}  ({percent(o.contributors_30d_share)})",
        "interactions": formats.decimal(per_household),
        "posts": n(m.get("posts", 0)),
        "comments": n(m.get("comments", 0)),
        "reactions": n(m.get("reactions", 0)),
        "help": f"{n(m.get('help_requests', 0))}  ({percent(o.help_solved_share)})",
        "helpers": both("helpers", "volunteers"),
        "activities": f"{n(m.get('activities', 0))}  ({both('rsvp_interested', 'rsvp_attending')})",
        "connections": n(m.get("connections", 0)),
        "encounters": n(m.get("encounters", 0)),
        "views": n(m.get("message_views", 0)),
        "surveys": n(m.get("survey_responses", 0)),
        "budget": both("proposals", "votes"),
        "channels": both("registrations_invitation", "registrations_organic"),
    }


def nice_ticks(top: float, most: int = 6) -> list[float]:
    """Ticks for an axis from 0 to at least `top`: at most `most` of them, at a step of 1, 2
    or 5 times a power of ten (0, 5, 10, 15 — not 0, 8.3, 16.7 where a plotting library
    divides the range); counts never step below 1."""
    top = max(float(top), 1.0)
    raw = top / max(1, most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power * (most - 1) >= top)
    step = max(step, 1.0)
    count = math.ceil(top / step - 1e-9)
    return [i * step for i in range(count + 1)]


def tick_label(value: float) -> str:
    """A tick as the language writes numbers (1.000 in Dutch), decimals only when needed."""
    return formats.number(int(value)) if value == int(value) else formats.decimal(value)
