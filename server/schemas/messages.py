"""Bodies of the city message routes, with the kind-specific validation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.schemas import DbId, Moment, Strict
from server.schemas.vocabulary import Language, MessageKind, MessageState, QuestionType

__all__ = ["Language", "MessageKind", "MessageState", "QuestionType"]

TITLE_MAX = 140
BODY_MAX = 10_000


class EventDetails(Strict):
    starts_at: Moment
    ends_at: Moment
    place: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventDetails:
        if self.ends_at <= self.starts_at:
            raise ValueError("the event must end after it starts")
        return self


SCALE = range(1, 6)  # a scale question's answers: 1 to 5


class SurveyQuestion(Strict):
    """One question: one choice (`single`), several up to `max_choices` (`multiple`), a
    value from 1 to 5 (`scale`), or words (`open`, optional to answer)."""

    type: QuestionType = "single"
    question: dict[Language, str] = Field(min_length=1)
    choices: list[dict[Language, str]] = Field(default_factory=list, max_length=12)
    max_choices: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _fits_its_type(self) -> SurveyQuestion:
        if self.type in ("single", "multiple") and len(self.choices) < 2:
            raise ValueError(f"a {self.type} choice question needs at least 2 choices")
        if self.type in ("scale", "open") and self.choices:
            raise ValueError(f"a {self.type} question has no choices")
        if self.max_choices is not None:
            if self.type != "multiple":
                raise ValueError("max_choices goes with a multiple choice question")
            if self.max_choices > len(self.choices):
                raise ValueError("max_choices is more than there are choices")
        return self


class SurveyDetails(Strict):
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=30)
    closes_at: Moment


class BudgetDetails(Strict):
    """A call for ideas or a citizen budget: its amount and its deadline. A citizen budget
    takes proposals until `voting_from` (the deadline if not given) and votes from then."""

    budget_eur: int = Field(ge=0, le=1_000_000_000)
    deadline: Moment
    voting_from: Moment | None = None

    @model_validator(mode="after")
    def _voting_before_deadline(self) -> BudgetDetails:
        if self.voting_from is not None and self.voting_from >= self.deadline:
            raise ValueError("voting must open before the deadline")
        return self


class AlertDetails(Strict):
    urgency: Literal["low", "medium", "high"]


class MessageContent(Strict):
    """What a message says and to whom; shared by create and edit."""

    kind: MessageKind
    title: dict[Language, str] = Field(min_length=1)
    body: dict[Language, str] = Field(min_length=1)
    targets: Literal["all"] | list[DbId] = Field(
        description='"all" or a list of neighbourhood ids (an agency\'s "all" is its own)'
    )
    event: EventDetails | None = None
    survey: SurveyDetails | None = None
    budget: BudgetDetails | None = None
    alert: AlertDetails | None = None

    @field_validator("title")
    @classmethod
    def _titles(cls, value: dict[str, str]) -> dict[str, str]:
        for lang, text in value.items():
            if not text.strip():
                raise ValueError(f"the {lang} title is empty")
            if len(text) > TITLE_MAX:
                raise ValueError(f"the {lang} title is longer than {TITLE_MAX} characters")
        return {k: v.strip() for k, v in value.items()}

    @field_validator("body")
    @classmethod
    def _bodies(cls, value: dict[str, str]) -> dict[str, str]:
        for lang, text in value.items():
            if not text.strip():
                raise ValueError(f"the {lang} body is empty")
            if len(text) > BODY_MAX:
                raise ValueError(f"the {lang} body is longer than {BODY_MAX} characters")
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: str | list[int]) -> str | list[int]:
        if isinstance(value, list):
            if not value:
                raise ValueError('choose at least one neighbourhood, or "all"')
            if len(value) > 2000:
                raise ValueError("too many neighbourhoods")
            return sorted(set(value))
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> MessageContent:
        if set(self.title) != set(self.body):
            raise ValueError("give a title and a body in the same languages")
        wanted = {
            "event": "event",
            "survey": "survey",
            "call_for_ideas": "budget",
            "citizen_budget": "budget",
            "alert": "alert",
        }.get(self.kind)
        for name in ("event", "survey", "budget", "alert"):
            present = getattr(self, name) is not None
            if name == wanted and not present:
                raise ValueError(f"a {self.kind} message needs its '{name}' fields")
            if name != wanted and present:
                raise ValueError(f"'{name}' fields do not belong to a {self.kind} message")
        if self.kind == "citizen_budget" and self.budget and self.budget.budget_eur <= 0:
            raise ValueError("a citizen budget needs an amount above zero")
        return self


class MessageCreate(MessageContent):
    action: Literal["draft", "publish", "schedule"] = "draft"
    scheduled_at: Moment | None = None

    @model_validator(mode="after")
    def _schedule(self) -> MessageCreate:
        if self.action == "schedule" and self.scheduled_at is None:
            raise ValueError("scheduling needs scheduled_at")
        if self.action != "schedule" and self.scheduled_at is not None:
            raise ValueError('scheduled_at goes with action "schedule"')
        return self


class MessageUpdate(MessageContent):
    """A full replacement of a draft's or scheduled message's content (with If-Match)."""

    state: Literal["draft", "scheduled"] | None = None
    scheduled_at: Moment | None = None


class ReachRequest(Strict):
    targets: Literal["all"] | list[DbId]


class NeighbourhoodReach(BaseModel):
    id: int
    name: str
    registered_households: int
    total_households: int


class ReachOut(BaseModel):
    neighbourhoods: list[NeighbourhoodReach]
    registered_households: int
    total_households: int


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: MessageKind
    state: MessageState
    title: dict[str, str]
    body: dict[str, str]
    targets: Literal["all"] | list[int]
    target_names: list[str]
    event: EventDetails | None = None
    survey: SurveyDetails | None = None
    budget: BudgetDetails | None = None
    alert: AlertDetails | None = None
    author_account_id: int | None
    author_name: str | None
    scheduled_at: datetime | None
    published_at: datetime | None
    published_late: bool
    withdrawn_at: datetime | None
    reach_registered: int | None
    reach_total: int | None
    views: int = 0
    survey_responses: int | None = 0  # null: fewer than 5, held back
    closed_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime
