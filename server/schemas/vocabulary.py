"""The API's words, each defined once: roles, scopes, statuses, kinds, states, placeholders
and problem types.

Each is a named `Literal` (a `TypeAliasType`): mypy checks every use, pydantic refuses any
other value, and the OpenAPI document carries it as an enum schema of that name
(`server/openapi.py` adds the ones no body uses). The tuples beside them are the same
values for code that iterates (the CLI's help, the database's checks).

This module imports nothing of the server: the models and every other schema read it.
"""

from __future__ import annotations

from typing import Literal, get_args

from typing_extensions import TypeAliasType

Role = TypeAliasType("Role", Literal["admin", "communicator", "moderator", "analyst"])
Scope = TypeAliasType(
    "Scope",
    Literal[
        "messages:read",
        "messages:write",
        "submissions:read",
        "submissions:write",
        "stats:read",
        "events:write",
        "open311:submit",
        # The resident side's answers, proposals and votes (surveys and citizen budgets).
        "participation:write",
    ],
)
Language = TypeAliasType("Language", Literal["nl", "fr", "en"])

SubmissionKind = TypeAliasType("SubmissionKind", Literal["report", "idea"])
SubmissionStatus = TypeAliasType(
    "SubmissionStatus",
    Literal["new", "acknowledged", "in_progress", "resolved", "rejected", "duplicate"],
)
Priority = TypeAliasType("Priority", Literal["low", "normal", "high", "urgent"])
# How staff took a report or idea for a resident.
Channel = TypeAliasType("Channel", Literal["phone", "desk", "email", "other"])
# A line of a submission's history.
EntryKind = TypeAliasType("EntryKind", Literal["created", "change", "reply", "note"])

MessageKind = TypeAliasType(
    "MessageKind",
    Literal["announcement", "event", "survey", "call_for_ideas", "citizen_budget", "alert"],
)
MessageState = TypeAliasType(
    "MessageState", Literal["draft", "scheduled", "published", "withdrawn"]
)
# The messages that take part: answers, proposals and votes, or ideas; they have results.
ParticipationKind = TypeAliasType(
    "ParticipationKind", Literal["survey", "citizen_budget", "call_for_ideas"]
)
QuestionType = TypeAliasType("QuestionType", Literal["single", "multiple", "scale", "open"])
ProposalState = TypeAliasType("ProposalState", Literal["proposed", "accepted", "rejected"])

EventType = TypeAliasType(
    "EventType",
    Literal[
        "registration", "post", "comment", "reaction", "help_request", "help_solved",
        "activity", "rsvp", "helper_signup", "volunteer_signup", "connection", "encounter",
        "message_view", "survey_response", "proposal", "vote",
    ],
)  # fmt: skip

# What a reply template's text may name in braces, `{reference}`: the submission's reference
# number (#1234), its category and status (the new one, for a status change) in the
# resident's language, its neighbourhood, the name of the staff member who sends the reply,
# the date a first response is due, the municipality's name.
Placeholder = TypeAliasType(
    "Placeholder",
    Literal[
        "reference", "category", "neighbourhood", "status", "staff_name", "due_date",
        "municipality",
    ],
)  # fmt: skip

ROLES: tuple[Role, ...] = get_args(Role.__value__)
SCOPES: tuple[Scope, ...] = get_args(Scope.__value__)
LANGUAGES: tuple[Language, ...] = get_args(Language.__value__)
SUBMISSION_KINDS: tuple[SubmissionKind, ...] = get_args(SubmissionKind.__value__)
SUBMISSION_STATUSES: tuple[SubmissionStatus, ...] = get_args(SubmissionStatus.__value__)
PRIORITIES: tuple[Priority, ...] = get_args(Priority.__value__)
MESSAGE_KINDS: tuple[MessageKind, ...] = get_args(MessageKind.__value__)
MESSAGE_STATES: tuple[MessageState, ...] = get_args(MessageState.__value__)
PARTICIPATION_KINDS: tuple[ParticipationKind, ...] = get_args(ParticipationKind.__value__)
PROPOSAL_STATES: tuple[ProposalState, ...] = get_args(ProposalState.__value__)
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType.__value__)
PLACEHOLDERS: tuple[Placeholder, ...] = get_args(Placeholder.__value__)

# Every problem the API answers: slug -> (status, title). A problem's `type` is
# `/problems/<slug>`; clients switch on it. The slugs are part of the API: never rename one.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "invalid-cursor": (400, "The cursor is not valid for this list"),
    "too-deep": (400, "The JSON body is nested too deeply"),
    "invalid-utf8": (400, "The text is not valid UTF-8"),
    "unknown-parameter": (400, "Unknown query parameter"),
    "validation": (422, "The request is not valid"),
    "invalid-template": (422, "The reply template cannot be filled in"),
    "invalid-answer": (422, "The answer does not fit the survey's questions"),
    "over-budget": (422, "The chosen proposals cost more than the budget"),
    "not-targeted": (403, "The household's neighbourhood is not addressed by this message"),
    "participation-closed": (409, "The survey or budget is not open"),
    "already-taken-part": (409, "This household already answered or voted"),
    "unauthenticated": (401, "Authentication required"),
    "invalid-credentials": (401, "Wrong email or password"),
    "invalid-token": (401, "The token is invalid, expired or revoked"),
    "refresh-token-reused": (401, "This refresh token was already used"),
    "forbidden": (403, "Not allowed"),
    "missing-role": (403, "A role is missing"),
    "missing-scope": (403, "The token lacks a scope"),
    "not-found": (404, "Not found"),
    # Results of a neighbourhood too small to show apart (the disclosure rule).
    "suppressed": (403, "Too few to show apart"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "idempotency-key-reused": (422, "The Idempotency-Key was used for another request"),
    "idempotency-key-required": (428, "An Idempotency-Key header is required"),
    "neighbourhood-not-allowed": (403, "A neighbourhood is outside your organisation's reach"),
    "invalid-state": (409, "Not possible in the message's current state"),
    "invalid-transition": (422, "This status change is not allowed"),
    "precondition-failed": (412, "The object changed since you read it"),
    "precondition-required": (428, "An If-Match header is required"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "rate-limited": (429, "Too many attempts"),
    "internal": (500, "Internal server error"),
    "service-unavailable": (503, "The service is temporarily unavailable"),
}


def type_uri(slug: str) -> str:
    """The stable `type` URI of a problem slug."""
    return f"/problems/{slug}"


# The named words, for the OpenAPI document's components (`server/openapi.py`).
NAMED = (
    Role, Scope, Language, SubmissionKind, SubmissionStatus, Priority, Channel, EntryKind,
    MessageKind, MessageState, ParticipationKind, QuestionType, ProposalState, EventType,
    Placeholder,
)  # fmt: skip
