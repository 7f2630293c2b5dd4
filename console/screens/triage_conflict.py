"""A colleague changed the submission first (412): their version next to your change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.api.models import Submission
from console.api.vocabulary import PRIORITY_LABELS, STATUS_LABELS
from console.bindings import translate_bindings
from console.i18n import N_, _


def describe_change(change: dict[str, Any], staff_names: dict[int, str]) -> list[str]:
    """Your change, as lines a person reads."""
    lines = []
    if "status" in change:
        lines.append(_("Status: {value}").format(value=_(STATUS_LABELS[change["status"]])))
    if "priority" in change:
        lines.append(_("Priority: {value}").format(value=_(PRIORITY_LABELS[change["priority"]])))
    if change.get("unassign"):
        lines.append(_("Assignee: nobody"))
    elif "assignee_account_id" in change:
        name = staff_names.get(change["assignee_account_id"], str(change["assignee_account_id"]))
        lines.append(_("Assignee: {value}").format(value=name))
    return lines


class TriageConflictScreen(ModalScreen[str]):
    """Dismisses with "reapply" or "drop"."""

    CSS_PATH = "triage_conflict.tcss"
    BINDINGS = [Binding("escape", "drop", N_("Drop mine"), id="drop_change")]

    def __init__(self, current: Submission, mine: list[str]) -> None:
        super().__init__()
        translate_bindings(self)
        self.current = current
        self.mine = mine

    def compose(self) -> ComposeResult:
        c = self.current
        theirs = [
            _("Status: {value}").format(value=_(STATUS_LABELS.get(c.status, c.status))),
            _("Priority: {value}").format(value=_(PRIORITY_LABELS.get(c.priority, c.priority))),
            _("Assignee: {value}").format(value=c.assignee_name or _("nobody")),
        ]
        with Vertical(id="tc-box"):
            yield Static(
                _("A colleague changed #{id} while you were looking at it.").format(id=c.id),
                id="tc-title",
            )
            with Horizontal(id="tc-sides"):
                with Vertical(classes="tc-side"):
                    yield Static(
                        _("Now (version {version})").format(version=c.version), classes="tc-head"
                    )
                    yield Static("\n".join(theirs), markup=False)
                with Vertical(classes="tc-side"):
                    yield Static(_("Your change"), classes="tc-head")
                    yield Static("\n".join(self.mine), markup=False)
            with Horizontal(id="tc-buttons"):
                yield Button(_("Apply mine on top"), variant="warning", id="reapply")
                yield Button(_("Drop mine"), variant="primary", id="drop")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "drop")

    def action_drop(self) -> None:
        self.dismiss("drop")
