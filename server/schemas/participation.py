"""Surveys and citizen budgets: what the resident side sends (answers, proposals, votes), what
staff decide, and the results they read. A count that could single out a household (fewer
than 5 in a neighbourhood) is the string "< 5" instead of a number; where a single one would
be, the next smallest is "hidden" too, so that subtracting from a total tells nothing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from server.schemas import DbId, Strict
from server.schemas.vocabulary import ParticipationKind, ProposalState, QuestionType

ResidentKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
SMALL: Literal["< 5"] = "< 5"
# Held back beside a single "< 5", which the total would otherwise give away.
HIDDEN: Literal["hidden"] = "hidden"
# A count as shown: the number, "< 5" where it could point at a household, or "hidden".
Shown = int | Literal["< 5", "hidden"]


class AnswerIn(Strict):
    """The answer to one question: `choice` (single), `choices` (multiple), `value` (scale,
    1 to 5) or `text` (open)."""

    question: int = Field(ge=0, le=29)
    choice: int | None = Field(default=None, ge=0, le=11)
    choices: list[Annotated[int, Field(ge=0, le=11)]] | None = Field(default=None, max_length=12)
    value: int | None = Field(default=None, ge=1, le=5)
    text: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_kind(self) -> AnswerIn:
        given = [v for v in (self.choice, self.choices, self.value, self.text) if v is not None]
        if len(given) != 1:
            raise ValueError("give one of choice, choices, value or text")
        return self


class SurveyResponseIn(Strict):
    """A household's answers to a survey. `id` is the resident side's id of this response:
    sent again, it is recorded once."""

    id: ResidentKey
    household: ResidentKey
    neighbourhood_id: DbId
    answers: list[AnswerIn] = Field(min_length=1, max_length=30)


class ProposalIn(Strict):
    """A resident's project for a citizen budget."""

    id: ResidentKey
    household: ResidentKey
    neighbourhood_id: DbId
    title: str = Field(min_length=1, max_length=140)
    description: str = Field(min_length=1, max_length=5000)
    cost_eur: int = Field(ge=1, le=1_000_000_000)


class VoteIn(Strict):
    """A household's vote: the accepted proposals it supports, together within the budget."""

    id: ResidentKey
    household: ResidentKey
    neighbourhood_id: DbId
    proposals: list[DbId] = Field(min_length=1, max_length=100)


class Recorded(BaseModel):
    """What became of an answer or vote: `duplicate` when this id was recorded before."""

    message_id: int
    duplicate: bool


class ProposalStatus(BaseModel):
    """A proposal as its resident sees it: accepted into the vote, or rejected and why."""

    id: int
    message_id: int
    title: str
    cost_eur: int
    state: ProposalState
    reason: str | None


class ProposalOut(ProposalStatus):
    """A proposal as staff see it (never who proposed it)."""

    description: str
    neighbourhood_id: int
    neighbourhood_name: str
    votes: int
    decided_by_name: str | None
    decided_at: datetime | None
    created_at: datetime
    version: int


class DecisionIn(Strict):
    """Accept a proposal into the vote, or reject it with a reason the resident reads."""

    decision: Literal["accept", "reject"]
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> DecisionIn:
        if self.decision == "reject" and not (self.reason or "").strip():
            raise ValueError("say why the proposal is rejected: the resident reads it")
        return self


# -- results -------------------------------------------------------------------------------


class ChoiceResult(BaseModel):
    index: int
    label: dict[str, str]
    count: Shown
    share: float | None  # of the question's answers; null where the count is not shown


class QuestionResult(BaseModel):
    index: int
    type: QuestionType
    question: dict[str, str]
    answered: Shown
    # single and multiple: the choices; scale: values 1 to 5 as choices "1" … "5".
    choices: list[ChoiceResult] = []
    average: float | None = None  # scale
    max_choices: int | None = None


class NeighbourhoodResult(BaseModel):
    id: int
    name: str
    registered_households: int
    count: Shown  # responses to a survey, voters in a budget
    rate: float | None  # of its registered households; null where the count is not shown


class DayCount(BaseModel):
    day: date
    count: Shown


class ProposalResult(BaseModel):
    id: int
    title: str
    neighbourhood_name: str
    cost_eur: int
    votes: Shown
    rank: int
    winning: bool


class Results(BaseModel):
    """A survey's or a citizen budget's results, live; `neighbourhood_id` when filtered."""

    message_id: int
    kind: ParticipationKind
    title: dict[str, str]
    open: bool
    closes_at: datetime | None
    closed_at: datetime | None
    neighbourhood_id: int | None
    households_reached: int | None  # registered households addressed when published
    count: Shown  # responses, voters, or ideas
    rate: float | None  # count over households reached
    neighbourhoods: list[NeighbourhoodResult]
    over_time: list[DayCount]
    questions: list[QuestionResult] = []
    open_answers: int | None = 0  # null where a count of it is held back
    # A citizen budget: ranked proposals and the set that fits the budget.
    budget_eur: int | None = None
    proposals: list[ProposalResult] = []
    winning_set: list[int] = []
    winning_cost_eur: int | None = None
    method: str | None = None
    # A call for ideas: the ideas linked to it, per category.
    ideas_by_category: dict[str, Shown] = {}


class OpenAnswerOut(BaseModel):
    id: int
    question: int
    text: str
    day: date
    # Named only where the neighbourhood has 5 responses or more.
    neighbourhood_name: str | None
