"""Messages: published, scheduled, drafts and withdrawn, with their targets, reach and date.
Open one, edit a draft or scheduled one, withdraw, or duplicate it as a new draft."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from console import formats
from console.api.errors import ApiError
from console.api.models import Message
from console.composing import KIND_LABELS, STATE_LABELS
from console.i18n import N_, _
from console.screens.base import SignedInScreen
from console.screens.confirm import ConfirmScreen
from console.screens.message_view import MessageView
from console.screens.results import PARTICIPATION, ResultsScreen
from console.screens.searching import Searching
from console.widgets.search import SearchBox
from console.widgets.table import Table

PAGE = 50
STATE_FILTERS = (None, "draft", "scheduled", "published", "withdrawn")


# Keys only a communicator or an admin sees.
WRITING_ACTIONS = frozenset({"new", "edit", "duplicate", "withdraw"})


class MessagesScreen(Searching, SignedInScreen):
    """The organisation's city messages, newest change first, paged from the server."""

    CSS_PATH = "messages.tcss"
    NAVIGATION = "show_messages"
    BINDINGS = [
        Binding("n", "new", N_("New"), id="new_message"),
        Binding("enter", "open", N_("Open"), id="open_message", show=False),
        Binding("e", "edit", N_("Edit"), id="edit_message"),
        Binding("d", "duplicate", N_("Copy as new"), id="duplicate_message"),
        Binding("w", "withdraw", N_("Withdraw"), id="withdraw_message"),
        Binding("s", "cycle_state", N_("State filter"), id="state_filter"),
        Binding("slash", "search", N_("Search"), id="search_messages"),
        Binding("f5", "reload", N_("Reload"), id="reload_messages"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Message] = []
        self.cursor: str | None = None
        self.state_index = 0
        self.query_text = ""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="messages"):
            with Horizontal(id="messages-head"):
                yield Static("", id="messages-title")
                yield Static("", id="messages-filter", markup=False)
            yield SearchBox(placeholder=_("Words in the title or text"), id="messages-search")
            yield from self.compose_loading("messages")
            yield Table(id="messages-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="messages-hint")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        for key, label in (
            ("state", _("State")),
            ("kind", _("Kind")),
            ("title", _("Title")),
            ("targets", _("Targets")),
            ("reach", _("Reach")),
            ("date", _("Date")),
        ):
            table.add_column(label, key=key)
        self.query_one("#messages-title", Static).update(_("City messages"))
        self.query_one("#messages-error").display = False
        table.focus()
        self.reload()

    @property
    def may_write(self) -> bool:
        """Whether this person may write messages (else the writing keys are hidden)."""
        return bool(self.buurt.me and self.buurt.me.may_write_messages)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.may_write or action not in WRITING_ACTIONS

    @property
    def state(self) -> str | None:
        return STATE_FILTERS[self.state_index]

    def selected(self) -> Message | None:
        table = self.query_one(DataTable)
        if not self.items or table.cursor_row < 0 or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.items = []
        self.cursor = None
        self.query_one(DataTable).clear()
        label = _(STATE_LABELS[self.state]) if self.state else _("All states")
        if self.query_text:
            label += f" · “{self.query_text}”"
        self.query_one("#messages-filter", Static).update(label)
        self.load_page()

    @work(exclusive=True, group="messages")
    async def load_page(self) -> None:
        """Fetch the next page; the table grows as the person scrolls down."""
        page = await self.fetch(
            self.buurt.client.messages(
                state=self.state, query=self.query_text or None, limit=PAGE, cursor=self.cursor
            ),
            "messages",
        )
        if page is None:
            return
        self.cursor = page.next_cursor
        self.add_rows(page.items)

    def add_rows(self, messages: list[Message]) -> None:
        table = self.query_one(DataTable)
        for m in messages:
            when = m.published_at or m.scheduled_at or m.updated_at
            targets = (
                _("all")
                if m.targets_all
                else ", ".join(m.target_names[:2])
                + (f" +{len(m.target_names) - 2}" if len(m.target_names) > 2 else "")
            )
            table.add_row(
                _(STATE_LABELS.get(m.state, m.state)),
                _(KIND_LABELS.get(m.kind, m.kind)),
                m.title_for(self.buurt.preferred_languages())[:60],
                targets,
                formats.number(m.reach_registered),
                formats.moment(when),
                key=str(m.id),
            )
            self.items.append(m)
        if self.items:
            hint = ""
        elif not self.may_write:
            hint = _("No messages.")
        elif self.state or self.query_text:
            hint = _("No messages in this view. Press s for another state, / to search again.")
        else:
            hint = _("No messages yet. Press n to write one.")
        self.query_one("#messages-hint", Static).update(hint)

    @on(DataTable.RowHighlighted)
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if self.cursor and event.cursor_row >= len(self.items) - 5:
            self.load_page()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    # -- actions ------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.reload()

    def action_cycle_state(self) -> None:
        self.state_index = (self.state_index + 1) % len(STATE_FILTERS)
        self.reload()

    def action_new(self) -> None:
        self.buurt.show_compose()

    def action_open(self) -> None:
        message = self.selected()
        if message is None:
            return
        # A survey, budget or call that went out opens on its results.
        if message.kind in PARTICIPATION and message.state in ("published", "withdrawn"):
            self.app.push_screen(ResultsScreen(message))
        else:
            self.app.push_screen(MessageView(message))

    def action_edit(self) -> None:
        message = self.selected()
        if message is None:
            return
        if message.state not in ("draft", "scheduled"):
            self.app.notify(
                _("Only drafts and scheduled messages can be edited."), severity="warning"
            )
            return
        self.buurt.show_compose(message)

    def action_duplicate(self) -> None:
        message = self.selected()
        if message:
            self.buurt.show_compose(message, duplicate=True)

    @work(exclusive=True, group="messages-withdraw")
    async def action_withdraw(self) -> None:
        message = self.selected()
        if message is None or message.state not in ("published", "scheduled"):
            self.app.notify(
                _("Only published or scheduled messages can be withdrawn."), severity="warning"
            )
            return
        title = message.title_for(self.buurt.preferred_languages())
        sure = await self.app.push_screen_wait(
            ConfirmScreen(
                _("Withdraw “{title}”?").format(title=title),
                yes=_("Withdraw"),
                details=_("Residents will no longer see it. This cannot be undone."),
            )
        )
        if not sure:
            return
        try:
            await self.buurt.client.withdraw_message(message.id)
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        self.app.notify(_("Withdrawn “{title}”.").format(title=title))
        self.reload()
