"""Statistics: a metric over time, the neighbourhoods compared (sortable), topics of posts,
and sign-ups by invitation code versus organic; `x` saves the table as CSV."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table as RichTable
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Select, Static
from textual_plotext import PlotextPlot

from console import csvcells, formats
from console.api.errors import ApiError
from console.api.models import NeighbourhoodStats, Overview, TimeSeries
from console.api.stream import LiveEvent
from console.figures import nice_ticks, tick_label
from console.i18n import N_, _
from console.screens.base import SignedInScreen
from console.screens.periods import ChoosingPeriod
from console.widgets.table import Table

METRICS = (
    ("posts", N_("Posts")),
    ("reactions", N_("Reactions")),
    ("comments", N_("Comments")),
    ("registrations", N_("New households")),
    ("help_requests", N_("Help requests")),
    ("message_views", N_("City message views")),
)
COLUMNS = (
    ("name", N_("Neighbourhood")),
    ("total_households", N_("Households")),
    ("registered_households", N_("Registered")),
    ("registered_share", N_("Share")),
    ("active_7d_share", N_("Active, last 7 days")),
    ("posts", N_("Posts")),
    ("interactions_per_household", N_("Interactions per household")),
    ("new_households", N_("New households")),
)


LIVE_RELOAD_SECONDS = 3.0


class StatisticsScreen(ChoosingPeriod, SignedInScreen):
    """Charts and comparisons, aggregated on the server before they reach the screen."""

    CSS_PATH = "statistics.tcss"
    NAVIGATION = "show_statistics"
    BINDINGS = [
        Binding("p", "next_period", N_("Period"), id="stats_period"),
        Binding("n", "next_metric", N_("Metric"), id="stats_metric"),
        Binding("s", "next_sort", N_("Sort"), id="stats_sort"),
        Binding("x", "export", N_("Export CSV"), id="stats_export"),
        Binding("f5", "reload", N_("Reload"), id="reload_stats"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.metric_index = 0
        self.sort_index = 3
        self.rows: list[NeighbourhoodStats] = []
        self.hood: int | None = None  # the neighbourhood chosen in the selector, or all
        self.overview: Overview | None = None
        self.series: TimeSeries | None = None
        self._live_reload: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="statistics"):
            with Horizontal(id="stats-head"):
                yield Static("", id="stats-title")
                yield Select[int]([], prompt=_("All neighbourhoods"), id="stats-hood")
            yield Static("", id="stats-error", markup=False)
            with Horizontal(id="stats-charts"):
                yield PlotextPlot(id="series-plot")
                yield PlotextPlot(id="bars-plot")
            with Horizontal(id="stats-bottom"):
                # The names stay in view when a narrow terminal scrolls the figures sideways.
                yield Table(
                    id="stats-table", cursor_type="row", zebra_stripes=True, fixed_columns=1
                )
                with Vertical(id="stats-side"):
                    yield Static(_("Topics of posts"), classes="box-title")
                    yield Static("", id="topics")
                    yield Static(_("New households by channel"), classes="box-title")
                    yield Static("", id="channels")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        self.show_table()
        self.query_one("#stats-error").display = False
        table.focus()
        self.load_hoods()
        self.load()
        self.buurt.subscribe(self.on_live_event)

    def on_unmount(self) -> None:
        self.buurt.unsubscribe(self.on_live_event)

    def on_live_event(self, event: LiveEvent) -> None:
        """Activity moves the figures: read them again, at most every few seconds (they are
        aggregated on the server; a burst of events is one reload)."""
        if event.type not in ("stats.delta", "message.published") or self._live_reload:
            return
        self._live_reload = self.set_timer(LIVE_RELOAD_SECONDS, self._reload_live)

    def _reload_live(self) -> None:
        self._live_reload = None
        self.load()

    @work(exclusive=True, group="statistics-hoods")
    async def load_hoods(self) -> None:
        try:
            hoods = await self.buurt.client.all_neighbourhoods()
        except ApiError as problem:
            # The selector stays at "all": say why it offers nothing else.
            self.app.notify(
                _("The neighbourhoods could not be loaded: {reason}").format(
                    reason=problem.message
                ),
                severity="warning",
            )
            return
        if self.left:
            return
        # Names as plain text: a `[` in one is not markup.
        self.query_one("#stats-hood", Select).set_options([(Text(h.name), h.id) for h in hoods])

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "stats-hood":
            self.hood = event.value if isinstance(event.value, int) else None
            self.load()

    def action_next_metric(self) -> None:
        self.metric_index = (self.metric_index + 1) % len(METRICS)
        self.load()

    def action_next_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(COLUMNS)
        self.show_table()

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group="statistics")
    async def load(self) -> None:
        metric, label = METRICS[self.metric_index]
        self.query_one("#stats-title", Static).update(
            _("Statistics · {period}").format(period=self.period_label)
        )
        granularity = "day" if self.period in ("7d", "30d") else "week"
        try:
            overview, series = await self._fetch(metric, granularity)
        except ApiError as problem:
            if not self.left:
                self._show_error(problem)
            return
        if self.left:
            return
        self.query_one("#stats-error").display = False
        self.overview, self.series = overview, series
        self._draw_series(series, label, granularity)
        self._draw_shares()
        self._show_topics(overview)
        self.show_table()

    async def _fetch(self, metric: str, granularity: str) -> tuple[Overview, TimeSeries]:
        """The figures, the comparison rows (kept in `rows`) and the metric's series."""
        client = self.buurt.client
        # The chosen neighbourhood narrows the figures and the chart; the comparison
        # table keeps every neighbourhood.
        chosen = [self.hood] if self.hood is not None else None
        overview = await client.stats_overview(period=self.period, neighbourhoods=chosen)
        self.rows = await client.stats_neighbourhoods(period=self.period)
        series = await client.stats_timeseries(
            metric, granularity=granularity, period=self.period, neighbourhoods=chosen
        )
        return overview, series

    def _show_error(self, problem: ApiError) -> None:
        error = self.query_one("#stats-error", Static)
        error.update(problem.message)
        error.display = True
        self.buurt.report_connection(problem)

    def _draw_series(self, series: TimeSeries, label: str, granularity: str) -> None:
        """The metric over time, its y axis from 0 at round steps."""
        points = series.series.get("total", [])
        # The server aggregated already: a handful of points, one redraw per load.
        plot = self.query_one("#series-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(
            _("{metric} per {unit}: {total} in all").format(
                metric=_(label),
                unit=_("day") if granularity == "day" else _("week"),
                total=formats.number(sum(p.value for p in points)),
            )
        )
        if points:
            xs: list[float] = [float(i) for i in range(len(points))]
            values = [p.value for p in points]
            plt.plot(xs, values, marker="braille")
            step = max(1, len(points) // 5)
            plt.xticks(xs[::step], [p.bucket[5:] for p in points][::step])
            # From 0, at round even steps (plotext divides the range: 1, 4.7, 8.3...).
            ticks = nice_ticks(max(values))
            plt.ylim(0, ticks[-1])
            plt.yticks(ticks, [tick_label(t) for t in ticks])
        plot.refresh()

    def _draw_shares(self) -> None:
        """The twelve neighbourhoods with the most households registered, as bars."""
        bars = self.query_one("#bars-plot", PlotextPlot)
        top = sorted(self.rows, key=lambda r: -(r.registered_share or 0))[:12]
        bars.plt.clear_data()
        bars.plt.clear_figure()
        bars.plt.title(_("Share of households registered"))
        if top:
            shares = [round((r.registered_share or 0) * 100, 1) for r in top]
            bars.plt.bar([r.name for r in top], shares, orientation="horizontal", width=0.3)
            ticks = nice_ticks(max(shares), most=5)
            bars.plt.xlim(0, ticks[-1])
            bars.plt.xticks(ticks, [tick_label(t) for t in ticks])
        bars.refresh()

    def _show_topics(self, overview: Overview) -> None:
        """The ten topics most posted about, and how households registered."""
        languages = self.buurt.preferred_languages()
        # A table: in a narrow column the names wrap and the counts stay in theirs.
        topics = RichTable(box=None, show_header=False, pad_edge=False, expand=True)
        topics.add_column(ratio=1)
        topics.add_column(justify="right", no_wrap=True)
        for code, n in list(overview.topics.items())[:10]:
            topics.add_row(Text(overview.topic_label(code, languages)), formats.number(n))
        self.query_one("#topics", Static).update(topics if overview.topics else _("No posts yet."))
        m = overview.metrics
        self.query_one("#channels", Static).update(
            _("Invitation code: {invitation}\nOrganic: {organic}").format(
                invitation=formats.number(m.get("registrations_invitation", 0)),
                organic=formats.number(m.get("registrations_organic", 0)),
            )
        )

    def sorted_rows(self) -> list[NeighbourhoodStats]:
        """The neighbourhoods in the order the table shows them (and the CSV writes them):
        by the sort column, highest first (names A to Z), rows without a figure last."""
        key, _label = COLUMNS[self.sort_index]
        descending = key != "name"
        rows = sorted(
            self.rows,
            key=lambda r: (
                getattr(r, key) is None,
                getattr(r, key) or 0 if key != "name" else r.name,
            ),
            reverse=descending,
        )
        if descending:  # keep the "no data" rows last
            rows = [r for r in rows if getattr(r, key) is not None] + [
                r for r in rows if getattr(r, key) is None
            ]
        return rows

    def show_table(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row  # a live reload keeps the person's place
        # The sorted column says so: ▼ highest first, ▲ A to Z.
        table.clear(columns=True)
        for index, (key, label) in enumerate(COLUMNS):
            mark = ("▲" if key == "name" else "▼") if index == self.sort_index else ""
            table.add_column(f"{_(label)} {mark}".strip(), key=key)
        for r in self.sorted_rows():
            table.add_row(
                r.name,
                formats.number(r.total_households),
                formats.number(r.registered_households),
                formats.percent(r.registered_share),
                formats.percent(r.active_7d_share),
                formats.number(r.posts),
                formats.decimal(r.interactions_per_household),
                formats.number(r.new_households),
                key=str(r.id),
            )
        if 0 < row < table.row_count:
            table.move_cursor(row=row)
        self.call_after_refresh(self.reveal_sorted_column)

    def reveal_sorted_column(self) -> None:
        """Scroll the table sideways so that the column it is sorted by is in view."""
        table = self.query_one(DataTable)
        widths = [column.get_render_width(table) for column in table.ordered_columns]
        if not widths:
            return
        visible = table.scrollable_content_region.width - widths[0]  # the names stay
        right = sum(widths[1 : self.sort_index + 1])
        table.scroll_to(x=max(0, right - visible), animate=False)

    def action_export(self) -> None:
        path = Path.cwd() / f"buurt-stats-{self.period}-{formats.file_stamp()}.csv"
        try:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csvcells.Writer(handle)
                writer.writerow([key for key, _label in COLUMNS])
                for r in self.sorted_rows():
                    writer.writerow([getattr(r, key) for key, _label in COLUMNS])
        except OSError as error:
            self.app.notify(str(error), severity="error")
            return
        self.app.notify(_("Saved {path}.").format(path=path))
