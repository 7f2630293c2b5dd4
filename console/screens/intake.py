"""A report or idea taken for a resident who phoned, came to the desk or e-mailed (`N` in
the inbox). What was typed stays when the server refuses it; saving twice (a retry after a
lost answer) creates one submission, by the key drawn when the form opened. The place may be
a point picked on the map, where the open items show whether it was reported already."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from console.api.client import ApiClient, SubmissionFilters
from console.api.errors import ApiError
from console.api.models import Category, Neighbourhood, Submission
from console.api.vocabulary import CHANNEL_CHOICES
from console.bindings import translate_bindings
from console.i18n import LANGUAGE_NAMES, N_, _
from console.screens.confirm import discard_then
from console.screens.map import MapScreen
from console.widgets.field_error import clear_refusals, refuse


class IntakeScreen(ModalScreen[Submission | None]):
    """Dismisses with the submission made, or None."""

    CSS_PATH = "intake.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), priority=True, id="save_intake"),
        Binding("escape", "cancel", N_("Cancel"), id="cancel_intake"),
    ]

    def __init__(
        self,
        client: ApiClient,
        categories: list[Category],
        neighbourhoods: list[Neighbourhood],
        languages: list[str],
        preferred: list[str],
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.categories = categories
        self.neighbourhoods = neighbourhoods
        self.languages = languages
        self.preferred = preferred
        self.key = uuid.uuid4().hex  # one submission however often it is sent
        self.point: tuple[float, float] | None = None  # (lat, lon) picked on the map

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="intake-box"):
            yield Static(_("A report or idea taken for a resident"), id="intake-title")
            yield Label(_("How did it reach you?"))
            yield Select(
                [(_(label), code) for code, label in CHANNEL_CHOICES],
                value="phone", allow_blank=False, id="intake-channel",
            )  # fmt: skip
            yield Label(_("Category"))
            kinds = {"report": _("Report"), "idea": _("Idea")}
            yield Select(
                [(Text(f"{kinds.get(c.kind, c.kind)}: {c.label(self.preferred)}"), c.code)
                 for c in self.categories],
                prompt=_("Choose a category"), id="intake-category",
            )  # fmt: skip
            yield Label(_("Neighbourhood"))
            yield Select(
                [(Text(n.name), n.id) for n in self.neighbourhoods],
                prompt=_("Not known (give an address)"), id="intake-neighbourhood",
            )  # fmt: skip
            yield Label(_("Address"))
            yield Input(id="intake-address", max_length=300)
            with Horizontal(id="intake-place"):
                yield Button(_("Point on the map…"), id="intake-map")
                yield Static(_("No point chosen (optional)"), id="intake-point")
            yield Label(_("What the resident says"))
            yield TextArea(id="intake-description", soft_wrap=True)
            yield Label(_("Resident's name (if given)"))
            yield Input(id="intake-name", max_length=200)
            yield Label(_("Phone or e-mail (if given)"))
            yield Input(id="intake-contact", max_length=320)
            yield Label(_("Answer in"))
            yield Select(
                [(_(LANGUAGE_NAMES.get(code, code)), code) for code in self.languages],
                value=self.languages[0], allow_blank=False, id="intake-language",
            )  # fmt: skip
            yield Static("", id="intake-error", markup=False)
            with Horizontal(id="intake-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", id="intake-save")
                yield Button(_("Cancel"), id="intake-cancel")

    def on_mount(self) -> None:
        self.query_one("#intake-error").display = False
        self.query_one("#intake-category", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "intake-save":
            self.action_save()
        elif event.button.id == "intake-map":
            self.pick_point()
        else:
            self.action_cancel()

    @work(group="intake-map")
    async def pick_point(self) -> None:
        """A point picked on the map, among the open items (a report may already be there)."""
        hood_select = self.query_one("#intake-neighbourhood", Select)
        hood = next((n for n in self.neighbourhoods if n.id == hood_select.value), None)
        centre = None
        if self.point is not None:
            centre = self.point
        elif hood is not None and hood.lat is not None and hood.lon is not None:
            centre = (hood.lat, hood.lon)
        picked = await self.app.push_screen_wait(
            MapScreen(
                self.client,
                SubmissionFilters(statuses=["new", "acknowledged", "in_progress"]),
                _("Open items"),
                self.preferred,
                pick_place=True,
                centre=centre,
            )
        )
        if picked is not None:
            self.point = (picked.lat, picked.lon)
            self.query_one("#intake-point", Static).update(
                _("Point: {lat}, {lon}").format(lat=f"{picked.lat:.5f}", lon=f"{picked.lon:.5f}")
            )

    def show_error(self, message: str) -> None:
        error = self.query_one("#intake-error", Static)
        error.update(message)
        error.display = True
        error.scroll_visible(animate=False)

    def action_save(self) -> None:
        category_select = self.query_one("#intake-category", Select)
        hood_select = self.query_one("#intake-neighbourhood", Select)
        address = self.query_one("#intake-address", Input).value.strip()
        description = self.query_one("#intake-description", TextArea).text.strip()
        self.query_one("#intake-error").display = False
        # Said here, under the field, before the server is asked; nothing typed is lost.
        if category_select.is_blank():
            refuse(category_select, _("Choose a category."))
            return
        if hood_select.is_blank() and not address and self.point is None:
            refuse(hood_select, _("Choose a neighbourhood, give an address or a point on the map."))
            return
        if not description:
            refuse(self.query_one("#intake-description"), _("Write down what the resident says."))
            return
        clear_refusals(self)
        self.send(
            category=str(category_select.value),
            neighbourhood_id=None if hood_select.is_blank() else hood_select.value,
            address=address,
            lat=None if self.point is None else self.point[0],
            lon=None if self.point is None else self.point[1],
            description=description,
            channel=self.query_one("#intake-channel", Select).value,
            reporter_name=self.query_one("#intake-name", Input).value.strip(),
            reporter_contact=self.query_one("#intake-contact", Input).value.strip(),
            language=self.query_one("#intake-language", Select).value,
        )

    @work(exclusive=True, group="intake")
    async def send(self, **fields: object) -> None:
        try:
            made = await self.client.take_for_resident(idempotency_key=self.key, **fields)
        except ApiError as error:
            self.show_error(error.message)
            return
        self.dismiss(made)

    def typed(self) -> bool:
        """Whether anything was typed or chosen that cancelling would lose."""
        texts = [self.query_one(f"#intake-{name}", Input).value for name in
                 ("address", "name", "contact")]  # fmt: skip
        texts.append(self.query_one("#intake-description", TextArea).text)
        chosen = (
            not self.query_one("#intake-category", Select).is_blank()
            or not self.query_one("#intake-neighbourhood", Select).is_blank()
        )
        return chosen or self.point is not None or any(t.strip() for t in texts)

    def action_cancel(self) -> None:
        discard_then(self, self.typed(), lambda: self.dismiss(None))
