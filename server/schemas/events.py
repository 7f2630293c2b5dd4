"""Engagement events as the platform's resident side sends them: facts, never words."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from server.schemas import DbId, Strict

EventType = Literal[
    "registration", "post", "comment", "reaction", "help_request", "help_solved", "activity",
    "rsvp", "helper_signup", "volunteer_signup", "connection", "encounter", "message_view",
    "survey_response", "proposal", "vote",
]  # fmt: skip


class EventIn(Strict):
    """One event. Unknown fields are refused: no text of a resident can slip in."""

    id: str = Field(min_length=1, max_length=100)
    type: EventType
    household: str = Field(min_length=1, max_length=100)
    neighbourhood_id: DbId
    at: AwareDatetime
    channel: Literal["invitation", "organic"] | None = None  # registration
    topic: str | None = Field(default=None, max_length=40, pattern=r"^[a-z0-9_-]+$")  # post
    response: Literal["interested", "attending"] | None = None  # rsvp
    message_id: DbId | None = None  # message_view, survey_response


class EventBatch(BaseModel):
    # Items are checked one by one in the service, so one bad event does not sink the batch.
    events: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


class Rejected(BaseModel):
    index: int
    id: str | None
    reason: str


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejected]
