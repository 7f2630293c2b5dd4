"""A yes/no question in a modal, for anything that cannot be undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from console.bindings import translate_bindings
from console.i18n import N_, _


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True for yes, False for no or Escape."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [Binding("escape", "no", N_("Cancel"), id="cancel_confirm")]

    def __init__(self, question: str, *, yes: str | None = None, details: str = "") -> None:
        super().__init__()
        translate_bindings(self)
        self.question = question
        self.details = details
        self.yes_label = yes or _("Yes")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            if self.details:
                yield Static(self.details, id="confirm-details", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes_label, variant="primary", id="confirm-yes")
                yield Button(_("Cancel"), id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_no(self) -> None:
        self.dismiss(False)


def discard_then(screen: Screen[Any], typed: bool, close: Callable[[], object]) -> None:
    """Close a form, asking first when it holds typed text that would be lost."""
    if not typed:
        close()
        return

    def answered(discard: bool | None) -> None:
        if discard:
            close()

    screen.app.push_screen(ConfirmScreen(_("Discard what you typed?"), yes=_("Discard")), answered)
