"""The header line: organisation, user, server and whether the server is reachable."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from console.i18n import _

CONNECTION_LABELS = {
    "online": ("●", "connection-online"),
    "connecting": ("◌", "connection-connecting"),
    "offline": ("○", "connection-offline"),
}


class StatusHeader(Widget):
    """One line at the top of every signed-in screen."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    organisation: reactive[str] = reactive("")
    user: reactive[str] = reactive("")
    server: reactive[str] = reactive("")
    connection: reactive[str] = reactive("connecting")

    def render(self) -> Text:
        symbol, _style = CONNECTION_LABELS.get(self.connection, ("?", ""))
        states = {
            "online": _("connected"),
            "connecting": _("connecting…"),
            "offline": _("offline, retrying"),
        }
        colour = {"online": "green", "connecting": "yellow", "offline": "red"}.get(
            self.connection, "white"
        )
        text = Text.assemble(
            ("buurt", "bold"),
            "  ",
            (self.organisation, "bold"),
            "  ·  ",
            self.user,
            "  ·  ",
            (self.server, "dim"),
        )
        state = Text.assemble((f"{symbol} ", colour), (states.get(self.connection, ""), colour))
        width = self.size.width - 2
        gap = max(1, width - text.cell_len - state.cell_len)
        return Text.assemble(text, " " * gap, state)
