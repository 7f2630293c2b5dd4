"""The database schema, as SQLAlchemy 2 declarative models.

Alembic migrations (server/migrations) are the only way this schema reaches a database;
`tests/test_migrations.py` checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from server import clock
from server.schemas.vocabulary import (
    EVENT_TYPES,
    MESSAGE_KINDS,
    MESSAGE_STATES,
    PROPOSAL_STATES,
    ROLES,
    SCOPES,
)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (from `server.clock`, which tests can set)."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of all models, with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Municipality(Base):
    """A tenant: a city or town with its languages and total households."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    languages: Mapped[list[str]]
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    total_households: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(back_populates="municipality")


class Neighbourhood(Base):
    """A neighbourhood of a municipality; ideally 1,000-4,000 households."""

    __tablename__ = "neighbourhoods"
    __table_args__ = (UniqueConstraint("municipality_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    total_households: Mapped[int] = mapped_column(Integer)
    # Kept current by registration events, in the same transaction; the reach of a message.
    registered_households: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A representative point: reports with coordinates go to the nearest neighbourhood.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    municipality: Mapped[Municipality] = relationship(back_populates="neighbourhoods")


organisation_neighbourhoods = Table(
    "organisation_neighbourhoods",
    Base.metadata,
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Organisation(Base):
    """Who staff work for: the municipality itself, or an agency limited to some neighbourhoods."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # "municipality" | "agency"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    # Only agencies list neighbourhoods; the municipality's own organisation has them all.
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=organisation_neighbourhoods
    )

    @property
    def is_agency(self) -> bool:
        """True for an agency limited to a subset of neighbourhoods."""
        return self.kind == "agency"


class StaffAccount(Base):
    """A person working for an organisation, with one or more roles."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    roles: Mapped[list[str]]
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class AuthSession(Base):
    """One sign-in: the family of refresh and access tokens it issued."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))

    account: Mapped[StaffAccount] = relationship()


class RefreshToken(Base):
    """A single-use refresh token; stored as a SHA-256 hash, never in clear."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    session: Mapped[AuthSession] = relationship()


class AccessToken(Base):
    """A short-lived bearer token of a sign-in session; stored hashed."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    session: Mapped[AuthSession] = relationship()


class ApiToken(Base):
    """A scoped token for scripts, acting for the account that made it; shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # The first characters, kept in clear so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    account: Mapped[StaffAccount] = relationship()


class LoginFailure(Base):
    """A failed sign-in, kept for the rate limit's window so the limit survives a restart."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "account:<email>" or "address:<ip>"
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what, when and from where: one row per staff write."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_org_id", "organisation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    actor_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    actor_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


message_targets = Table(
    "message_targets",
    Base.metadata,
    Column("message_id", ForeignKey("city_messages.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class CityMessage(Base):
    """A message of the city to one, some or all of its neighbourhoods."""

    __tablename__ = "city_messages"
    __table_args__ = (
        Index("ix_city_messages_org_id", "organisation_id", "id"),
        Index("ix_city_messages_due", "state", "scheduled_at"),
        Index("ix_city_messages_org_updated", "organisation_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))
    # {language: text}; markdown in the body.
    title: Mapped[dict[str, Any]]
    body: Mapped[dict[str, Any]]
    # Kind-specific fields (event place and times, survey questions, budget, urgency).
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    target_all: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_late: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_at: Mapped[datetime | None]
    # Registered and total households in the targets, fixed when published.
    reach_registered: Mapped[int | None] = mapped_column(Integer)
    reach_total: Mapped[int | None] = mapped_column(Integer)
    # Counted from message_view and survey_response events, in the same transaction.
    views: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    survey_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A survey or budget closed by staff before its closing time.
    closed_at: Mapped[datetime | None]
    # Lower-cased text of titles and bodies, for the list's text filter.
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(secondary=message_targets)
    author: Mapped[StaffAccount | None] = relationship()

    # Every ORM UPDATE of a message says `WHERE version = <the version loaded>`: of two
    # writers that read the same version, the second changes nothing and fails (412). The
    # version itself moves only where the service says so (a view count does not move it).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class IdempotencyKey(Base):
    """A write already done for an `Idempotency-Key`: a retry gets the first answer back."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of method, path and body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Category(Base):
    """What a report or idea is about, per municipality; also an Open311 service."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))  # the Open311 service_code
    kind: Mapped[str] = mapped_column(String(10))  # "report" | "idea"
    name: Mapped[dict[str, Any]]  # {language: name}
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    group: Mapped[str] = mapped_column(String(64), default="")
    department: Mapped[str] = mapped_column(String(100))
    # Days the city gives itself for a first response; later than that is overdue.
    target_days: Mapped[int] = mapped_column(Integer, default=5)


class Submission(Base):
    """A report or idea a resident sent to the city (never a neighbourhood conversation)."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_muni_created", "municipality_id", "created_at", "id"),
        Index("ix_submissions_muni_status", "municipality_id", "status", "created_at"),
        Index("ix_submissions_hood_created", "neighbourhood_id", "created_at"),
        Index("ix_submissions_due", "municipality_id", "first_response_at", "due_at"),
        # The other sorts of the inbox, in keyset order (migration 0009).
        Index("ix_submissions_muni_updated", "municipality_id", "updated_at", "id"),
        Index("ix_submissions_muni_due_at", "municipality_id", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    # Personal data: only moderators and admins of the organisation ever see these.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_contact: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="new")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    department: Mapped[str] = mapped_column(String(100))
    assignee_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="app")
    # The language the resident wrote in (the app's and Open311's requests say; else the
    # municipality's first): replies from templates are filled in it.
    language: Mapped[str | None] = mapped_column(String(8))
    # Taken by staff for a resident who phoned, came to the desk or e-mailed: how, and who.
    channel: Mapped[str | None] = mapped_column(String(10))
    entered_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    # An idea sent in answer to a city's call for ideas.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("city_messages.id", ondelete="SET NULL"), index=True
    )
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]

    category: Mapped[Category] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    assignee: Mapped[StaffAccount | None] = relationship(foreign_keys=[assignee_account_id])
    entered_by: Mapped[StaffAccount | None] = relationship(foreign_keys=[entered_by_account_id])

    # As for messages: every ORM UPDATE is conditional on the version loaded.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class SubmissionEntry(Base):
    """The history of a submission: its creation, each change, public replies, internal notes."""

    __tablename__ = "submission_entries"
    __table_args__ = (Index("ix_submission_entries_sub", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    # "created" | "change" | "reply" (the resident sees it) | "note" (staff only)
    kind: Mapped[str] = mapped_column(String(10))
    field: Mapped[str | None] = mapped_column(String(30))
    before: Mapped[str | None] = mapped_column(String(200))
    after: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    actor_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[StaffAccount | None] = relationship()


class ReplyTemplate(Base):
    """A reply staff send often, per municipality: its text in each of the municipality's
    languages with placeholders ({reference}, {category}, ...), the categories and status it
    fits (none: any), and whether it is offered by itself when a submission moves there."""

    __tablename__ = "reply_templates"
    __table_args__ = (Index("ix_reply_templates_muni", "municipality_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(120))
    texts: Mapped[dict[str, Any]]  # {language: text}
    categories: Mapped[list[str]] = mapped_column(default=list)  # category codes; [] = any
    status: Mapped[str | None] = mapped_column(String(20))  # None = any
    suggest: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class EngagementEvent(Base):
    """Something a household did on the platform: a fact and a count, never any words."""

    __tablename__ = "engagement_events"
    __table_args__ = (
        UniqueConstraint("municipality_id", "event_id"),
        Index("ix_engagement_events_hood_at", "neighbourhood_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    # The sender's id of the event: a batch sent twice is counted once.
    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(30))
    household: Mapped[str] = mapped_column(String(100))  # an opaque id
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    # channel (registration), topic (post), response (rsvp), message_id (message_view, survey)
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DailyRollup(Base):
    """A count per neighbourhood, day and metric, kept current with every event."""

    __tablename__ = "daily_rollups"
    # Clustered on the key in SQLite too: a period's sum reads the index alone.
    __table_args__ = {"sqlite_with_rowid": False}

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class MunicipalityRollup(Base):
    """The same counts for the whole municipality, so the city-wide figures read a few
    hundred rows instead of one per neighbourhood and day."""

    __tablename__ = "municipality_rollups"
    __table_args__ = {"sqlite_with_rowid": False}

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class HouseholdActivity(Base):
    """The last day (the municipality's) on which a household was active, or contributed,
    in a neighbourhood: how many were active in the last 7 or 30 days is a count of an index
    range, the same figure on every day of the week and month (no calendar saw-tooth)."""

    __tablename__ = "household_activity"
    __table_args__ = (
        Index("ix_household_activity_recent", "neighbourhood_id", "set_name", "last_day"),
    )

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True
    )
    set_name: Mapped[str] = mapped_column(String(20), primary_key=True)  # active, contributor
    household: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_day: Mapped[date] = mapped_column(Date)


# -- participation: surveys and citizen budgets -------------------------------------------


class Participation(Base):
    """A household that took part (answered a survey, voted in a budget): once per message.
    `household` is a hash of the resident side's household id, never the id itself; the
    answers are not kept with it (see SurveyAnswer)."""

    __tablename__ = "participations"
    __table_args__ = (
        UniqueConstraint("message_id", "household", name="uq_participations_household"),
        UniqueConstraint("message_id", "key", name="uq_participations_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("city_messages.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the resident side's response or vote id
    household: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))  # a retry must be the same request
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyAnswer(Base):
    """One survey response's choices, or one budget ballot (`{"proposals": [ids]}`), with its
    neighbourhood and day but no household: what results could be recounted from (they are
    read from ParticipationCount)."""

    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_message", "message_id", "neighbourhood_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("city_messages.id", ondelete="CASCADE"))
    neighbourhood_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date]
    # {"0": [1], "1": [0, 2], "2": [4]}: chosen choice indexes, or the scale value; a
    # ballot: {"proposals": [3, 7]}.
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OpenAnswer(Base):
    """What a resident wrote to an open question: for the city to read, with no household."""

    __tablename__ = "open_answers"
    __table_args__ = (
        Index("ix_open_answers_message", "message_id", "question", "id"),
        Index("ix_open_answers_message_id", "message_id", "id"),  # all questions, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("city_messages.id", ondelete="CASCADE"))
    question: Mapped[int] = mapped_column(Integer)
    neighbourhood_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date]  # the day only: an exact time could point at someone
    text: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")


class ParticipationCount(Base):
    """Results kept as counters in the same transaction as each answer or vote, per message,
    neighbourhood and key: `responses`, `q0:c1` (choice 1 of question 0), `q2:s4` (scale
    value 4), `q3:open`, `day:2026-11-30`, `voters`, `p17` (votes for proposal 17)."""

    __tablename__ = "participation_counts"
    # City-wide results read one key of every neighbourhood (its responses or voters).
    __table_args__ = (Index("ix_participation_counts_key", "message_id", "key"),)

    message_id: Mapped[int] = mapped_column(
        ForeignKey("city_messages.id", ondelete="CASCADE"), primary_key=True
    )
    neighbourhood_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Proposal(Base):
    """A resident's project for a citizen budget; staff accept it into the vote or reject it
    with a reason the resident sees."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("message_id", "key", name="uq_proposals_key"),
        Index("ix_proposals_message_state", "message_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("city_messages.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the resident side's id (idempotency)
    household: Mapped[str] = mapped_column(String(64))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text)
    cost_eur: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="proposed")
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    votes: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    neighbourhood: Mapped[Neighbourhood] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class StreamEvent(Base):
    """What the live stream sends, kept for a day so a client can resume with Last-Event-ID."""

    __tablename__ = "stream_events"
    __table_args__ = (Index("ix_stream_events_muni_id", "municipality_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    # Scope: a neighbourhood's events go to those who may see it; an organisation's to it.
    neighbourhood_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "EVENT_TYPES",
    "MESSAGE_KINDS",
    "MESSAGE_STATES",
    "PROPOSAL_STATES",
    "ROLES",
    "SCOPES",
    "AccessToken",
    "ApiToken",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Category",
    "CityMessage",
    "DailyRollup",
    "EngagementEvent",
    "HouseholdActivity",
    "IdempotencyKey",
    "LoginFailure",
    "Municipality",
    "MunicipalityRollup",
    "Neighbourhood",
    "OpenAnswer",
    "Organisation",
    "Participation",
    "ParticipationCount",
    "Proposal",
    "RefreshToken",
    "StaffAccount",
    "StreamEvent",
    "Submission",
    "SubmissionEntry",
    "SurveyAnswer",
    "message_targets",
    "organisation_neighbourhoods",
]
