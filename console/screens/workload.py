"""Who holds how much: open and overdue items per colleague and per department (`w` in the
inbox). `enter` on a row opens the inbox on that person's or department's items."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from console import formats
from console.api.models import Workload
from console.bindings import translate_bindings
from console.i18n import N_, _
from console.widgets.table import Table


class WorkloadScreen(ModalScreen[dict[str, str] | None]):
    """Dismisses with an inbox filter ({"assignee": "12"|"none"} or {"department": …})."""

    CSS_PATH = "workload.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Close"), id="close_workload")]

    def __init__(self, workload: Workload) -> None:
        super().__init__()
        translate_bindings(self)
        self.workload = workload

    def compose(self) -> ComposeResult:
        with Vertical(id="workload-box"):
            yield Static(_("Workload: open and overdue items"), id="workload-title")
            yield Static(_("enter opens the inbox on the row, esc closes"), id="workload-hint")
            with Horizontal(id="workload-tables"):
                yield Table(id="workload-people", cursor_type="row")
                yield Table(id="workload-departments", cursor_type="row")

    def on_mount(self) -> None:
        people = self.query_one("#workload-people", DataTable)
        people.add_columns(_("Assignee"), _("Open items"), _("Overdue"))
        for row in self.workload.assignees:
            key = str(row.account_id) if row.account_id is not None else "none"
            people.add_row(
                row.name or _("Nobody"),
                formats.number(row.open),
                formats.number(row.overdue),
                key=f"assignee:{key}",
            )
        departments = self.query_one("#workload-departments", DataTable)
        departments.add_columns(_("Department"), _("Open items"), _("Overdue"))
        for dep in self.workload.departments:
            departments.add_row(
                dep.department,
                formats.number(dep.open),
                formats.number(dep.overdue),
                key=f"department:{dep.department}",
            )
        people.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        field, _sep, value = str(event.row_key.value).partition(":")
        self.dismiss({field: value})

    def action_cancel(self) -> None:
        self.dismiss(None)
