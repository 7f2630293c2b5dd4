"""The inbox: residents' reports and ideas, their triage, history, replies and notes.

Submissions belong to a municipality; the municipality's organisation sees them all, an
agency those in its neighbourhoods. Reporter name and contact are personal data: only
moderators and admins get them.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from server.db import begin_write
from server.models import (
    Category,
    Municipality,
    Neighbourhood,
    StaffAccount,
    Submission,
    SubmissionEntry,
    organisation_neighbourhoods,
    utcnow,
)
from server.principal import Principal
from server.schemas import ID_MAX
from server.schemas.submissions import (
    CategoryOut,
    EntryOut,
    SubmissionChange,
    SubmissionCreate,
    SubmissionDetail,
    SubmissionOut,
)
from server.services import audit, live
from server.services.errors import DomainError, Invalid, NotFound, check_version
from server.services.listing import likely
from server.services.neighbourhoods import addressable

ALLOWED: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "in_progress", "rejected", "duplicate"),
    "acknowledged": ("in_progress", "resolved", "rejected", "duplicate"),
    "in_progress": ("acknowledged", "resolved", "rejected"),
    "resolved": ("in_progress",),
    "rejected": ("acknowledged",),
    "duplicate": ("acknowledged",),
}
CLOSED = ("resolved", "rejected", "duplicate")
PERSONAL_DATA_ROLES = frozenset({"moderator", "admin"})
SUGGEST_RADIUS_M = 500
SUGGEST_DAYS = 60

SORTS = {
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "-updated": ("updated_at", True),
    "updated": ("updated_at", False),
    "due": ("due_at", False),
}


def may_see_personal_data(principal: Principal) -> bool:
    """Moderators and admins of the organisation, never analysts or other tenants."""
    return bool(principal.roles & PERSONAL_DATA_ROLES)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def is_overdue(sub: Submission, now: datetime | None = None) -> bool:
    """No first response yet, and the category's target has passed."""
    return sub.first_response_at is None and sub.status == "new" and sub.due_at < (now or utcnow())


def category_out(category: Category) -> CategoryOut:
    """The API shape of a category."""
    return CategoryOut.model_validate(category)


def _shown(s: Any, personal: bool, now: datetime) -> dict[str, Any]:
    """SubmissionOut's own fields of a submission, or of a row of `listed` (the same names),
    personal data masked for those who may not see it."""
    return {
        "id": s.id,
        "kind": s.kind,
        "description": s.description,
        "neighbourhood_id": s.neighbourhood_id,
        "lat": s.lat,
        "lon": s.lon,
        "address": s.address,
        "media_url": s.media_url,
        "reporter_name": s.reporter_name if personal else None,
        "reporter_contact": s.reporter_contact if personal else None,
        "status": s.status,
        "duplicate_of_id": s.duplicate_of_id,
        "priority": s.priority,
        "department": s.department,
        "assignee_account_id": s.assignee_account_id,
        "source": s.source,
        "language": s.language,
        "channel": s.channel,
        "message_id": s.message_id,
        "version": s.version,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "due_at": s.due_at,
        "first_response_at": s.first_response_at,
        "overdue": is_overdue(s, now),
    }


def to_out(sub: Submission, principal: Principal, now: datetime | None = None) -> SubmissionOut:
    """The API shape; personal data masked for those who may not see it."""
    return SubmissionOut(
        **_shown(sub, may_see_personal_data(principal), now or utcnow()),
        category=category_out(sub.category),
        neighbourhood_name=sub.neighbourhood.name if sub.neighbourhood else None,
        assignee_name=sub.assignee.name if sub.assignee else None,
        entered_by_name=sub.entered_by.name if sub.entered_by else None,
    )


def row_out(row: Any, personal: bool, now: datetime) -> dict[str, Any]:
    """A row of `listed` as SubmissionOut's fields, for its page to validate once."""
    return {
        **_shown(row, personal, now),
        "category": {
            "id": row.category_id, "code": row.category_code, "kind": row.category_kind,
            "name": row.category_name, "group": row.category_group,
            "department": row.category_department, "target_days": row.category_target_days,
        },
        "neighbourhood_name": row.neighbourhood_name,
        "assignee_name": row.assignee_name,
        "entered_by_name": row.entered_by_name,
    }  # fmt: skip


def _options() -> list[Any]:
    # Each row has one of each: joined into the same SELECT, one trip to the database
    # instead of four (on SQLite each is several hops to aiosqlite's thread).
    return [
        joinedload(Submission.category),
        joinedload(Submission.neighbourhood),
        joinedload(Submission.assignee),
        joinedload(Submission.entered_by),
    ]


_Stmt = TypeVar("_Stmt", bound=Select)


def _scoped(stmt: _Stmt, principal: Principal) -> _Stmt:
    """`stmt` narrowed to the submissions the caller's organisation may see."""
    org = principal.organisation
    stmt = stmt.where(Submission.municipality_id == org.municipality_id)
    if org.is_agency:
        stmt = stmt.where(
            Submission.neighbourhood_id.in_(
                select(organisation_neighbourhoods.c.neighbourhood_id).where(
                    organisation_neighbourhoods.c.organisation_id == org.id
                )
            )
        )
    return stmt


def visible(principal: Principal) -> Select[Submission]:
    """The submissions the caller's organisation may see."""
    return _scoped(select(Submission).options(*_options()), principal)


_ASSIGNEE = aliased(StaffAccount)
_ENTERED_BY = aliased(StaffAccount)


# What a list shows (`row_out`), joined in one SELECT: a page is rows, no ORM object built
# (their identity map and relationships were most of a page's time); made once, as building
# a statement of 36 columns is itself a good part of a request.
_LISTED = (
    select(
        *(c for c in Submission.__table__.c if c.key != "search_text"),
        Category.code.label("category_code"), Category.kind.label("category_kind"),
        Category.name.label("category_name"), Category.group.label("category_group"),
        Category.department.label("category_department"),
        Category.target_days.label("category_target_days"),
        Neighbourhood.name.label("neighbourhood_name"),
        _ASSIGNEE.name.label("assignee_name"), _ENTERED_BY.name.label("entered_by_name"),
    )
    .select_from(Submission)
    .join(Category, Category.id == Submission.category_id)
    .outerjoin(Neighbourhood, Neighbourhood.id == Submission.neighbourhood_id)
    .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Submission.assignee_account_id)
    .outerjoin(_ENTERED_BY, _ENTERED_BY.id == Submission.entered_by_account_id)
)  # fmt: skip


def listed(principal: Principal) -> Select[Any]:
    """`visible` as the columns a list shows, one row a submission (`row_out`)."""
    return _scoped(_LISTED, principal)


async def get(
    session: AsyncSession, principal: Principal, submission_id: int, *, for_update: bool = False
) -> Submission:
    """One submission; one the organisation may not see is a 404.

    `for_update` locks the row until the transaction ends (PostgreSQL; SQLite's writers hold
    the whole file already), so a write checks the version it is about to change: of two
    moderators who saw the same version, the second waits, then sees the new one (412).
    """
    stmt = visible(principal).where(Submission.id == submission_id)
    if for_update:
        stmt = stmt.with_for_update(of=Submission).execution_options(populate_existing=True)
    sub = await session.scalar(stmt)
    if sub is None:
        raise NotFound("No such submission.")
    return sub


async def lock_many(
    session: AsyncSession, principal: Principal, ids: list[int]
) -> dict[int, Submission]:
    """The visible submissions among `ids`, each row locked (in id order, so two bulk
    changes never wait for each other in a circle)."""
    stmt = (
        visible(principal)
        .where(Submission.id.in_(ids))
        .order_by(Submission.id)
        .with_for_update(of=Submission)
        .execution_options(populate_existing=True)
    )
    return {sub.id: sub for sub in (await session.scalars(stmt)).all()}


async def history(session: AsyncSession, submission_id: int) -> list[EntryOut]:
    entries = (
        await session.scalars(
            select(SubmissionEntry)
            .where(SubmissionEntry.submission_id == submission_id)
            .options(selectinload(SubmissionEntry.actor))
            .order_by(SubmissionEntry.id)
        )
    ).all()
    return [
        EntryOut(
            id=e.id,
            kind=e.kind,
            field=e.field,
            before=e.before,
            after=e.after,
            text=e.text,
            actor_account_id=e.actor_account_id,
            actor_name=e.actor.name if e.actor else None,
            at=e.at,
        )
        for e in entries
    ]


async def detail(
    session: AsyncSession, principal: Principal, submission_id: int
) -> SubmissionDetail:
    """A submission with its whole history, replies and notes."""
    sub = await get(session, principal, submission_id)
    out = to_out(sub, principal)
    return SubmissionDetail(**out.model_dump(), history=await history(session, sub.id))


async def nearest_neighbourhood(
    session: AsyncSession, municipality_id: int, lat: float, lon: float
) -> Neighbourhood | None:
    """The neighbourhood whose representative point is closest."""
    hoods = (
        await session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.municipality_id == municipality_id, Neighbourhood.lat.is_not(None)
            )
        )
    ).all()
    if not hoods:
        return None
    return min(hoods, key=lambda n: distance_m(lat, lon, n.lat or 0.0, n.lon or 0.0))


async def create(
    session: AsyncSession,
    municipality: Municipality,
    category: Category,
    *,
    description: str,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    media_url: str | None = None,
    reporter_name: str | None = None,
    reporter_contact: str | None = None,
    source: str = "app",
    neighbourhood_id: int | None = None,
    created_at: datetime | None = None,
    language: str | None = None,
    channel: str | None = None,
    entered_by_id: int | None = None,
    message_id: int | None = None,
) -> Submission:
    """A new submission from a resident, or taken by staff for one (`entered_by`, through
    `channel`); `message_id`: the call for ideas it answers. Does not commit."""
    if neighbourhood_id is None and lat is not None and lon is not None:
        hood = await nearest_neighbourhood(session, municipality.id, lat, lon)
        neighbourhood_id = hood.id if hood else None
    at = created_at or utcnow()
    sub = Submission(
        municipality_id=municipality.id, neighbourhood_id=neighbourhood_id,
        category_id=category.id, kind=category.kind, description=description.strip(),
        lat=lat, lon=lon, address=address, media_url=media_url,
        reporter_name=reporter_name, reporter_contact=reporter_contact,
        status="new", priority="normal", department=category.department,
        source=source, language=language, channel=channel,
        entered_by_account_id=entered_by_id, message_id=message_id,
        search_text=" ".join(filter(None, [description, address])).lower(),
        version=1, created_at=at, updated_at=at,
        due_at=at + timedelta(days=category.target_days),
    )  # fmt: skip
    session.add(sub)
    await session.flush()
    _created(session, sub, category)
    return sub


def _created(session: AsyncSession, sub: Submission, category: Category) -> None:
    """The first line of a new submission's history, and its event on the stream."""
    session.add(
        SubmissionEntry(
            submission_id=sub.id,
            kind="created",
            at=sub.created_at,
            # Taken by staff: the history says through which channel, and who.
            field="channel" if sub.channel else None,
            after=sub.channel,
            actor_account_id=sub.entered_by_account_id,
        )
    )
    live.emit(
        session, sub.municipality_id, "submission.created",
        {"id": sub.id, "kind": sub.kind, "category": category.code, "status": sub.status},
        neighbourhood_id=sub.neighbourhood_id,
    )  # fmt: skip


async def receive(
    session: AsyncSession, municipality: Municipality, category: Category, **fields: Any
) -> Submission:
    """A resident's new submission (Open311) in a write of its own: `create` with `fields`,
    committed."""
    await begin_write(session)
    sub = await create(session, municipality, category, **fields)
    await session.commit()
    return sub


async def take_for_resident(
    session: AsyncSession, principal: Principal, body: SubmissionCreate
) -> tuple[int, dict[str, Any]]:
    """A report or idea staff enter for a resident (phone, desk, e-mail): marked with the
    channel and who entered it, audited (without the resident's words). Does not commit."""
    if body.neighbourhood_id is None and not (body.address or "").strip() and body.lat is None:
        raise Invalid("Say where: a neighbourhood, an address or coordinates (lat and lon).")
    if (body.lat is None) != (body.lon is None):
        raise Invalid("Give both lat and lon, or neither.")
    municipality = principal.organisation.municipality
    category = await session.scalar(
        select(Category).where(
            Category.municipality_id == municipality.id, Category.code == body.category
        )
    )
    if category is None:
        raise Invalid(f"No category with the code '{body.category}'.")
    if body.neighbourhood_id is not None:
        hood = await session.scalar(
            addressable(principal).where(Neighbourhood.id == body.neighbourhood_id)
        )
        if hood is None:
            raise NotFound(f"No neighbourhood {body.neighbourhood_id} of yours.")
    if body.language is not None and body.language not in municipality.languages:
        spoken = ", ".join(municipality.languages)
        raise Invalid(f"{municipality.name} answers in {spoken}.")
    sub = await create(
        session,
        municipality,
        category,
        description=body.description,
        lat=body.lat,
        lon=body.lon,
        address=(body.address or "").strip() or None,
        reporter_name=(body.reporter_name or "").strip() or None,
        reporter_contact=(body.reporter_contact or "").strip() or None,
        source="staff",
        neighbourhood_id=body.neighbourhood_id,
        language=body.language or municipality.languages[0],
        channel=body.channel,
        entered_by_id=principal.account.id,
    )
    audit.record(
        session, "submission.created_for_resident", principal=principal,
        object_type="submission", object_id=sub.id,
        details={"channel": body.channel, "category": category.code},
    )  # fmt: skip
    fresh = await get(session, principal, sub.id)
    return 201, to_out(fresh, principal).model_dump(mode="json")


def spoken_language(asked: str, spoken: list[str]) -> str | None:
    """The first language of `asked` (a locale, or an Accept-Language list) that the
    municipality speaks; None when there is none."""
    for part in asked.split(","):
        code = part.split(";")[0].strip().replace("_", "-").split("-")[0].lower()
        if code in spoken:
            return code
    return None


def _emit_updated(
    session: AsyncSession, sub: Submission, what: str, by: Principal | None = None
) -> None:
    # Who holds it and who changed it: a console tells its person "assigned to you by …".
    live.emit(
        session, sub.municipality_id, "submission.updated",
        {"id": sub.id, "status": sub.status, "version": sub.version, "change": what,
         "assignee_account_id": sub.assignee_account_id,
         "by_account_id": by.account.id if by else None,
         "by_name": by.account.name if by else None},
        neighbourhood_id=sub.neighbourhood_id,
    )  # fmt: skip


@dataclass
class Filters:
    """What the inbox list can be narrowed to."""

    kind: str | None = None
    statuses: list[str] | None = None
    category: str | None = None
    neighbourhood: int | None = None
    assignee: str | None = None  # an account id, "me" or "none"
    overdue: bool | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None  # how staff took it ("phone", ...), or "any" for all of those
    department: str | None = None
    message: int | None = None  # ideas sent in answer to this call for ideas


def apply_filters(stmt: Select[Submission], principal: Principal, f: Filters) -> Select[Submission]:
    """Narrow a query of visible submissions."""
    if f.kind:
        stmt = stmt.where(Submission.kind == f.kind)
    if f.statuses:
        stmt = stmt.where(Submission.status.in_(f.statuses))
    if f.category:
        stmt = stmt.where(
            Submission.category_id.in_(select(Category.id).where(Category.code == f.category))
        )
    if f.neighbourhood:
        stmt = stmt.where(Submission.neighbourhood_id == f.neighbourhood)
    if f.department:
        stmt = stmt.where(Submission.department == f.department)
    if f.message:
        stmt = stmt.where(Submission.message_id == f.message)
    if f.channel == "any":
        stmt = stmt.where(Submission.channel.is_not(None))
    elif f.channel:
        stmt = stmt.where(Submission.channel == f.channel)
    if f.assignee == "me":
        stmt = stmt.where(Submission.assignee_account_id == principal.account.id)
    elif f.assignee == "none":
        stmt = stmt.where(Submission.assignee_account_id.is_(None))
    elif f.assignee:
        if not (f.assignee.isascii() and f.assignee.isdigit()):
            raise Invalid("assignee: an account id, 'me' or 'none'.")
        # An id beyond the column's range belongs to no one: nothing matches.
        account_id = int(f.assignee) if int(f.assignee) <= ID_MAX else -1
        stmt = stmt.where(Submission.assignee_account_id == account_id)
    now = utcnow()
    # Most new items are past their date: said so, SQLite keeps the page in created order
    # (its index) instead of reading every overdue row by due date and sorting them.
    overdue = and_(
        Submission.status == "new",
        Submission.first_response_at.is_(None),
        likely(Submission.due_at < now),
    )
    if f.overdue is True:
        stmt = stmt.where(overdue)
    elif f.overdue is False:
        stmt = stmt.where(~overdue)
    if f.text:
        for word in f.text.lower().split():
            stmt = stmt.where(Submission.search_text.contains(word, autoescape=True))
    if f.since:
        stmt = stmt.where(Submission.created_at >= f.since)
    if f.until:
        stmt = stmt.where(Submission.created_at < f.until)
    return stmt


async def counts(
    session: AsyncSession, principal: Principal, f: Filters
) -> tuple[dict[str, int], int]:
    """How many match the filters, per status, and how many of them are overdue."""
    matching = apply_filters(visible(principal), principal, f).subquery()
    rows = (
        await session.execute(
            select(matching.c.status, func.count())
            .select_from(matching)
            .group_by(matching.c.status)
        )
    ).all()
    # The inbox's own overdue filter on top of the others (none when they exclude overdue).
    overdue = 0
    if f.overdue is not False:
        late = apply_filters(visible(principal), principal, replace(f, overdue=True)).subquery()
        overdue = await session.scalar(select(func.count()).select_from(late)) or 0
    return {status: int(n) for status, n in rows}, overdue


async def workload(session: AsyncSession, principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """Open and overdue items per assignee (and unassigned) and per department, busiest
    first: who has too much, which service lags. One statement: the counts and the
    assignees' names."""
    late = and_(
        Submission.status == "new",
        Submission.first_response_at.is_(None),
        Submission.due_at < utcnow(),
    )
    stmt = _scoped(
        select(
            Submission.assignee_account_id,
            _ASSIGNEE.name,
            Submission.department,
            func.count(),
            func.sum(case((late, 1), else_=0)),
        )
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Submission.assignee_account_id)
        .where(Submission.status.not_in(CLOSED))
        .group_by(Submission.assignee_account_id, _ASSIGNEE.name, Submission.department),
        principal,
    )
    people: dict[int | None, list[int]] = {}
    departments: dict[str, list[int]] = {}
    names: dict[int | None, str] = {}
    for account_id, name, department, n, overdue in (await session.execute(stmt)).all():
        names[account_id] = name
        for table, key in ((people, account_id), (departments, department)):
            totals = table.setdefault(key, [0, 0])
            totals[0] += int(n)
            totals[1] += int(overdue or 0)
    return {
        "assignees": sorted(
            (
                {"account_id": k, "name": names.get(k) if k else None, "open": v[0],
                 "overdue": v[1]}
                for k, v in people.items()
            ),
            key=lambda r: (-r["overdue"], -r["open"]),
        ),
        "departments": sorted(
            ({"department": k, "open": v[0], "overdue": v[1]} for k, v in departments.items()),
            key=lambda r: (-r["overdue"], -r["open"]),
        ),
    }  # fmt: skip


def sort_key(sub: Any, sort: str) -> list[Any]:
    """The cursor of a row (of `listed`, or a submission) for a sort."""
    column, _desc = SORTS[sort]
    return [getattr(sub, column), sub.id]


async def list_page(
    session: AsyncSession,
    principal: Principal,
    f: Filters,
    *,
    sort: str,
    after: list[Any] | None,
    limit: int,
) -> list[Any]:
    """One page of `listed` rows in the chosen order (keyset on the sort column and id)."""
    column_name, descending = SORTS[sort]
    column = getattr(Submission, column_name)
    stmt = apply_filters(listed(principal), principal, f)
    if after is not None:
        key = (after[0], after[1])
        if descending:
            stmt = stmt.where(tuple_(column, Submission.id) < tuple_(*key))
        else:
            stmt = stmt.where(tuple_(column, Submission.id) > tuple_(*key))
    if descending:
        stmt = stmt.order_by(column.desc(), Submission.id.desc())
    else:
        stmt = stmt.order_by(column, Submission.id)
    return list((await session.execute(stmt.limit(limit + 1))).all())


async def stream_all(
    session: AsyncSession, principal: Principal, f: Filters, batch: int = 500
) -> AsyncIterator[Any]:
    """Every matching submission as a `listed` row, newest first, fetched in batches (for
    the CSV export)."""
    after: list[Any] | None = None
    while True:
        rows = await list_page(session, principal, f, sort="-created", after=after, limit=batch)
        for sub in rows[:batch]:
            yield sub
        if len(rows) <= batch:
            return
        after = sort_key(rows[batch - 1], "-created")


async def _for_change(
    session: AsyncSession, principal: Principal, submission_id: int, expected_version: int | None
) -> Submission:
    """Begin the write and lock the submission; the version the caller saw, if it names one,
    must still be its own."""
    await begin_write(session)
    sub = await get(session, principal, submission_id, for_update=True)
    if expected_version is not None:
        check_version(
            "submission", sub.version, expected_version,
            lambda: to_out(sub, principal).model_dump(mode="json"),
        )  # fmt: skip
    return sub


def _record(
    session: AsyncSession,
    sub: Submission,
    principal: Principal,
    field: str,
    before: Any,
    after: Any,
) -> None:
    session.add(
        SubmissionEntry(
            submission_id=sub.id,
            kind="change",
            field=field,
            before=None if before is None else str(before),
            after=None if after is None else str(after),
            actor_account_id=principal.account.id,
        )
    )


async def _assignee(session: AsyncSession, principal: Principal, account_id: int) -> StaffAccount:
    account = await session.scalar(
        select(StaffAccount).where(
            StaffAccount.id == account_id,
            StaffAccount.organisation_id == principal.organisation.id,
            StaffAccount.active.is_(True),
        )
    )
    if account is None:
        raise Invalid(f"No active colleague with account id {account_id}.")
    return account


def _respond(sub: Submission) -> None:
    if sub.first_response_at is None:
        sub.first_response_at = utcnow()


async def apply_change(
    session: AsyncSession, principal: Principal, sub: Submission, change: SubmissionChange
) -> list[str]:
    """Apply the given fields with the transition rules; returns the fields that changed."""
    changed: list[str] = []
    if change.status is not None and change.status != sub.status:
        _change_status(session, principal, sub, change.status)
        changed.append("status")
    for name in ("priority", "department"):
        value = getattr(change, name)
        if value is not None and value != getattr(sub, name):
            _record(session, sub, principal, name, getattr(sub, name), value)
            setattr(sub, name, value)
            changed.append(name)
    if await _change_assignee(session, principal, sub, change):
        changed.append("assignee")
    if changed:
        sub.version += 1
        sub.updated_at = utcnow()
        audit.record(
            session, "submission.update", principal=principal, object_type="submission",
            object_id=sub.id, details={"fields": changed},
        )  # fmt: skip
        _emit_updated(session, sub, ",".join(changed), principal)
    return changed


def _change_status(
    session: AsyncSession, principal: Principal, sub: Submission, status: str
) -> None:
    """Move to `status` if the transition rules allow it (a duplicate has its own action)."""
    if status == "duplicate":
        raise Invalid("Mark a duplicate with the duplicate action, naming the original.")
    allowed = ALLOWED[sub.status]
    if status not in allowed:
        raise DomainError(
            "invalid-transition",
            f"A {sub.status} submission can become {', '.join(allowed)}; not {status}.",
            allowed=list(allowed),
            current_status=sub.status,
        )
    _record(session, sub, principal, "status", sub.status, status)
    sub.status = status
    _respond(sub)


async def _change_assignee(
    session: AsyncSession, principal: Principal, sub: Submission, change: SubmissionChange
) -> bool:
    """Unassign, or assign to an active colleague; whether the assignee changed."""
    before = sub.assignee.name if sub.assignee else None
    if change.unassign and sub.assignee_account_id is not None:
        _record(session, sub, principal, "assignee", before, None)
        sub.assignee_account_id = None
        sub.assignee = None
        return True
    wanted = change.assignee_account_id
    if wanted is None or wanted == sub.assignee_account_id:
        return False
    account = await _assignee(session, principal, wanted)
    _record(session, sub, principal, "assignee", before, account.name)
    sub.assignee_account_id = account.id
    sub.assignee = account
    return True


async def update(
    session: AsyncSession,
    principal: Principal,
    submission_id: int,
    change: SubmissionChange,
    expected_version: int,
) -> Submission:
    """Change status, priority, department or assignee; a stale version is a 412."""
    sub = await _for_change(session, principal, submission_id, expected_version)
    await apply_change(session, principal, sub, change)
    await session.commit()
    return sub


async def add_text(
    session: AsyncSession,
    principal: Principal,
    submission_id: int,
    kind: str,
    text: str,
    expected_version: int | None = None,
) -> Submission:
    """A public reply (the resident sees it) or an internal note (staff only). It does not
    change the version (it overwrites nothing); `expected_version`, when given, is checked
    all the same, for a caller who wants to write only on what it saw."""
    sub = await _for_change(session, principal, submission_id, expected_version)
    write_text(session, principal, sub, kind, text)
    await session.commit()
    return sub


def write_text(
    session: AsyncSession,
    principal: Principal,
    sub: Submission,
    kind: str,
    text: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Add a reply or note to a loaded submission, emitted and audited (does not commit)."""
    session.add(
        SubmissionEntry(
            submission_id=sub.id,
            kind=kind,
            text=text.strip(),
            actor_account_id=principal.account.id,
        )
    )
    if kind == "reply":
        _respond(sub)
    sub.updated_at = utcnow()
    _emit_updated(session, sub, kind, principal)
    audit.record(
        session, f"submission.{kind}", principal=principal, object_type="submission",
        object_id=sub.id, details=details,
    )  # fmt: skip


async def mark_duplicate(
    session: AsyncSession,
    principal: Principal,
    submission_id: int,
    of: int,
    expected_version: int,
) -> Submission:
    """Close a submission as a duplicate of another the organisation can see."""
    sub = await _for_change(session, principal, submission_id, expected_version)
    if of == sub.id:
        raise Invalid("A submission cannot duplicate itself.")
    original = await get(session, principal, of)
    if original.duplicate_of_id == sub.id:
        raise Invalid(f"#{of} is already a duplicate of this one.")
    if "duplicate" not in ALLOWED[sub.status]:
        raise DomainError(
            "invalid-transition",
            f"A {sub.status} submission cannot be marked duplicate.",
            allowed=list(ALLOWED[sub.status]),
            current_status=sub.status,
        )
    _record(session, sub, principal, "status", sub.status, "duplicate")
    _record(session, sub, principal, "duplicate_of", None, f"#{original.id}")
    sub.status = "duplicate"
    sub.duplicate_of_id = original.id
    _respond(sub)
    sub.version += 1
    sub.updated_at = utcnow()
    audit.record(
        session, "submission.duplicate", principal=principal, object_type="submission",
        object_id=sub.id, details={"of": original.id},
    )  # fmt: skip
    _emit_updated(session, sub, "duplicate")
    await session.commit()
    return sub


async def suggestions(
    session: AsyncSession, principal: Principal, submission_id: int, limit: int = 10
) -> list[tuple[Submission, float | None]]:
    """Possible originals: same category, close by, recent, not closed, nearest first."""
    sub = await get(session, principal, submission_id)
    since = sub.created_at - timedelta(days=SUGGEST_DAYS)
    stmt = visible(principal).where(
        Submission.category_id == sub.category_id,
        Submission.id != sub.id,
        Submission.created_at >= since,
        Submission.status.not_in(CLOSED),
    )
    if sub.lat is not None and sub.lon is not None:
        # A bounding box in SQL, the exact distance in Python.
        dlat = SUGGEST_RADIUS_M / 111_000
        dlon = dlat / max(0.1, math.cos(math.radians(sub.lat)))
        stmt = stmt.where(
            Submission.lat.between(sub.lat - dlat, sub.lat + dlat),
            Submission.lon.between(sub.lon - dlon, sub.lon + dlon),
        )
    elif sub.neighbourhood_id is not None:
        stmt = stmt.where(Submission.neighbourhood_id == sub.neighbourhood_id)
    candidates = (await session.scalars(stmt.limit(200))).all()
    scored: list[tuple[Submission, float | None]] = []
    for other in candidates:
        if sub.lat is not None and other.lat is not None and other.lon is not None:
            d = distance_m(sub.lat, sub.lon or 0.0, other.lat, other.lon)
            if d <= SUGGEST_RADIUS_M:
                scored.append((other, d))
        else:
            scored.append((other, None))
    scored.sort(key=lambda pair: (pair[1] is None, pair[1] or 0.0, -pair[0].id))
    return scored[:limit]


async def staff(session: AsyncSession, principal: Principal) -> list[Any]:
    """Active colleagues of the organisation, for assigning: rows of id, name and roles."""
    return list(
        (
            await session.execute(
                select(StaffAccount.id, StaffAccount.name, StaffAccount.roles)
                .where(
                    StaffAccount.organisation_id == principal.organisation.id,
                    StaffAccount.active.is_(True),
                )
                .order_by(StaffAccount.name)
            )
        ).all()
    )


async def categories(session: AsyncSession, municipality_id: int) -> list[Category]:
    """The municipality's categories."""
    return list(
        (
            await session.scalars(
                select(Category)
                .where(Category.municipality_id == municipality_id)
                .order_by(Category.kind, Category.code)
            )
        ).all()
    )
