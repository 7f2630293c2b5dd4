"""Typed objects the client returns; screens never see raw JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class ApiModel(BaseModel):
    # A newer server may add fields: ignore them instead of failing.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Tokens(ApiModel):
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_at: datetime


class Municipality(ApiModel):
    id: int
    slug: str
    name: str
    languages: list[str]
    timezone: str
    total_households: int


class Organisation(ApiModel):
    id: int
    slug: str
    name: str
    kind: str
    municipality: Municipality

    @property
    def is_agency(self) -> bool:
        return self.kind == "agency"


class Me(ApiModel):
    id: int
    email: str
    name: str
    language: str
    roles: list[str]
    organisation: Organisation
    token_scopes: list[str] | None = None

    def _allows(self, scope: str, *roles: str) -> bool:
        # The server's rule: one of the roles, and with an API token, the scope.
        scoped = self.token_scopes is None or scope in self.token_scopes
        return scoped and bool(set(roles) & set(self.roles))

    @property
    def may_write_messages(self) -> bool:
        """Whether the server lets this caller write and publish city messages."""
        return self._allows("messages:write", "communicator", "admin")

    @property
    def may_triage(self) -> bool:
        """Whether the server lets this caller change, answer and assign submissions."""
        return self._allows("submissions:write", "moderator", "admin")

    @property
    def may_manage_templates(self) -> bool:
        """Whether the server lets this caller add, change and delete reply templates."""
        return self._allows("submissions:write", "admin")

    @property
    def may_read_inbox(self) -> bool:
        """Whether the server lets this caller read reports and ideas."""
        return self._allows("submissions:read", "moderator", "admin", "analyst")


class Neighbourhood(ApiModel):
    id: int
    slug: str
    name: str
    municipality_id: int
    total_households: int
    registered_households: int = 0
    lat: float | None = None
    lon: float | None = None


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class NeighbourhoodReach(ApiModel):
    id: int
    name: str
    registered_households: int
    total_households: int


class Reach(ApiModel):
    neighbourhoods: list[NeighbourhoodReach]
    registered_households: int
    total_households: int


class Message(ApiModel):
    id: int
    kind: str
    state: str
    title: dict[str, str]
    body: dict[str, str]
    targets: str | list[int]
    target_names: list[str]
    event: dict[str, Any] | None = None
    survey: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    alert: dict[str, Any] | None = None
    author_account_id: int | None = None
    author_name: str | None = None
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    published_late: bool = False
    withdrawn_at: datetime | None = None
    reach_registered: int | None = None
    reach_total: int | None = None
    views: int = 0
    survey_responses: int | None = 0
    closed_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    # Set by the client: the server answered a retry with the first result (same key).
    replayed: bool = False

    @property
    def targets_all(self) -> bool:
        return self.targets == "all"

    def title_for(self, languages: list[str]) -> str:
        """The title in the first of `languages` it has, else in any language."""
        for lang in languages:
            if self.title.get(lang):
                return self.title[lang]
        return next(iter(self.title.values()), "")

    def content(self) -> dict[str, Any]:
        """The editable part, as the API takes it back (for edits and duplicates)."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "title": dict(self.title),
            "body": dict(self.body),
            "targets": self.targets,
        }
        for name in ("event", "survey", "budget", "alert"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


class Category(ApiModel):
    id: int
    code: str
    kind: str
    name: dict[str, str]
    group: str
    department: str
    target_days: int

    def label(self, languages: list[str]) -> str:
        """The name in the first of `languages` it has."""
        for lang in languages:
            if self.name.get(lang):
                return self.name[lang]
        return next(iter(self.name.values()), self.code)


class Staff(ApiModel):
    id: int
    name: str
    roles: list[str]


class HistoryEntry(ApiModel):
    id: int
    kind: str  # created | change | reply | note
    field: str | None = None
    before: str | None = None
    after: str | None = None
    text: str | None = None
    actor_account_id: int | None = None
    actor_name: str | None = None
    at: datetime


class SubmissionCounts(ApiModel):
    total: int
    open: int
    overdue: int
    by_status: dict[str, int]


class Submission(ApiModel):
    id: int
    kind: str
    category: Category
    description: str
    neighbourhood_id: int | None = None
    neighbourhood_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    media_url: str | None = None
    reporter_name: str | None = None
    reporter_contact: str | None = None
    status: str
    duplicate_of_id: int | None = None
    priority: str
    department: str
    assignee_account_id: int | None = None
    assignee_name: str | None = None
    source: str
    language: str | None = None
    channel: str | None = None  # taken by staff: phone, desk, email or other
    entered_by_name: str | None = None
    message_id: int | None = None  # an idea sent in answer to this call for ideas
    version: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    first_response_at: datetime | None = None
    overdue: bool = False


class SubmissionDetail(Submission):
    history: list[HistoryEntry] = []


class AssigneeLoad(ApiModel):
    account_id: int | None = None  # None: not assigned to anyone
    name: str | None = None
    open: int
    overdue: int


class DepartmentLoad(ApiModel):
    department: str
    open: int
    overdue: int


class Workload(ApiModel):
    """Open and overdue items per colleague and per department."""

    assignees: list[AssigneeLoad] = []
    departments: list[DepartmentLoad] = []


class ReplyTemplate(ApiModel):
    """A reply staff send often; texts per language with {placeholders}."""

    id: int
    title: str
    texts: dict[str, str]
    categories: list[str] = []
    status: str | None = None
    suggest: bool = False
    version: int
    updated_at: datetime


class FilledReply(ApiModel):
    """A template filled in for one submission, in the resident's language."""

    template_id: int
    title: str
    language: str
    text: str
    suggested: bool = False


class Suggestion(ApiModel):
    submission: Submission
    distance_m: int | None = None


class BulkItem(ApiModel):
    id: int
    ok: bool
    version: int | None = None
    status: int
    problem: dict[str, Any] | None = None


class BulkOutcome(ApiModel):
    results: list[BulkItem]
    succeeded: int
    failed: int


class Overview(ApiModel):
    """The dashboard's figures (see GET /v1/stats/overview)."""

    period_days: int | None = None
    neighbourhoods: int
    # The newest live-stream event these figures include: older deltas are in already.
    as_of_event: int | None = None
    registered_households: int
    total_households: int
    registered_share: float | None = None
    # Rolling windows ending today (the municipality's day): the same meaning every day.
    active_7d: int = 0
    active_7d_share: float | None = None
    contributors_30d: int = 0
    contributors_30d_share: float | None = None
    interactions: int = 0
    interactions_per_household: float | None = None
    help_solved_share: float | None = None
    # None: not shown for this scope (taking part per neighbourhood is in the results).
    metrics: dict[str, int | None] = {}
    topics: dict[str, int] = {}
    topic_labels: dict[str, dict[str, str]] = {}

    def topic_label(self, code: str, languages: list[str]) -> str:
        """A topic's name in the first of `languages` it has."""
        names = self.topic_labels.get(code, {})
        return next((names[lang] for lang in languages if names.get(lang)), code)


class NeighbourhoodStats(ApiModel):
    id: int
    name: str
    total_households: int
    registered_households: int
    registered_share: float | None = None
    active_7d_share: float | None = None
    posts: int = 0
    interactions: int = 0
    interactions_per_household: float | None = None
    help_requests: int = 0
    help_solved: int = 0
    new_households: int = 0


class SeriesPoint(ApiModel):
    bucket: str
    value: int


class TimeSeries(ApiModel):
    metric: str
    granularity: str
    series: dict[str, list[SeriesPoint]]


# -- participation --------------------------------------------------------------------------

# A count as the server shows it: a number, or "< 5" where it could single out a household.
Shown = int | str


class ChoiceResult(ApiModel):
    index: int
    label: dict[str, str]
    count: Shown
    share: float | None = None


class QuestionResult(ApiModel):
    index: int
    type: str
    question: dict[str, str]
    answered: Shown
    choices: list[ChoiceResult] = []
    average: float | None = None
    max_choices: int | None = None


class NeighbourhoodResult(ApiModel):
    id: int
    name: str
    registered_households: int
    count: Shown
    rate: float | None = None


class DayCount(ApiModel):
    day: date
    count: Shown


class ProposalResult(ApiModel):
    id: int
    title: str
    neighbourhood_name: str
    cost_eur: int
    votes: Shown
    rank: int
    winning: bool


class Results(ApiModel):
    """A survey's, budget's or call's live results."""

    message_id: int
    kind: str
    title: dict[str, str]
    open: bool
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    neighbourhood_id: int | None = None
    households_reached: int | None = None
    count: Shown
    rate: float | None = None
    neighbourhoods: list[NeighbourhoodResult] = []
    over_time: list[DayCount] = []
    questions: list[QuestionResult] = []
    open_answers: int | None = 0
    budget_eur: int | None = None
    proposals: list[ProposalResult] = []
    winning_set: list[int] = []
    winning_cost_eur: int | None = None
    method: str | None = None
    ideas_by_category: dict[str, Shown] = {}


class Proposal(ApiModel):
    """A resident's proposal for a citizen budget, as staff see it."""

    id: int
    message_id: int
    title: str
    description: str
    cost_eur: int
    state: str
    reason: str | None = None
    neighbourhood_id: int
    neighbourhood_name: str
    votes: int
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    created_at: datetime
    version: int


class OpenAnswer(ApiModel):
    id: int
    question: int
    text: str
    day: date
    neighbourhood_name: str | None = None
