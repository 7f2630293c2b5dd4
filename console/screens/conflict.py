"""Someone else saved the message first: both versions side by side, and a choice."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown, Static

from console.api.models import Message
from console.bindings import translate_bindings
from console.i18n import N_, _


class ConflictScreen(ModalScreen[str]):
    """Dismisses with "mine" (save over theirs), "theirs" (take theirs) or "cancel"."""

    CSS_PATH = "conflict.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_conflict")]

    def __init__(self, *, mine: dict[str, Any], theirs: Message) -> None:
        super().__init__()
        translate_bindings(self)
        self.mine = mine
        self.theirs = theirs

    @staticmethod
    def _text(title: dict[str, str], body: dict[str, str]) -> str:
        return "\n\n".join(f"**{lang}: {t}**\n\n{body.get(lang, '')}" for lang, t in title.items())

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-box"):
            yield Static(
                _("{name} changed this message while you were editing it.").format(
                    name=self.theirs.author_name or _("Someone")
                ),
                id="conflict-title",
                markup=False,
            )
            with Horizontal(id="conflict-sides"):
                with Vertical(classes="side"):
                    yield Static(_("Yours"), classes="side-title")
                    yield Markdown(self._text(self.mine["title"], self.mine["body"]))
                with Vertical(classes="side"):
                    yield Static(
                        _("Theirs (version {version})").format(version=self.theirs.version),
                        classes="side-title",
                    )
                    yield Markdown(self._text(self.theirs.title, self.theirs.body))
            with Horizontal(id="conflict-buttons"):
                yield Button(_("Keep mine"), variant="warning", id="mine")
                yield Button(_("Take theirs"), variant="primary", id="theirs")
                yield Button(_("Cancel"), id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_cancel(self) -> None:
        self.dismiss("cancel")
