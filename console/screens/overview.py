"""The organisation's neighbourhoods: name and total households, from the API."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from console import formats
from console.api.models import Neighbourhood
from console.i18n import N_, _, ngettext
from console.screens.base import SignedInScreen
from console.widgets.table import Table


class OverviewScreen(SignedInScreen):
    """First real screen: where the organisation can reach people."""

    CSS_PATH = "overview.tcss"
    NAVIGATION = "show_overview"
    BINDINGS = [
        Binding("f5", "reload", N_("Reload"), id="refresh"),
        Binding("slash", "filter", N_("Filter"), id="filter"),
        Binding("escape", "close_filter", N_("Clear filter"), show=False, id="close_filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.neighbourhoods: list[Neighbourhood] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="overview"):
            yield Static("", id="overview-title", markup=False)
            yield Input(placeholder=_("Filter neighbourhoods by name"), id="overview-filter")
            yield from self.compose_loading("overview")
            yield Table(id="overview-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="overview-summary")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_column(_("Neighbourhood"), key="name")
        table.add_column(_("Total households"), key="households")
        me = self.buurt.me
        title = _("Neighbourhoods of {organisation}").format(
            organisation=me.organisation.name if me else ""
        )
        self.query_one("#overview-title", Static).update(title)
        self.query_one("#overview-error").display = False
        table.focus()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_filter(self) -> None:
        box = self.query_one("#overview-filter", Input)
        box.add_class("open")
        box.focus()

    def action_close_filter(self) -> None:
        box = self.query_one("#overview-filter", Input)
        box.value = ""
        box.remove_class("open")
        self.query_one(DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "overview-filter":
            self.show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter keeps the filter and goes back to the table.
        if event.input.id == "overview-filter":
            self.query_one(DataTable).focus()

    @work(exclusive=True, group="overview")
    async def load(self) -> None:
        """Fetch the neighbourhoods in a worker; show loading and errors in place."""
        neighbourhoods = await self.fetch(self.buurt.client.all_neighbourhoods(), "overview")
        if neighbourhoods is None:
            return
        self.neighbourhoods = neighbourhoods
        self.show(self.query_one("#overview-filter", Input).value)

    def show(self, text: str = "") -> None:
        """Fill the table with the neighbourhoods whose name contains `text`."""
        table = self.query_one(DataTable)
        table.clear()
        needle = text.strip().lower()
        shown = [n for n in self.neighbourhoods if needle in n.name.lower()]
        for hood in shown:
            table.add_row(hood.name, formats.number(hood.total_households), key=str(hood.id))
        total = sum(n.total_households for n in shown)
        summary = ngettext(
            "{count} neighbourhood, {households} households in all",
            "{count} neighbourhoods, {households} households in all",
            len(shown),
        ).format(count=len(shown), households=formats.number(total))
        self.query_one("#overview-summary", Static).update(summary)
