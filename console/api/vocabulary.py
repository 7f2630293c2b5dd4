"""The server's words for a submission's status, priority and channel, with their names for
people: the client's sentences and every screen and command use this one copy, and
tests/test_contract.py holds it against the enums of the server's OpenAPI document."""

from __future__ import annotations

from console.i18n import N_

STATUS_LABELS = {
    "new": N_("New"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "rejected": N_("Rejected"),
    "duplicate": N_("Duplicate"),
}
STATUSES = tuple(STATUS_LABELS)
# How a report taken by staff reached them (the server's `channel`).
CHANNEL_CHOICES = (
    ("phone", N_("By phone")),
    ("desk", N_("At the desk")),
    ("email", N_("By e-mail")),
    ("other", N_("Another way")),
)
CHANNEL_LABELS = dict(CHANNEL_CHOICES)
PRIORITY_LABELS = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
