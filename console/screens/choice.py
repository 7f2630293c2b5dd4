"""Pick one of a few options in a modal (a status, a colleague, a priority)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.bindings import translate_bindings
from console.i18n import N_


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen value, or None on Escape."""

    CSS_PATH = "choice.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_choice")]

    def __init__(self, title: str, options: list[tuple[str, str]], *, details: str = "") -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.details = details
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Static(self.title_text, id="choice-title", markup=False)
            if self.details:
                yield Static(self.details, id="choice-details", markup=False)
            yield OptionList(
                *[Option(label, id=value) for label, value in self.options],
                id="choice-list",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
