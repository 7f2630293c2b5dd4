"""Dashboard: the key figures as tiles, moving live with the stream; new reports and ideas;
recent city messages with their views. Counts and city content only, never resident text."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Static

from console import formats
from console import results as participation
from console.api.errors import ApiError
from console.api.models import Message, Overview, Page, SubmissionCounts
from console.figures import TILES, tile_values
from console.frames import drawn
from console.i18n import N_, _
from console.screens.base import SignedInScreen
from console.screens.periods import ChoosingPeriod
from console.widgets.table import Table

if TYPE_CHECKING:  # the stream's module brings httpx, which the first frame does without
    from console.api.stream import LiveEvent

REFRESH_SECONDS = 20.0
OPEN_KINDS = ("survey", "citizen_budget")


async def none() -> None:
    """Nothing to ask (a figure this person may not read)."""
    return None


class DashboardScreen(ChoosingPeriod, SignedInScreen):
    """Live figures of the organisation's neighbourhoods."""

    CSS_PATH = "dashboard.tcss"
    # Below 110 columns three tiles a row: four left 13 columns for a label, and Dutch and
    # French words ("Geregistreerde", "(inschrijvingen)") broke in the middle.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    NAVIGATION = "show_dashboard"
    BINDINGS = [
        Binding("p", "next_period", N_("Period"), id="period"),
        Binding("f5", "reload", N_("Reload"), id="reload_dashboard"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overview: Overview | None = None
        self.shown_period: str | None = None
        self.new_submissions = 0
        self._participation_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        # Scrolls when the terminal is too short for every tile and panel (80 by 24).
        with VerticalScroll(id="dashboard"):
            yield Static("", id="dashboard-title", markup=False)
            yield Static("", id="dashboard-error", markup=False)
            with Grid(id="tiles"):
                for tile_id, label in TILES:
                    with Vertical(classes="tile", id=f"tile-{tile_id}"):
                        yield Static(_(label), classes="tile-label")
                        yield Static("…", classes="tile-value", id=f"value-{tile_id}")
            with Horizontal(id="dashboard-bottom"):
                with Vertical(id="inbox-box"):
                    yield Static(_("New reports and ideas"), classes="box-title")
                    yield Static("…", id="inbox-count")
                with Vertical(id="recent-box"):
                    yield Static(_("Recent city messages"), classes="box-title")
                    yield Table(id="recent-messages", show_cursor=False)
            with Vertical(id="participation-box"):
                yield Static(_("Open surveys and budgets"), classes="box-title")
                yield Table(id="participation", show_cursor=False)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#recent-messages", DataTable)
        table.add_column(_("Title"), key="title")
        table.add_column(_("Reach"), key="reach")
        table.add_column(_("Views"), key="views")
        self.query_one("#dashboard-error").display = False
        taking_part = self.query_one("#participation", DataTable)
        taking_part.add_column(_("Title"), key="title")
        taking_part.add_column(_("Taking part"), key="count")
        taking_part.add_column(_("Of the households reached"), key="rate")
        taking_part.add_column(_("Closes"), key="closes")
        self.query_one("#participation-box").display = False
        self.load()
        self.load_participation()
        self.buurt.subscribe(self.on_live_event)
        # Distinct counts (weekly active, contributors) are not deltas: re-read them now and then.
        self.set_interval(REFRESH_SECONDS, self.load)

    def on_unmount(self) -> None:
        self.buurt.unsubscribe(self.on_live_event)

    def _participation_soon(self) -> None:
        # Answers come in bursts: read the rates again at most every few seconds.
        if self._participation_timer is None:
            self._participation_timer = self.set_timer(3.0, self._participation_now)

    def _participation_now(self) -> None:
        self._participation_timer = None
        self.load_participation()

    def action_reload(self) -> None:
        self.load()
        self.load_participation()

    def _title(self, read_at: datetime | None = None, *, updating: bool = True) -> None:
        me = self.buurt.me
        title = _("{organisation} · {period}").format(
            organisation=me.organisation.name if me else "",
            period=self.period_label,
        )
        if read_at is not None:
            kept = _("figures of {time}, updating…") if updating else _("figures of {time}")
            title += " · " + kept.format(time=formats.day_and_time(read_at))
        self.query_one("#dashboard-title", Static).update(title)

    @work(exclusive=True, group="dashboard")
    async def load(self) -> None:
        me = self.buurt.me
        period = self.period
        memory = self.buurt.last_seen()
        kept = memory.figures(period) if memory and self.shown_period != period else None
        if kept is not None:
            # The last figures of this period at once, marked with their time; fresh ones follow.
            self._draw(*kept[1:])
        self._title(kept[0] if kept else None)
        if kept is not None:
            await drawn(self)  # the remembered figures on screen before asking
        client = self.buurt.client  # made, at the first start, after that frame
        error = self.query_one("#dashboard-error", Static)
        inbox = bool(me and me.may_read_inbox)
        self.query_one("#inbox-box").display = inbox
        try:
            # The three at once: the first frame waits for the slowest, not for their sum.
            overview, counts, messages = await asyncio.gather(
                client.stats_overview(period=self.period),
                client.submission_counts() if inbox else none(),
                client.messages(state="published", limit=5),
            )
        except ApiError as problem:
            error.update(problem.message)
            error.display = True
            self.buurt.report_connection(problem)
            if kept:
                self._title(kept[0], updating=False)
            return
        if self.left:
            return  # the person went elsewhere while the figures came
        error.display = False
        self._title()
        self._draw(overview, counts, messages)
        if memory:
            memory.keep_figures(period, overview, counts, messages)

    @work(exclusive=True, group="dashboard-participation")
    async def load_participation(self) -> None:
        """The surveys and budgets still open, with how many took part so far."""
        await drawn(self)  # the key figures' frame first
        client = self.buurt.client
        try:
            pages = await asyncio.gather(
                *(client.messages(state="published", kind=k, limit=10) for k in OPEN_KINDS)
            )
            messages = [m for page in pages for m in page.items if m.closed_at is None]
            found = await asyncio.gather(*(client.results(m.id) for m in messages))
        except ApiError:
            return  # the rest of the dashboard says what is wrong with the connection
        if self.left:
            return
        table = self.query_one("#participation", DataTable)
        table.clear()
        for message, results in zip(messages, found, strict=True):
            if not results.open:
                continue
            table.add_row(
                message.title_for(self.buurt.preferred_languages())[:40],
                participation.count(results.count),
                formats.percent(results.rate) if results.rate is not None else "–",
                formats.day_and_time(results.closes_at),
                key=str(message.id),
            )
        self.query_one("#participation-box").display = table.row_count > 0

    def _draw(
        self, overview: Overview, counts: SubmissionCounts | None, messages: Page[Message]
    ) -> None:
        self.overview = overview
        self.shown_period = self.period
        self.new_submissions = counts.by_status.get("new", 0) if counts else 0
        self.show(overview)
        table = self.query_one("#recent-messages", DataTable)
        table.clear()
        for m in messages.items:
            table.add_row(
                m.title_for(self.buurt.preferred_languages())[:40],
                formats.number(m.reach_registered),
                formats.number(m.views),
                key=str(m.id),
            )

    def show(self, overview: Overview, changed: set[str] | None = None) -> None:
        for tile_id, value in tile_values(overview).items():
            self.query_one(f"#value-{tile_id}", Static).update(value)
            if changed and tile_id in changed:
                tile = self.query_one(f"#tile-{tile_id}")
                tile.add_class("changed")
                self.set_timer(1.2, lambda t=tile: t.remove_class("changed"))
        self.query_one("#inbox-count", Static).update(
            _("{n} new, waiting for a first response").format(
                n=formats.number(self.new_submissions)
            )
        )

    def on_live_event(self, event: LiveEvent) -> None:
        """Apply a change as it happens, and show which tiles moved."""
        if event.type == "submission.created":
            self.new_submissions += 1
            self.query_one("#inbox-count", Static).update(
                _("{n} new, waiting for a first response").format(
                    n=formats.number(self.new_submissions)
                )
            )
            return
        if event.type == "message.published":
            self.load()
            self.load_participation()
            return
        if event.type == "results.updated":
            self._participation_soon()
            return
        if event.type != "stats.delta" or self.overview is None:
            return
        as_of = self.overview.as_of_event
        if as_of is not None and event.id.isdigit() and int(event.id) <= as_of:
            return  # a reload read the figures after this change: it is counted already
        deltas: dict[str, Any] = event.data.get("metrics", {})
        metrics = dict(self.overview.metrics)
        for name, n in deltas.items():
            metrics[name] = (metrics.get(name) or 0) + int(n)
        registered = self.overview.registered_households + int(deltas.get("registrations", 0))
        interactions = sum(metrics.get(k) or 0 for k in ("posts", "comments", "reactions"))
        helped, asked = metrics.get("help_solved") or 0, metrics.get("help_requests") or 0
        self.overview = self.overview.model_copy(
            update={
                "metrics": metrics,
                "registered_households": registered,
                "interactions": interactions,
                "interactions_per_household": round(interactions / registered, 2)
                if registered
                else None,
                "help_solved_share": round(helped / asked, 4) if asked else None,
            }
        )
        changed = {tile for tile, keys in TILE_METRICS.items() if keys & set(deltas)}
        self.show(self.overview, changed)


TILE_METRICS: dict[str, set[str]] = {
    "registered": {"registrations"},
    "posts": {"posts"},
    "comments": {"comments"},
    "reactions": {"reactions"},
    "interactions": {"posts", "comments", "reactions"},
    "help": {"help_requests", "help_solved"},
    "helpers": {"helpers", "volunteers"},
    "activities": {"activities", "rsvp_interested", "rsvp_attending"},
    "connections": {"connections"},
    "encounters": {"encounters"},
    "views": {"message_views"},
    "surveys": {"survey_responses"},
    "budget": {"proposals", "votes"},
    "channels": {"registrations_invitation", "registrations_organic"},
}
