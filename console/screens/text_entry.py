"""Write a text (a public reply, an internal note) in a modal; Ctrl+S sends, Escape cancels.
What was typed survives a refusal: the caller reopens it with the same text."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from console.bindings import translate_bindings
from console.i18n import N_, _
from console.screens.confirm import discard_then


class TextEntryScreen(ModalScreen[str | None]):
    """Dismisses with the text, or None."""

    CSS_PATH = "text_entry.tcss"
    BINDINGS = [
        Binding("ctrl+s", "send", N_("Send"), priority=True, id="send_text"),
        Binding("escape", "cancel", N_("Cancel"), id="cancel_text"),
    ]

    def __init__(self, title: str, hint: str = "", text: str = "") -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.hint = hint
        self.initial = text

    def compose(self) -> ComposeResult:
        with Vertical(id="entry-box"):
            yield Static(self.title_text, id="entry-title", markup=False)
            if self.hint:
                yield Static(self.hint, id="entry-hint", markup=False)
            yield TextArea(self.initial, id="entry-text", soft_wrap=True)
            with Horizontal(id="entry-buttons"):
                yield Button(_("Send (Ctrl+S)"), variant="primary", id="entry-send")
                yield Button(_("Cancel"), id="entry-cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "entry-send":
            self.action_send()
        else:
            self.action_cancel()

    def action_send(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if text:
            self.dismiss(text)

    def action_cancel(self) -> None:
        text = self.query_one(TextArea).text.strip()
        discard_then(self, text not in ("", self.initial.strip()), lambda: self.dismiss(None))
