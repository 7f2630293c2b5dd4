"""Words and small rules of the inbox shared by the CLI and the inbox screen."""

from __future__ import annotations

from datetime import UTC, datetime

from console.api.vocabulary import PRIORITY_LABELS, STATUS_LABELS
from console.i18n import N_, _

# Where a submission can go from each status (the server enforces the same).
NEXT_STATUSES = {
    "new": ("acknowledged", "in_progress", "rejected"),
    "acknowledged": ("in_progress", "resolved", "rejected"),
    "in_progress": ("acknowledged", "resolved", "rejected"),
    "resolved": ("in_progress",),
    "rejected": ("acknowledged",),
    "duplicate": ("acknowledged",),
}
# Only these can be closed as a duplicate (the server enforces the same).
DUPLICABLE = ("new", "acknowledged")


def age_text(created: datetime, now: datetime | None = None) -> str:
    """How long ago, short: 3 h, 5 d."""
    seconds = max(0, int(((now or datetime.now(UTC)) - created).total_seconds()))
    if seconds < 3600:
        return _("{n} min").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h").format(n=seconds // 3600)
    return _("{n} d").format(n=seconds // 86400)


def received_text(kind: str, how: str | None = None, who: str | None = None) -> str:
    """The first line of a history: "Report received", or "Idea received by phone, entered
    by Sofie" (the kind named: a bare "received" reads as a receipt in French)."""
    report = kind != "idea"
    if how is None:
        return _("Report received") if report else _("Idea received")
    sentence = (
        _("Report received {how}, entered by {who}")
        if report
        else _("Idea received {how}, entered by {who}")
    )
    return sentence.format(how=how, who=who or "")


# The fields a history entry may name, as people call them.
FIELD_LABELS = {
    "status": N_("Status"),
    "priority": N_("Priority"),
    "department": N_("Department"),
    "assignee": N_("Assignee"),
    "duplicate_of": N_("Duplicate of"),
}


def change_text(field: str | None, before: str | None, after: str | None) -> str:
    """A change in a submission's history in words: "Status: Acknowledged → In progress"."""
    labels = {"status": STATUS_LABELS, "priority": PRIORITY_LABELS}.get(field or "", {})

    def value(raw: str | None) -> str:
        if raw is None:
            return _("nobody") if field == "assignee" else "–"
        return _(labels[raw]) if raw in labels else raw

    label = _(FIELD_LABELS[field]) if field in FIELD_LABELS else (field or "")
    return _("{field}: {before} → {after}").format(
        field=label, before=value(before), after=value(after)
    )
