"""What a screen with a search field does: its search key opens the field, and the words
searched (none: everything) become its `query_text` and reload its list."""

from __future__ import annotations

from typing import Any, cast

from textual.screen import Screen
from textual.widgets import DataTable

from console.widgets.search import SearchBox


class Searching:
    """Mixed into a screen that has a SearchBox, a DataTable and a `reload()`."""

    query_text: str = ""

    def reload(self) -> None:
        """Show the list again for `query_text` (each screen has its own)."""
        raise NotImplementedError

    def action_search(self) -> None:
        cast("Screen[Any]", self).query_one(SearchBox).open()

    def on_search_box_search(self, event: SearchBox.Search) -> None:
        self.query_text = event.query
        cast("Screen[Any]", self).query_one(DataTable).focus()
        self.reload()
