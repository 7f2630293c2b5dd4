"""A map of the inbox's submissions (`M` in the inbox): the neighbourhoods at their places with
their names, every submission of the current filter as a point coloured by status (or by
category, `c`), clusters with their count when zoomed out, the selected one highlighted with
its possible duplicates (same category within 500 m). Arrows pan, `+`/`-` zoom, `space`
selects the point nearest the centre (the `+`), `enter` opens it in the inbox, `esc` goes back.

The same screen picks a place for a report taken for a resident (`pick_place=True`): `enter`
then takes the centre of the view."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from console.api.client import ApiClient, SubmissionFilters
from console.api.errors import ApiError
from console.api.models import Submission
from console.api.vocabulary import STATUS_LABELS
from console.bindings import translate_bindings
from console.formats import number
from console.i18n import N_, _, ngettext
from console.mapview import Grid, Point, View, clusters, fit, nearest

STATUS_COLOURS = {
    "new": "red", "acknowledged": "orange", "in_progress": "blue", "resolved": "green",
    "rejected": "gray", "duplicate": "gray",
}  # fmt: skip
CATEGORY_COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red", "orange")
AT_MOST = 2000  # points on one map; the rest of a larger filter is named, not drawn


@dataclass(frozen=True)
class MapPick:
    """What the map was left with: a submission to open, or a place (the view's centre)."""

    lat: float
    lon: float
    submission_id: int | None = None


class MapScreen(Screen[MapPick | None]):
    """Dismisses with what was chosen, or None."""

    CSS_PATH = "map.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="map_back"),
        Binding("space", "select_nearest", N_("Nearest"), id="map_nearest"),
        Binding("enter", "open", N_("Open"), id="map_open"),
        Binding("plus,equals_sign", "zoom(0.6)", N_("Zoom in/out"), id="map_zoom_in"),
        Binding("minus", "zoom(1.6)", N_("Zoom out"), show=False, id="map_zoom_out"),
        Binding("c", "colours", N_("Colours"), id="map_colours"),
        Binding("left", "pan(-0.25, 0)", N_("Pan"), show=False, id="map_left"),
        Binding("right", "pan(0.25, 0)", N_("Pan"), show=False, id="map_right"),
        Binding("up", "pan(0, 0.25)", N_("Pan"), show=False, id="map_up"),
        Binding("down", "pan(0, -0.25)", N_("Pan"), show=False, id="map_down"),
    ]

    def __init__(
        self,
        client: ApiClient,
        filters: SubmissionFilters,
        filter_label: str,
        languages: list[str],
        *,
        pick_place: bool = False,
        centre: tuple[float, float] | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.filters = filters
        self.filter_label = filter_label
        self.languages = languages
        self.pick_place = pick_place
        self.centre = centre
        self.subs: dict[int, Submission] = {}
        self.points: list[Point] = []
        self.hoods: list[Point] = []
        self.more = False  # the filter has more than AT_MOST
        self.loaded = False
        self.problem = ""
        self.view: View = fit([])
        self.selected: int | None = None
        self.suggested: list[Submission] = []
        self.by_category = False

    def compose(self) -> ComposeResult:
        yield Static("", id="map-title", markup=False)
        yield PlotextPlot(id="map-plot")
        yield Static("", id="map-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.draw()
        self.load()

    def on_resize(self) -> None:
        self.view = self.view.shaped(*self.canvas())
        self.draw()

    def canvas(self) -> tuple[int, int]:
        """The drawing's size in cells, inside its frame."""
        size = self.query_one("#map-plot", PlotextPlot).size
        return size.width - 2, size.height - 2

    @work(exclusive=True, group="map-load")
    async def load(self) -> None:
        try:
            hoods = await self.client.all_neighbourhoods()
            subs, self.more = await self.client.submissions_for_map(self.filters, at_most=AT_MOST)
        except ApiError as error:
            self.problem = error.message
            self.draw()
            return
        self.hoods = [
            Point(n.lon, n.lat, None, n.name)
            for n in hoods
            if n.lat is not None and n.lon is not None
        ]
        self.subs = {s.id: s for s in subs if s.lat is not None and s.lon is not None}
        self.points = [Point(s.lon, s.lat, s.id) for s in self.subs.values()]  # type: ignore[arg-type]
        self.loaded = True
        aspect = self.view.shaped(*self.canvas()).aspect
        if self.centre is not None:
            span = fit(self.hoods, aspect).span / 4
            self.view = View(self.centre[1], self.centre[0], span, aspect)
        elif self.pick_place:
            self.view = fit(self.hoods, aspect)  # the whole city
        else:
            # The filter's points if there are any; the whole city otherwise.
            self.view = fit(self.points or self.hoods, aspect)
        self.draw()

    # -- drawing -------------------------------------------------------------------------

    def colour(self, sub: Submission) -> str:
        if self.by_category:
            codes = sorted({s.category.code for s in self.subs.values()})
            return CATEGORY_COLOURS[codes.index(sub.category.code) % len(CATEGORY_COLOURS)]
        return STATUS_COLOURS.get(sub.status, "white")

    def draw(self) -> None:
        plot = self.query_one("#map-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        west, east, south, north = self.view.bounds()
        plt.xlim(west, east)
        plt.ylim(south, north)
        plt.xticks([])
        plt.yticks([])
        # The frame takes a cell on each side; names go where nothing else is drawn.
        grid = Grid(self.view, *self.canvas())
        # Zoomed out, points close together become one with their count.
        for cluster in clusters(self.points, self.view, max(6, plot.size.width // 6)):
            if len(cluster.points) == 1:
                sub = self.subs[cluster.points[0].key or 0]
                plt.scatter([cluster.lon], [cluster.lat], marker="●", color=self.colour(sub))
                grid.place(cluster.lon, cluster.lat)
            else:
                count = str(len(cluster.points))
                plt.text(
                    count, cluster.lon, cluster.lat,
                    color="white", background="blue", alignment="center",
                )  # fmt: skip
                grid.take(cluster.lon, cluster.lat, count)
        for twin in self.suggested:
            if twin.lon is not None and twin.lat is not None:
                plt.scatter([twin.lon], [twin.lat], marker="◆", color="magenta")
                grid.place(twin.lon, twin.lat)
        chosen = self.subs.get(self.selected or 0)
        if chosen is not None and chosen.lon is not None and chosen.lat is not None:
            plt.scatter([chosen.lon], [chosen.lat], marker="◉", color="white")
            grid.place(chosen.lon, chosen.lat)
            tag = grid.take(chosen.lon, chosen.lat, f"#{chosen.id}")
            if tag is not None:
                plt.text(tag.text, *grid.coordinates(tag), color="white", alignment="center")
        plt.scatter([self.view.lon], [self.view.lat], marker="+", color="white")
        grid.place(self.view.lon, self.view.lat)
        for hood in self.hoods:
            if self.view.contains(hood):
                name = grid.take(hood.lon, hood.lat, hood.label)
                if name is not None:
                    plt.text(name.text, *grid.coordinates(name), color="gray", alignment="center")
        plot.refresh()
        self.query_one("#map-title", Static).update(self.title_text())
        self.query_one("#map-status", Static).update(self.status_text())

    def title_text(self) -> str:
        if self.pick_place:
            title = _("Where is it? Move the + to the place and press enter")
        else:
            shown = sum(1 for p in self.points if self.view.contains(p))
            title = _("Map · {filter} · {n} in view").format(
                filter=self.filter_label, n=number(shown)
            )
        if self.more:
            title += " · " + _("the newest {n} only").format(n=number(AT_MOST))
        if self.by_category:
            title += " · " + _("colours: category")
        return title

    def status_text(self) -> str:
        if self.problem:
            return self.problem
        if not self.loaded:
            return _("Loading the map…")
        chosen = self.subs.get(self.selected or 0)
        if chosen is None:
            keys = _("space: the nearest to the +  ·  arrows pan  ·  + and - zoom")
            if not self.points and not self.pick_place:
                return _("No submission of this list has a place.") + "  ·  " + keys
            return keys
        text = (
            f"#{chosen.id}  {chosen.category.label(self.languages)} · "
            f"{_(STATUS_LABELS.get(chosen.status, chosen.status))}"
        )
        if self.suggested:
            text += " · " + ngettext(
                "{n} possible duplicate within 500 m (◆)",
                "{n} possible duplicates within 500 m (◆)",
                len(self.suggested),
            ).format(n=len(self.suggested))
        if self.pick_place:
            return text
        return text + " · " + _("enter opens it")

    # -- keys ----------------------------------------------------------------------------

    def action_pan(self, dx: float, dy: float) -> None:
        self.view = self.view.panned(dx, dy)
        self.draw()

    def action_zoom(self, factor: float) -> None:
        self.view = self.view.zoomed(factor)
        self.draw()

    def action_colours(self) -> None:
        self.by_category = not self.by_category
        self.draw()

    def action_select_nearest(self) -> None:
        found = nearest(
            [p for p in self.points if self.view.contains(p)] or self.points,
            self.view.lon,
            self.view.lat,
        )
        if found is None or found.key is None:
            return
        self.selected = found.key
        self.suggested = []
        self.draw()
        self.load_suggestions(found.key)

    @work(exclusive=True, group="map-suggestions")
    async def load_suggestions(self, submission_id: int) -> None:
        try:
            found = await self.client.suggestions(submission_id)
        except ApiError as error:
            self.app.notify(error.message, severity="warning")
            return
        if self.selected == submission_id:
            self.suggested = [s.submission for s in found]
            self.draw()

    def action_open(self) -> None:
        if self.pick_place:
            self.dismiss(MapPick(self.view.lat, self.view.lon))
            return
        chosen = self.subs.get(self.selected or 0)
        if chosen is not None and chosen.lat is not None and chosen.lon is not None:
            self.dismiss(MapPick(chosen.lat, chosen.lon, chosen.id))

    def action_back(self) -> None:
        self.dismiss(None)
