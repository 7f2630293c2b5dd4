"""Inbox: triage residents' reports and ideas from the keyboard.

The table pages from the server (never the whole inbox), the pane on the right shows the
selected submission with its history, replies and notes. A change made on a stale version
shows what the colleague changed next to yours, and lets you apply yours on top or drop it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Static

from console import formats
from console.api.client import SubmissionFilters
from console.api.errors import ApiError, EditConflict, error_for
from console.api.models import BulkOutcome, Staff, Submission, SubmissionDetail, Suggestion
from console.api.stream import LiveEvent
from console.api.vocabulary import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS
from console.i18n import N_, _, ngettext
from console.inbox import (
    DUPLICABLE,
    NEXT_STATUSES,
    age_text,
    change_text,
    received_text,
)
from console.screens.assign import AssignScreen
from console.screens.base import SignedInScreen
from console.screens.choice import ChoiceScreen
from console.screens.intake import IntakeScreen
from console.screens.map import MapScreen
from console.screens.searching import Searching
from console.screens.templates import TemplatesScreen
from console.screens.text_entry import TextEntryScreen
from console.screens.triage_conflict import TriageConflictScreen, describe_change
from console.screens.workload import WorkloadScreen
from console.widgets.search import SearchBox
from console.widgets.table import Table

PAGE = 100
VIEWS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("open", N_("Open items"), {"statuses": ["new", "acknowledged", "in_progress"]}),
    ("new", N_("New"), {"statuses": ["new"]}),
    ("overdue", N_("Overdue"), {"overdue": True}),
    ("mine", N_("Assigned to me"), {"assignee": "me"}),
    ("all", N_("All"), {}),
)
# Most telling first: what a narrow terminal cuts at the right is what matters least (the kind
# goes with the category).
COLUMNS = (
    ("sel", " "),
    ("id", "#"),
    ("status", N_("Status")),
    ("category", N_("Category")),
    ("age", N_("Age")),
    ("assignee", N_("Assignee")),
    ("neighbourhood", N_("Neighbourhood")),
    ("kind", N_("Kind")),
)
EMPTY_VIEWS = {
    "open": N_("No open reports or ideas."),
    "new": N_("No new reports or ideas."),
    "overdue": N_("Nothing is overdue."),
    "mine": N_("Nothing is assigned to you."),
    "all": N_("No reports or ideas yet."),
}
TRIAGE_ACTIONS = frozenset(
    {"acknowledge", "status", "assign_me", "assign", "priority", "reply", "note", "duplicate",
     "toggle_select", "bulk", "take_report"}
)  # fmt: skip
KIND_VIEWS = ((None, N_("Reports and ideas")), ("report", N_("Reports")), ("idea", N_("Ideas")))


def bulk_outcome_text(outcome: BulkOutcome) -> str:
    """How a bulk change went: how many changed, and why the first five others did not (in
    the console's words for each problem)."""
    failed = [r for r in outcome.results if not r.ok]
    message = ngettext("{ok} changed", "{ok} changed", outcome.succeeded).format(
        ok=outcome.succeeded
    )
    if failed:
        reasons = "; ".join(
            f"#{r.id}: {error_for(r.status, r.problem or {}).message}" for r in failed[:5]
        )
        message += (
            " · "
            + ngettext("{n} not changed", "{n} not changed", len(failed)).format(n=len(failed))
            + f" ({reasons})"
        )
    return message


class InboxScreen(Searching, SignedInScreen):
    """The moderators' inbox."""

    CSS_PATH = "inbox.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (130, "-wide")]
    NAVIGATION = "show_inbox"
    # The footer has room for the everyday keys; the others (priority, select and bulk,
    # kind, export) are in help (?) and the palette (ctrl+p), like every key.
    BINDINGS = [
        Binding("a", "acknowledge", N_("Acknowledge"), id="acknowledge"),
        Binding("s", "status", N_("Status"), id="change_status"),
        Binding("i", "assign_me", N_("Assign to me"), id="assign_me"),
        # "A", not "shift+a": what tmux, xterm and most terminals deliver for Shift+A.
        Binding("A", "assign", N_("Assign"), id="assign"),
        Binding("p", "priority", N_("Priority"), id="priority", show=False),
        Binding("r", "reply", N_("Reply"), id="reply"),
        Binding("n", "note", N_("Note"), id="note"),
        Binding("d", "duplicate", N_("Mark duplicate"), id="mark_duplicate"),
        # "N": what terminals send for Shift+N.
        Binding("N", "take_report", N_("Take a report"), id="take_report", show=False),
        Binding("space", "toggle_select", N_("Select"), id="select_row", show=False),
        Binding("b", "bulk", N_("Bulk change"), id="bulk", show=False),
        Binding("v", "next_view", N_("View"), id="next_view"),
        Binding("w", "workload", N_("Workload"), id="workload", show=False),
        # "M": what terminals send for Shift+M (m is the messages screen).
        Binding("M", "map", N_("Map"), id="inbox_map", show=False),
        Binding("T", "templates", N_("Reply templates"), id="inbox_templates", show=False),
        Binding("k", "next_kind", N_("Kind"), show=False, id="next_kind"),
        Binding("slash", "search", N_("Search"), id="search_inbox"),
        Binding("x", "export", N_("Export"), id="export", show=False),
        Binding("f5", "reload", N_("Reload"), id="reload_inbox"),
    ]

    def __init__(
        self, holder: dict[str, str] | None = None, label: str = "", open_id: int | None = None
    ) -> None:
        """`holder`: a filter to start on (a call's ideas: {"message": "12"}), named `label`;
        `open_id`: the item to put the cursor on."""
        super().__init__()
        self.items: list[Submission] = []
        self.cursor: str | None = None
        self.view_index = 0
        self.kind_index = 0
        self.query_text = ""
        self.selected_ids: set[int] = set()
        # From the workload view: one colleague's (or nobody's) items, or one department's.
        self.holder: dict[str, str] = dict(holder or {})
        self.holder_label = label
        self.open_id = open_id
        self.staff: list[Staff] = []
        self.detail: SubmissionDetail | None = None
        self._detail_timer: Timer | None = None
        # The item under the cursor that no longer fits the view: it goes when the cursor does.
        self.leaving: int | None = None
        self._reload_timer: Timer | None = None
        # The connection was lost since the list was read: read it again once it is back.
        self._stale = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="inbox"):
            yield Static("", id="inbox-filters", markup=False)
            yield SearchBox(placeholder=_("Words in the description or address"), id="inbox-search")
            with Horizontal(id="inbox-main"):
                with Vertical(id="inbox-left"):
                    yield from self.compose_loading("inbox")
                    yield Static("", id="inbox-empty", markup=False)
                    yield Table(id="inbox-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="inbox-detail"):
                    yield Static(
                        _("Select a submission to see it here."), id="detail-text", markup=False
                    )

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(_(label) if label.strip() else label, key=key)
        self.query_one("#inbox-error").display = False
        self.query_one("#inbox-empty").display = False
        table.focus()
        self.load_staff()
        if self.holder:
            self.view_index = next(i for i, v in enumerate(VIEWS) if v[0] == "all")
        self.reload(self.open_id)
        self.buurt.subscribe(self.on_live_event)
        self.watch(self.app, "connection", self._connection_changed, init=False)

    def on_unmount(self) -> None:
        self.buurt.unsubscribe(self.on_live_event)

    # -- live ---------------------------------------------------------------------------------

    def _connection_changed(self, state: str) -> None:
        """Back after an outage: the list is read again by itself (what the stream missed
        comes too, by Last-Event-ID); until then what was read stays, the header saying so."""
        if state in ("reconnecting", "offline"):
            self._stale = True
        elif state == "live" and (self._stale or self.query_one("#inbox-error").display):
            self._stale = False
            self.reload_soon(0.1)

    def on_live_event(self, event: LiveEvent) -> None:
        """A colleague's change shows at once: a row changed in place, or gone from a view it
        no longer fits; a new item, or one that may now fit, reads the list again."""
        if event.type not in ("submission.created", "submission.updated"):
            return
        try:
            submission_id = int(event.data.get("id") or 0)
        except (TypeError, ValueError):
            return
        shown = next((s for s in self.items if s.id == submission_id), None)
        if event.type == "submission.updated" and shown is not None:
            if event.data.get("version") != shown.version:
                self.refresh_item(submission_id)
        elif event.type == "submission.created" or self.could_fit(event.data):
            self.reload_soon()

    def reload_soon(self, delay: float = 1.0) -> None:
        """Read the list again (keeping the cursor's item) once changes stop coming. (Never
        a timer of 0 s: Textual's divides by its interval when the clock moved meanwhile.)"""
        delay = max(delay, 0.05)
        if self._reload_timer is not None:
            self._reload_timer.stop()
        self._reload_timer = self.set_timer(delay, self._reload_now)

    def _reload_now(self) -> None:
        self._reload_timer = None
        if not self.left:
            self.action_reload()

    @work(group="inbox-live")
    async def refresh_item(self, submission_id: int) -> None:
        try:
            sub = await self.buurt.client.submission(submission_id)
        except ApiError:
            return  # gone from sight, or the server away: the next reload says
        if not self.left:
            self.apply(sub)
            current = self.current()
            if current is not None and current.id == submission_id:
                self.load_detail()

    # -- the view ---------------------------------------------------------------------------

    def fits(self, sub: Submission) -> bool:
        """Whether a submission belongs in the list as filtered (words searched aside: the
        server judges those)."""
        f = self.filters()
        me = self.buurt.me
        holder = f.assignee
        return (
            (f.kind is None or sub.kind == f.kind)
            and (not f.statuses or sub.status in f.statuses)
            and (not f.overdue or sub.overdue)
            and (
                holder is None
                or (holder == "me" and me is not None and sub.assignee_account_id == me.id)
                or (holder == "none" and sub.assignee_account_id is None)
                or (holder.isdigit() and sub.assignee_account_id == int(holder))
            )
            and (f.department is None or sub.department == f.department)
            and (f.message is None or sub.message_id == f.message)
        )

    def could_fit(self, data: dict[str, Any]) -> bool:
        """Whether a change to an item not in the list may bring it in (by what the stream
        says of it: its status and assignee)."""
        f = self.filters()
        me = self.buurt.me
        if f.statuses and data.get("status") not in f.statuses:
            return False
        if f.assignee == "me":
            return me is not None and data.get("assignee_account_id") == me.id
        return True

    def apply(self, sub: Submission) -> None:
        """Show a changed submission: in place, or taken out of a view it no longer fits
        (resolved in "Open"). Under the cursor it stays, greyed, until the cursor moves on:
        the next key (`r` after `a`) must not land on another item."""
        if self.fits(sub):
            self.replace_row(sub)
            if sub.id == self.leaving:
                self.leaving = None
            return
        current = self.current()
        if current is not None and current.id == sub.id:
            self.leaving = sub.id
            self.replace_row(sub)
            return
        self.remove_item(sub.id)

    def remove_item(self, submission_id: int) -> None:
        """Take an item out of the list, the cursor staying on the item it was on."""
        index = next((i for i, item in enumerate(self.items) if item.id == submission_id), None)
        if index is None:
            return
        table = self.query_one(DataTable)
        row = table.cursor_row
        del self.items[index]
        table.remove_row(str(submission_id))
        self.selected_ids.discard(submission_id)
        if submission_id == self.leaving:
            self.leaving = None
        if index < row:
            table.move_cursor(row=row - 1)
        if not self.items:
            empty = self.query_one("#inbox-empty", Static)
            empty.update(self.empty_text())
            empty.display = True
            self.query_one("#detail-text", Static).update("")

    # -- data -----------------------------------------------------------------------------------

    @property
    def languages(self) -> list[str]:
        return self.buurt.preferred_languages()

    def filters(self) -> SubmissionFilters:
        view = {**VIEWS[self.view_index][2], **self.holder}
        return SubmissionFilters(
            kind=KIND_VIEWS[self.kind_index][0], query=self.query_text or None, **view
        )

    def reload(self, keep_id: int | None = None) -> None:
        self.leaving = None
        self.items = []
        self.cursor = None
        self.query_one(DataTable).clear()
        parts = [_(VIEWS[self.view_index][1]), _(KIND_VIEWS[self.kind_index][1])]
        if self.holder_label:
            parts.append(self.holder_label)
        if self.query_text:
            parts.append(f"“{self.query_text}”")
        if self.selected_ids:
            parts.append(
                ngettext("{n} selected", "{n} selected", len(self.selected_ids)).format(
                    n=len(self.selected_ids)
                )
            )
        self.query_one("#inbox-filters", Static).update("  ·  ".join(parts))
        self.load_page(keep_id)

    @work(exclusive=True, group="inbox-staff")
    async def load_staff(self) -> None:
        try:
            self.staff = await self.buurt.client.staff()
        except ApiError as problem:
            self.staff = []  # assigning to someone else is then unavailable; the rest works
            self.app.notify(
                _(
                    "Colleagues could not be loaded, so assigning to them is unavailable: {reason}"
                ).format(reason=problem.message),
                severity="warning",
            )

    @work(exclusive=True, group="inbox-page")
    async def load_page(self, keep_id: int | None = None) -> None:
        page = await self.fetch(
            self.buurt.client.submissions(self.filters(), limit=PAGE, cursor=self.cursor), "inbox"
        )
        if page is None:
            return
        self.cursor = page.next_cursor
        for sub in page.items:
            self.items.append(sub)
            self.query_one(DataTable).add_row(*self.cells(sub), key=str(sub.id))
        if keep_id is not None:
            self.move_to(keep_id)
        empty = self.query_one("#inbox-empty", Static)
        empty.display = not self.items
        if not self.items:
            empty.update(self.empty_text())
            self.query_one("#detail-text", Static).update("")

    def empty_text(self) -> str:
        """What an empty list means in this view, and what to do about it."""
        if self.query_text:
            said = _("Nothing matches “{query}”.").format(query=self.query_text)
        else:
            said = _(EMPTY_VIEWS[VIEWS[self.view_index][0]])
        return said + " " + _("Press v for another view.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # An analyst reads the inbox; the keys that change it are not theirs to see.
        me = self.buurt.me
        return action not in TRIAGE_ACTIONS or bool(me and me.may_triage)

    def cells(self, sub: Submission) -> list[Any]:
        """The row of a submission, in the order of COLUMNS (greyed when it is leaving a
        view it no longer fits)."""
        age = age_text(sub.created_at)
        values: dict[str, Any] = {
            "sel": "●" if sub.id in self.selected_ids else " ",
            "id": str(sub.id),
            "status": _(STATUS_LABELS.get(sub.status, sub.status)),
            "category": sub.category.label(self.languages),
            "age": Text(age + " !", style="bold red") if sub.overdue else age,
            "assignee": sub.assignee_name or "–",
            "neighbourhood": sub.neighbourhood_name or "–",
            "kind": _("Report") if sub.kind == "report" else _("Idea"),
        }
        if sub.id == self.leaving:
            values = {
                key: Text(value.plain if isinstance(value, Text) else value, style="dim strike")
                for key, value in values.items()
            }
        return [values[key] for key, _label in COLUMNS]

    def replace_row(self, sub: Submission) -> None:
        """Show a changed submission in place."""
        table = self.query_one(DataTable)
        for index, item in enumerate(self.items):
            if item.id == sub.id:
                self.items[index] = sub
                for (column, _label), value in zip(COLUMNS, self.cells(sub), strict=True):
                    table.update_cell(str(sub.id), column, value)
                return

    def move_to(self, submission_id: int) -> None:
        for index, item in enumerate(self.items):
            if item.id == submission_id:
                self.query_one(DataTable).move_cursor(row=index)
                return

    def current(self) -> Submission | None:
        table = self.query_one(DataTable)
        if not self.items or not 0 <= table.cursor_row < len(self.items):
            return None
        return self.items[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        current = self.current()
        if self.leaving is not None and (current is None or current.id != self.leaving):
            self.remove_item(self.leaving)  # the cursor moved on: it leaves the view now
        if self.cursor and event.cursor_row >= len(self.items) - 10:
            self.load_page()
        # Wait for the cursor to rest before fetching the detail.
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(0.15, self.load_detail)

    @work(exclusive=True, group="inbox-detail")
    async def load_detail(self) -> None:
        sub = self.current()
        if sub is None:
            return
        try:
            self.detail = await self.buurt.client.submission(sub.id)
        except ApiError as problem:
            if not self.left:
                self.query_one("#detail-text", Static).update(problem.message)
            return
        # The person may have left the inbox while the answer came (`t` then `c`).
        if not self.left:
            self.show_detail(self.detail)

    def show_detail(self, d: SubmissionDetail) -> None:
        text = Text()
        text.append(f"#{d.id}  {d.category.label(self.languages)}\n", style="bold")
        text.append(
            f"{_(STATUS_LABELS.get(d.status, d.status))} · "
            + _("Priority: {value}").format(value=_(PRIORITY_LABELS.get(d.priority, d.priority)))
            + f" · {d.department}\n"
        )
        if d.overdue:
            text.append(_("Overdue: no response within the target.") + "\n", style="bold red")
        text.append("\n" + d.description + "\n\n")
        parts = [d.address, d.neighbourhood_name if d.neighbourhood_name != d.address else None]
        place = ", ".join(filter(None, parts))
        if d.lat is not None:
            place += f"  ({d.lat:.5f}, {d.lon:.5f})"
        text.append(_("Where: {place}").format(place=place or "–") + "\n")
        if d.reporter_name or d.reporter_contact:
            who = " · ".join(filter(None, [d.reporter_name, d.reporter_contact]))
            text.append(_("Reporter: {who}").format(who=who) + "\n")
        if d.duplicate_of_id:
            text.append(_("Duplicate of #{id}").format(id=d.duplicate_of_id) + "\n")
        if d.message_id:
            text.append(_("Sent in answer to the city's call #{id}").format(id=d.message_id) + "\n")
        text.append("\n" + _("History") + "\n", style="bold underline")
        for e in d.history:
            when = formats.day_and_time(e.at)
            who = e.actor_name or ""
            if e.kind == "reply":
                text.append(f"{when} {who} · " + _("public reply") + "\n", style="bold green")
                text.append(f"  {e.text}\n")
            elif e.kind == "note":
                text.append(f"{when} {who} · " + _("internal note") + "\n", style="bold yellow")
                text.append(f"  {e.text}\n")
            elif e.kind == "change":
                text.append(f"{when} {who} · {change_text(e.field, e.before, e.after)}\n")
            elif e.field == "channel" and e.after:
                how = _(CHANNEL_LABELS.get(e.after, e.after)).lower()
                text.append(f"{when} · {received_text(d.kind, how, who)}\n")
            else:
                text.append(f"{when} · {received_text(d.kind)}\n")
        self.query_one("#detail-text", Static).update(text)

    # -- changing ---------------------------------------------------------------------------------

    async def change(self, sub: Submission, **changes: Any) -> Submission | None:
        """Apply a change with the version we showed; on a conflict let the person choose."""
        client = self.buurt.client
        try:
            updated = await client.update_submission(sub.id, version=sub.version, **changes)
        except EditConflict as conflict:
            current = Submission.model_validate(conflict.current) if conflict.current else None
            if current is None:
                self.app.notify(conflict.message, severity="error")
                return None
            self.replace_row(current)
            names = {s.id: s.name for s in self.staff}
            choice = await self.app.push_screen_wait(
                TriageConflictScreen(current, describe_change(changes, names))
            )
            if choice != "reapply":
                self.load_detail()
                return None
            try:
                updated = await client.update_submission(sub.id, version=current.version, **changes)
            except ApiError as error:
                self.app.notify(error.message, severity="error")
                return None
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            self.buurt.report_connection(error)
            return None
        # Out of the list when it no longer fits the view (resolved from "Open").
        self.apply(updated)
        self.load_detail()
        return updated

    @work(group="inbox-change")
    async def action_acknowledge(self) -> None:
        sub = self.current()
        if sub and sub.status == "new":
            await self.change(sub, status="acknowledged")

    @work(group="inbox-change")
    async def action_status(self) -> None:
        sub = self.current()
        if sub is None:
            return
        options = [(_(STATUS_LABELS[s]), s) for s in NEXT_STATUSES.get(sub.status, ())]
        value = await self.app.push_screen_wait(
            ChoiceScreen(_("New status for #{id}").format(id=sub.id), options)
        )
        if not value:
            return
        updated = await self.change(sub, status=value)
        if updated is not None:
            # A template suggested for this status: offered, filled in, editable.
            start = await self._reply_start(updated, value, after_change=True)
            if start is not None:
                await self._write("reply", updated, start)

    @work(group="inbox-change")
    async def action_assign_me(self) -> None:
        sub = self.current()
        if sub and self.buurt.me and sub.assignee_account_id != self.buurt.me.id:
            await self.change(sub, assignee_account_id=self.buurt.me.id)

    @work(group="inbox-change")
    async def action_assign(self) -> None:
        sub = self.current()
        if sub is None:
            return
        chosen = await self._pick_holder(_("Assign #{id} to").format(id=sub.id))
        if chosen:
            await self.change(sub, **chosen)

    async def _pick_holder(self, title: str) -> dict[str, Any] | None:
        """A colleague, nobody, or a department, searched by name; as changes to send."""
        try:
            departments = sorted({c.department for c in await self.buurt.client.categories()})
        except ApiError:
            departments = []  # colleagues can still be chosen
        chosen = await self.app.push_screen_wait(AssignScreen(title, self.staff, departments))
        if not chosen:
            return None
        if "department" in chosen:
            return {"department": chosen["department"]}
        if chosen["assignee"] == "none":
            return {"unassign": True}
        return {"assignee_account_id": int(chosen["assignee"])}

    @work(group="inbox-change")
    async def action_priority(self) -> None:
        sub = self.current()
        if sub is None:
            return
        options = [(_(label), value) for value, label in PRIORITY_LABELS.items()]
        value = await self.app.push_screen_wait(
            ChoiceScreen(_("Priority of #{id}").format(id=sub.id), options)
        )
        if value:
            await self.change(sub, priority=value)

    async def _reply_start(
        self, sub: Submission, status: str | None = None, *, after_change: bool = False
    ) -> str | None:
        """What a reply starts from: blank, or a template filled in for this submission in
        the resident's language. After a status change only the templates suggested for
        that status are offered, and "No reply" is the way out. None: no reply."""
        try:
            options = await self.buurt.client.reply_options(sub.id, status=status)
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return None if after_change else ""
        if after_change:
            options = [o for o in options if o.suggested]
            if not options:
                return None
            title = _("Send a reply to #{id} too?").format(id=sub.id)
            # Suggested for the new status, each: the ★ says so here as everywhere.
            choices = [(f"{o.title} ★", str(n)) for n, o in enumerate(options)]
            choices.append((_("No reply"), "none"))
        else:
            if not options:
                return ""
            title = _("Start the reply to #{id} from").format(id=sub.id)
            choices = [(_("A blank reply"), "blank")]
            choices += [
                (f"{o.title} ★" if o.suggested else o.title, str(n)) for n, o in enumerate(options)
            ]
        value = await self.app.push_screen_wait(
            ChoiceScreen(title, choices, details=_("Filled in for #{id}; edit before sending.")
                         .format(id=sub.id))
        )  # fmt: skip
        if value is None or value == "none":
            return None
        return "" if value == "blank" else options[int(value)].text

    async def _write(self, kind: str, sub: Submission | None = None, text: str = "") -> None:
        sub = sub or self.current()
        if sub is None:
            return
        title = (
            _("Public reply to #{id}") if kind == "reply" else _("Internal note on #{id}")
        ).format(id=sub.id)
        hint = _("The resident sees this.") if kind == "reply" else _("Only staff see this.")
        while True:
            answer: str | None = await self.app.push_screen_wait(TextEntryScreen(title, hint, text))
            text = answer or ""
            if not text:
                return
            try:
                if kind == "reply":
                    updated = await self.buurt.client.reply(sub.id, text)
                else:
                    updated = await self.buurt.client.note(sub.id, text)
            except ApiError as error:
                # Keep what was typed: reopen the editor with it.
                self.app.notify(error.message, severity="error")
                continue
            self.replace_row(updated)
            self.load_detail()
            return

    @work(group="inbox-change")
    async def action_take_report(self) -> None:
        """Enter a report or idea for a resident who phoned or came to the desk."""
        client = self.buurt.client
        me = self.buurt.me
        try:
            categories = await client.categories()
            hoods = await client.all_neighbourhoods()
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        languages = me.organisation.municipality.languages if me else ["nl"]
        made = await self.app.push_screen_wait(
            IntakeScreen(client, categories, hoods, languages, self.languages)
        )
        if made is not None:
            self.app.notify(_("#{id} is in the inbox.").format(id=made.id))
            # Once the form is gone: reloaded under a modal, the table kept its old widths.
            self.call_after_refresh(self.reload, made.id)

    @work(group="inbox-change")
    async def action_reply(self) -> None:
        sub = self.current()
        if sub is None:
            return
        start = await self._reply_start(sub)
        if start is not None:
            await self._write("reply", sub, start)

    @work(group="inbox-change")
    async def action_note(self) -> None:
        await self._write("note")

    @work(group="inbox-change")
    async def action_duplicate(self) -> None:
        sub = self.current()
        if sub is None:
            return
        if sub.status not in DUPLICABLE:
            # Say so before offering originals that could not be used.
            self.app.notify(
                _("Only a new or acknowledged submission can be marked a duplicate; #{id} is "
                  "{status}.").format(id=sub.id, status=_(STATUS_LABELS[sub.status]).lower()),
                severity="warning",
            )  # fmt: skip
            return
        try:
            suggestions = await self.buurt.client.suggestions(sub.id)
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        value = await self._choose_original(sub, suggestions) if suggestions else "other"
        if value == "other":
            value = await self._original_by_number(sub)
        if not value:
            return
        try:
            updated = await self.buurt.client.mark_duplicate(
                sub.id, of=int(value), version=sub.version
            )
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        self.replace_row(updated)
        self.load_detail()

    async def _original_by_number(self, sub: Submission) -> str | None:
        typed = await self.app.push_screen_wait(
            TextEntryScreen(
                _("#{id} is a duplicate of number…").format(id=sub.id),
                _("No likely original nearby: type the number of the original."),
            )
        )
        number = (typed or "").strip().lstrip("#")
        if not typed:
            return None
        if not number.isdigit():
            self.app.notify(_("Type the number of the original, e.g. 42."), severity="warning")
            return None
        return number

    async def _choose_original(self, sub: Submission, suggestions: list[Suggestion]) -> str | None:
        options = [
            (
                f"#{s.submission.id} · {age_text(s.submission.created_at)} · "
                + (f"{s.distance_m} m · " if s.distance_m is not None else "")
                + s.submission.description[:50],
                str(s.submission.id),
            )
            for s in suggestions
        ] + [(_("Another number…"), "other")]
        return await self.app.push_screen_wait(
            ChoiceScreen(
                _("#{id} is a duplicate of…").format(id=sub.id),
                options,
                details=_("Same category, close by, recent, still open."),
            )
        )

    def action_toggle_select(self) -> None:
        sub = self.current()
        if sub is None:
            return
        self.selected_ids ^= {sub.id}
        self.query_one(DataTable).update_cell(
            str(sub.id), "sel", "●" if sub.id in self.selected_ids else " "
        )

    async def _bulk_reply(self, count: int, status: str) -> str | None:
        """The id of a template to reply to each with, filled in for each; "none" for no
        reply, None when escaped. Offered: those for this status or any, suggested first."""
        try:
            fitting = [
                t for t in await self.buurt.client.reply_templates() if t.status in (None, status)
            ]
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return "none"
        if not fitting:
            return "none"
        fitting.sort(key=lambda t: not (t.suggest and t.status == status))
        choices = [(_("No reply"), "none")] + [
            (f"{t.title} ★" if t.suggest and t.status == status else t.title, str(t.id))
            for t in fitting
        ]
        value = await self.app.push_screen_wait(
            ChoiceScreen(
                ngettext(
                    "Reply to {n} submission too?", "Reply to each of {n} submissions too?", count
                ).format(n=count),
                choices,
                details=_("Each reply is filled in for its own submission, in its language."),
            )
        )
        return value

    @work(group="inbox-change")
    async def action_bulk(self) -> None:
        ids = sorted(self.selected_ids) or ([c.id] if (c := self.current()) else [])
        if not ids:
            return
        chosen = await self._bulk_change(len(ids))
        if chosen is None:
            return
        change, reply = chosen
        try:
            outcome = await self.buurt.client.bulk_update(
                ids, reply_template_id=None if reply == "none" else int(reply), **change
            )
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        failed = any(not r.ok for r in outcome.results)
        self.app.notify(
            bulk_outcome_text(outcome), severity="warning" if failed else "information", timeout=10
        )
        self.selected_ids -= {r.id for r in outcome.results if r.ok}
        current = self.current()
        self.reload(keep_id=current.id if current else None)

    async def _bulk_change(self, n: int) -> tuple[dict[str, Any], str] | None:
        """What to change on `n` submissions, and the reply template to send with a new
        status ("none" for none); None when the person escapes."""
        options = [
            (_(STATUS_LABELS[s]), f"status:{s}")
            for s in ("acknowledged", "in_progress", "resolved", "rejected")
        ]
        options += [
            (_("Priority: {value}").format(value=_(label)), f"priority:{p}")
            for p, label in PRIORITY_LABELS.items()
        ]
        if self.buurt.me:
            options.append((_("Assign to me"), f"assignee_account_id:{self.buurt.me.id}"))
        options.append((_("Assign to a colleague or department…"), "pick:"))
        title = ngettext("Change {n} submission", "Change {n} submissions", n).format(n=n)
        value = await self.app.push_screen_wait(ChoiceScreen(title, options))
        if not value:
            return None
        field, _sep, raw = value.partition(":")
        change: dict[str, Any] = {field: int(raw) if field == "assignee_account_id" else raw}
        if field == "pick":
            picked = await self._pick_holder(
                ngettext("Assign {n} submission to", "Assign {n} submissions to", n).format(n=n)
            )
            if not picked:
                return None
            change = picked
        reply = await self._bulk_reply(n, raw) if field == "status" else "none"
        return None if reply is None else (change, reply)

    def action_next_view(self) -> None:
        self.view_index = (self.view_index + 1) % len(VIEWS)
        self.holder, self.holder_label = {}, ""  # another view: everyone's again
        self.reload()

    def action_templates(self) -> None:
        """The municipality's reply templates (admins change them there)."""
        self.app.push_screen(TemplatesScreen())

    @work(group="inbox-map")
    async def action_map(self) -> None:
        """Every item of this list on a map of the city; enter there opens one here."""
        label = str(self.query_one("#inbox-filters", Static).render())
        chosen = await self.app.push_screen_wait(
            MapScreen(self.buurt.client, self.filters(), label, self.languages)
        )
        if chosen is None or chosen.submission_id is None:
            return
        # The map shows the whole list; the table has its first pages: load on to the item.
        while not any(item.id == chosen.submission_id for item in self.items) and self.cursor:
            before = self.cursor
            await self.load_page().wait()
            if self.cursor == before:  # the page failed; its error is shown
                return
        self.move_to(chosen.submission_id)
        self.load_detail()

    @work(group="inbox-workload")
    async def action_workload(self) -> None:
        """Open and overdue items per colleague and department; enter filters on one."""
        try:
            workload = await self.buurt.client.workload()
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        chosen = await self.app.push_screen_wait(WorkloadScreen(workload))
        if not chosen:
            return
        if "assignee" in chosen:
            who = chosen["assignee"]
            name = next((r.name for r in workload.assignees if str(r.account_id) == who), None)
            self.holder = {"assignee": who}
            self.holder_label = _("Assigned to {name}").format(name=name or _("nobody"))
        else:
            self.holder = {"department": chosen["department"]}
            self.holder_label = chosen["department"]
        self.view_index = 0  # the open items
        self.reload()

    def action_next_kind(self) -> None:
        self.kind_index = (self.kind_index + 1) % len(KIND_VIEWS)
        self.reload()

    def action_reload(self) -> None:
        current = self.current()
        self.reload(keep_id=current.id if current else None)

    @work(exclusive=True, group="inbox-export")
    async def action_export(self) -> None:
        name = f"buurt-inbox-{formats.file_stamp()}.csv"
        destination = Path.cwd() / name
        self.app.notify(_("Exporting to {path}…").format(path=destination))
        try:
            rows = await self.buurt.client.export_submissions(destination, self.filters())
        except (ApiError, OSError) as error:
            self.app.notify(getattr(error, "message", str(error)), severity="error")
            return
        self.app.notify(
            _("Exported {rows} submissions to {path}.").format(rows=rows, path=destination)
        )
