"""A map of the inbox's submissions (`M` in the inbox): the neighbourhoods at their places with
their names, the submissions of the current filter as points coloured by status (or by
category, `c`), clusters with their count when zoomed out, the selected one highlighted with
its possible duplicates (same category within 500 m). Arrows pan, `+`/`-` zoom, `space`
selects the point nearest the centre, `enter` opens it in the inbox, `esc` goes back."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from console.api.client import ApiClient
from console.api.errors import ApiError
from console.api.models import Neighbourhood, Submission
from console.bindings import translate_bindings
from console.i18n import N_, _
from console.inbox import STATUS_LABELS
from console.mapview import Point, View, clusters, fit, nearest

STATUS_COLOURS = {
    "new": "red", "acknowledged": "orange", "in_progress": "blue", "resolved": "green",
    "rejected": "gray", "duplicate": "gray",
}  # fmt: skip
CATEGORY_COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red", "orange")


class MapScreen(Screen[int | None]):
    """Dismisses with the id of the submission to open, or None."""

    CSS_PATH = "map.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="map_back"),
        Binding("space", "select_nearest", N_("Nearest"), id="map_nearest"),
        Binding("enter", "open", N_("Open"), id="map_open"),
        Binding("plus,equals_sign", "zoom(0.6)", N_("Zoom in"), id="map_zoom_in"),
        Binding("minus", "zoom(1.6)", N_("Zoom out"), id="map_zoom_out"),
        Binding("c", "colours", N_("Colours"), id="map_colours"),
        Binding("left", "pan(-0.25, 0)", N_("Pan"), show=False, id="map_left"),
        Binding("right", "pan(0.25, 0)", N_("Pan"), show=False, id="map_right"),
        Binding("up", "pan(0, 0.25)", N_("Pan"), show=False, id="map_up"),
        Binding("down", "pan(0, -0.25)", N_("Pan"), show=False, id="map_down"),
    ]

    def __init__(
        self,
        client: ApiClient,
        submissions: list[Submission],
        neighbourhoods: list[Neighbourhood],
        languages: list[str],
        filter_label: str,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.subs = {s.id: s for s in submissions if s.lat is not None and s.lon is not None}
        self.points = [Point(s.lon, s.lat, s.id) for s in self.subs.values()]  # type: ignore[arg-type]
        self.hoods = [
            Point(n.lon, n.lat, None, n.name)
            for n in neighbourhoods
            if n.lat is not None and n.lon is not None
        ]
        self.languages = languages
        self.filter_label = filter_label
        self.view: View = fit(self.points or self.hoods)
        self.selected: int | None = None
        self.suggested: list[Submission] = []
        self.by_category = False

    def compose(self) -> ComposeResult:
        yield Static("", id="map-title")
        yield PlotextPlot(id="map-plot")
        yield Static("", id="map-status")
        yield Footer()

    def on_mount(self) -> None:
        self.draw()

    def on_resize(self) -> None:
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
        for hood in self.hoods:
            if self.view.contains(hood):
                plt.text(hood.label, hood.lon, hood.lat, color="gray", alignment="center")
        # Zoomed out, points close together become one with their count.
        cells = max(6, plot.size.width // 6)
        for cluster in clusters(self.points, self.view, cells):
            if len(cluster.points) == 1:
                sub = self.subs[cluster.points[0].key or 0]
                plt.scatter([cluster.lon], [cluster.lat], marker="●", color=self.colour(sub))
            else:
                plt.text(
                    str(len(cluster.points)), cluster.lon, cluster.lat,
                    color="white", background="blue", alignment="center",
                )  # fmt: skip
        for twin in self.suggested:
            if twin.lon is not None and twin.lat is not None:
                plt.scatter([twin.lon], [twin.lat], marker="◆", color="magenta")
        chosen = self.subs.get(self.selected or 0)
        if chosen is not None and chosen.lon is not None and chosen.lat is not None:
            plt.scatter([chosen.lon], [chosen.lat], marker="◉", color="white")
            plt.text(f"#{chosen.id}", chosen.lon, chosen.lat, color="white", alignment="left")
        plot.refresh()
        shown = sum(1 for p in self.points if self.view.contains(p))
        self.query_one("#map-title", Static).update(
            _("Map · {filter} · {n} in view").format(filter=self.filter_label, n=shown)
            + (" · " + _("colours: category") if self.by_category else "")
        )
        self.query_one("#map-status", Static).update(self.status_text())

    def status_text(self) -> str:
        chosen = self.subs.get(self.selected or 0)
        if chosen is None:
            return _("space: the nearest to the centre · arrows pan · + and - zoom")
        text = (
            f"#{chosen.id}  {chosen.category.label(self.languages)} · "
            f"{_(STATUS_LABELS.get(chosen.status, chosen.status))}"
        )
        if self.suggested:
            text += " · " + _("{n} possible duplicates within 500 m (◆)").format(
                n=len(self.suggested)
            )
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
        if self.selected is not None:
            self.dismiss(self.selected)

    def action_back(self) -> None:
        self.dismiss(None)
