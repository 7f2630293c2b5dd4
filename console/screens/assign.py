"""Hand work to a colleague or a department (`A` in the inbox, and in a bulk change): type
a few letters of a name or a service, `enter` on the one. Departments are the city's own
services (those of its categories)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.api.models import Staff
from console.bindings import translate_bindings
from console.i18n import N_, _

ROLE_LABELS = {"moderator": N_("moderator"), "admin": N_("admin"), "analyst": N_("analyst"),
               "communicator": N_("communicator")}  # fmt: skip


class AssignScreen(ModalScreen[dict[str, str] | None]):
    """Dismisses with {"assignee": id}, {"assignee": "none"} or {"department": name}."""

    CSS_PATH = "assign.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_assign")]

    def __init__(self, title: str, staff: list[Staff], departments: list[str]) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.staff = staff
        self.departments = departments

    def compose(self) -> ComposeResult:
        with Vertical(id="assign-box"):
            yield Static(self.title_text, id="assign-title", markup=False)
            yield Input(placeholder=_("A name or a department"), id="assign-search")
            yield OptionList(id="assign-list", markup=False)

    def on_mount(self) -> None:
        self.show("")
        self.query_one(Input).focus()

    def show(self, typed: str) -> None:
        wanted = typed.casefold().strip()
        options: list[Option] = []
        for person in self.staff:
            roles = ", ".join(_(ROLE_LABELS.get(r, r)) for r in person.roles)
            if wanted in person.name.casefold() or wanted in roles.casefold():
                options.append(Option(f"{person.name}  ({roles})", id=f"assignee:{person.id}"))
        if wanted in _("Nobody").casefold():
            options.append(Option(_("Nobody"), id="assignee:none"))
        for department in self.departments:
            if wanted in department.casefold():
                label = _("Department: {name}").format(name=department)
                options.append(Option(label, id=f"department:{department}"))
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(options)
        if options:
            listing.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show(event.value)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        # Enter in the search box takes the first match.
        listing = self.query_one(OptionList)
        if listing.option_count and listing.highlighted is not None:
            self._choose(listing.get_option_at_index(listing.highlighted).id)

    def on_key(self, event: object) -> None:
        # Up and down move through the matches while the search box keeps the focus.
        key = getattr(event, "key", "")
        listing = self.query_one(OptionList)
        if key in ("down", "up") and listing.option_count and self.query_one(Input).has_focus:
            current = listing.highlighted or 0
            step = 1 if key == "down" else -1
            listing.highlighted = max(0, min(listing.option_count - 1, current + step))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id:
            field, _sep, value = option_id.partition(":")
            self.dismiss({field: value})

    def action_cancel(self) -> None:
        self.dismiss(None)
