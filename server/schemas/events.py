"""Engagement events as the platform's resident side sends them: facts, never words."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

import config
from server.schemas import DbId, Moment, Strict
from server.schemas.vocabulary import EventType

TOPICS = frozenset(config.topics())


class EventIn(Strict):
    """One event. Unknown fields are refused: no text of a resident can slip in."""

    id: str = Field(min_length=1, max_length=100)
    type: EventType
    household: str = Field(min_length=1, max_length=100)
    neighbourhood_id: DbId
    at: Moment
    channel: Literal["invitation", "organic"] | None = None  # registration
    # post: a code of config/topics.toml, never words (the resident side classifies)
    topic: str | None = Field(default=None, max_length=40)
    response: Literal["interested", "attending"] | None = None  # rsvp
    message_id: DbId | None = None  # message_view, survey_response

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, value: str | None) -> str | None:
        if value is not None and value not in TOPICS:
            raise ValueError(f"not a topic of the vocabulary ({', '.join(sorted(TOPICS))})")
        return value


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
