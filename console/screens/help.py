"""Help: the keys of the screen below and of the whole app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.bindings import translate_bindings
from console.i18n import N_, _
from console.widgets.table import Table


class HelpScreen(ModalScreen[None]):
    """Lists every key the person can press where they came from."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", N_("Close"), id="close_help"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        translate_bindings(self)
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(_("Keys"), id="help-title")
            table: Table = Table(id="help-keys", show_cursor=False)
            table.add_column(_("Key"), key="key")
            table.add_column(_("What it does"), key="what")
            for key, description in self.keys:
                table.add_row(key, description)
            yield table
            yield Static(
                _("Ctrl+P opens the command palette: type to find any screen or action."),
                id="help-palette",
            )
            yield Static(_("Press Escape to close."), id="help-close")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
