"""What residents wrote to a survey's open questions (`o` on its results): newest first,
searchable (`/`), with the day and, where 5 or more answered there, the neighbourhood; never
who wrote it. `x` saves them all as CSV."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from console.api.client import ApiClient
from console.api.errors import ApiError
from console.api.models import OpenAnswer
from console.bindings import translate_bindings
from console.i18n import N_, _
from console.screens.exports import save_csv
from console.screens.searching import Searching
from console.widgets.search import SearchBox
from console.widgets.table import Table


class OpenAnswersScreen(Searching, ModalScreen[None]):
    """A page of open answers at a time; scrolling to the end loads the next."""

    CSS_PATH = "open_answers.tcss"
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="close_answers"),
        Binding("slash", "search", N_("Search"), id="search_answers"),
        Binding("x", "export", N_("Export CSV"), id="export_answers"),
    ]

    def __init__(self, client: ApiClient, message_id: int, *, asks: bool | None = None) -> None:
        """`asks`: whether the survey has an open question (None: not known)."""
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.message_id = message_id
        self.asks = asks
        self.query_text = ""
        self.cursor: str | None = None
        self.answers: list[OpenAnswer] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="answers-box"):
            yield Static(_("Open answers"), id="answers-title", markup=False)
            yield SearchBox(placeholder=_("Words in the answer"), id="answers-search")
            yield Table(id="answers-table", cursor_type="row", zebra_stripes=True)
            # In the table's place while there is nothing to list, saying why.
            yield Static("", id="answers-empty", markup=False)
            yield Static("", id="answers-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Day"), _("Question"), _("Neighbourhood"), _("Answer"))
        table.focus()
        self.query_one("#answers-empty").display = False
        self.reload()

    def reload(self) -> None:
        self.answers, self.cursor = [], None
        self.query_one(DataTable).clear()
        self.load_page()

    @work(exclusive=True, group="answers")
    async def load_page(self) -> None:
        try:
            page = await self.client.open_answers(
                self.message_id, query=self.query_text or None, cursor=self.cursor, limit=100
            )
        except ApiError as error:
            self.query_one("#answers-text", Static).update(error.message)
            return
        self.cursor = page.next_cursor
        table = self.query_one(DataTable)
        for answer in page.items:
            self.answers.append(answer)
            table.add_row(
                f"{answer.day:%d/%m/%Y}",
                str(answer.question + 1),
                answer.neighbourhood_name or "—",
                answer.text.replace("\n", " ")[:80],
            )
        title = _("Open answers")
        if self.query_text:
            title += f"  ·  “{self.query_text}”"
        self.query_one("#answers-title", Static).update(title)
        empty = self.query_one("#answers-empty", Static)
        empty.display = not self.answers
        table.display = bool(self.answers)
        if self.answers:
            table.focus()
        elif self.query_text:
            empty.update(_("No open answer holds “{query}”.").format(query=self.query_text))
        elif self.asks is False:
            empty.update(_("This survey has no open question: its answers are the counts."))
        else:
            empty.update(
                _("No open answers yet. What residents write to an open question shows here.")
            )

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.answers):
            self.query_one("#answers-text", Static).update(self.answers[event.cursor_row].text)
        if self.cursor and event.cursor_row >= len(self.answers) - 5:
            self.load_page()

    @work(group="answers-export")
    async def action_export(self) -> None:
        destination = Path.cwd() / f"open-answers-{self.message_id}.csv"
        await save_csv(self.app, self.client.open_answers_csv(self.message_id), destination)

    def action_close(self) -> None:
        self.dismiss(None)
