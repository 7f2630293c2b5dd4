"""The search field of list screens: hidden until asked for, gone again when emptied."""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import Input


class SearchBox(Input):
    """Press the screen's search key to open it; Enter searches (empty: closes it)."""

    DEFAULT_CSS = """
    SearchBox {
        display: none;
        margin-bottom: 1;
    }
    SearchBox.open {
        display: block;
    }
    """

    class Search(Message):
        """The words to search for ("" for everything)."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    def open(self) -> None:
        """Show the field and put the cursor in it."""
        self.add_class("open")
        self.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = self.value.strip()
        if not query:
            self.remove_class("open")
        self.post_message(self.Search(query))
