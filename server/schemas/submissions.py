"""Bodies of the inbox routes: submissions, their history, changes, bulk changes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from server.schemas import DbId, Strict
from server.schemas.vocabulary import (
    Channel,
    EntryKind,
    Language,
    Priority,
    Role,
    SubmissionKind,
    SubmissionStatus,
)

__all__ = ["Channel", "Priority", "SubmissionKind", "SubmissionStatus"]


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: SubmissionKind
    name: dict[str, str]
    group: str
    department: str
    target_days: int


class EntryOut(BaseModel):
    id: int
    kind: EntryKind
    field: str | None
    before: str | None
    after: str | None
    text: str | None
    actor_account_id: int | None
    actor_name: str | None
    at: datetime


class SubmissionCounts(BaseModel):
    """How many submissions match, per status; `open` is all but the closed ones."""

    total: int
    open: int
    overdue: int
    by_status: dict[SubmissionStatus, int]


class SubmissionOut(BaseModel):
    id: int
    kind: SubmissionKind
    category: CategoryOut
    description: str
    neighbourhood_id: int | None
    neighbourhood_name: str | None
    lat: float | None
    lon: float | None
    address: str | None
    media_url: str | None
    # Personal data: null unless you are a moderator or admin of this organisation.
    reporter_name: str | None
    reporter_contact: str | None
    status: SubmissionStatus
    duplicate_of_id: int | None
    priority: Priority
    department: str
    assignee_account_id: int | None
    assignee_name: str | None
    source: str
    # The language the resident wrote in; for one taken by staff, how (phone, desk, email,
    # other) and by whom.
    language: str | None = None
    channel: Channel | None = None
    entered_by_name: str | None = None
    # An idea sent in answer to a call for ideas: the call's message id.
    message_id: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    first_response_at: datetime | None
    overdue: bool


class AssigneeLoad(BaseModel):
    account_id: int | None  # null: not assigned to anyone
    name: str | None
    open: int
    overdue: int


class DepartmentLoad(BaseModel):
    department: str
    open: int
    overdue: int


class Workload(BaseModel):
    assignees: list[AssigneeLoad]
    departments: list[DepartmentLoad]


class SubmissionDetail(SubmissionOut):
    history: list[EntryOut]


class SubmissionCreate(Strict):
    """A report or idea taken for a resident who phoned, came to the desk or e-mailed. The
    place: a neighbourhood, an address or coordinates (at least one)."""

    category: str = Field(min_length=1, max_length=64, description="the category's code")
    description: str = Field(min_length=1, max_length=4000)
    channel: Channel
    neighbourhood_id: DbId | None = None
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=320)
    language: Language | None = None


class SubmissionChange(Strict):
    """Fields to change; only those given are touched. `assignee_account_id: null` unassigns."""

    status: SubmissionStatus | None = None
    priority: Priority | None = None
    department: str | None = Field(default=None, min_length=1, max_length=100)
    assignee_account_id: DbId | None = None
    unassign: StrictBool = False


class TextIn(Strict):
    text: str = Field(min_length=1, max_length=5000)


class DuplicateIn(Strict):
    of: DbId


class BulkIn(Strict):
    """The same change for each submission; with `reply_template_id`, a public reply from
    that template too, filled in for each one (refused for one whose category it does not
    fit)."""

    ids: list[DbId] = Field(min_length=1, max_length=500)
    changes: SubmissionChange
    reply_template_id: DbId | None = None


class BulkResult(BaseModel):
    id: int
    ok: bool
    version: int | None = None
    status: int
    problem: dict[str, object] | None = None


class BulkOut(BaseModel):
    results: list[BulkResult]
    succeeded: int
    failed: int


class StaffOut(BaseModel):
    id: int
    name: str
    roles: list[Role]


class SuggestionOut(BaseModel):
    submission: SubmissionOut
    distance_m: int | None
