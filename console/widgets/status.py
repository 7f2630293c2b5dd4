"""The header line: organisation, user, server and whether the server is reachable."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from console.i18n import _

# The live stream's state: live, reconnecting (with backoff), offline; connecting at start.
CONNECTION_SYMBOLS = {"live": "●", "connecting": "◌", "reconnecting": "◌", "offline": "○"}
CONNECTION_COLOURS = {
    "live": "green",
    "connecting": "yellow",
    "reconnecting": "yellow",
    "offline": "red",
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
        symbol = CONNECTION_SYMBOLS.get(self.connection, "?")
        states = {
            "live": _("live"),
            "connecting": _("connecting…"),
            "reconnecting": _("reconnecting…"),
            "offline": _("offline, retrying"),
        }
        colour = CONNECTION_COLOURS.get(self.connection, "white")
        state = Text.assemble((f"{symbol} ", colour), (states.get(self.connection, ""), colour))
        width = self.size.width - 2
        parts: list[str | tuple[str, str]] = [("buurt", "bold"), "  ", (self.organisation, "bold")]
        parts += ["  ·  ", self.user, "  ·  ", (self.server, "dim")]
        text = Text.assemble(*parts)
        # Narrow: the connection state stays whole; the server's address goes first.
        if text.cell_len + state.cell_len + 1 > width:
            text = Text.assemble(*parts[:-2])
        if text.cell_len + state.cell_len + 1 > width:
            text.truncate(max(0, width - state.cell_len - 1), overflow="ellipsis")
        gap = max(1, width - text.cell_len - state.cell_len)
        return Text.assemble(text, " " * gap, state)
