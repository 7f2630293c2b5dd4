"""City messages: targets and reach, the draft -> scheduled -> published -> withdrawn life,
and the scheduler that publishes due messages exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from server.db import begin_write
from server.models import (
    CityMessage,
    Neighbourhood,
    Organisation,
    StaffAccount,
    message_targets,
    utcnow,
)
from server.principal import Principal
from server.schemas.messages import (
    MessageContent,
    MessageCreate,
    MessageOut,
    MessageUpdate,
    NeighbourhoodReach,
    ReachOut,
)
from server.services import audit, live
from server.services.errors import DomainError, Invalid, InvalidState, NotFound, check_version
from server.services.neighbourhoods import addressable

# A scheduled message published this long after its time was late (the server was down).
LATE_AFTER = timedelta(minutes=1)
KIND_FIELD = {
    "event": "event",
    "survey": "survey",
    "call_for_ideas": "budget",
    "citizen_budget": "budget",
    "alert": "alert",
}


async def resolve_targets(
    session: AsyncSession, principal: Principal, targets: str | list[int]
) -> tuple[bool, list[Neighbourhood]]:
    """The neighbourhoods a message goes to. An agency's "all" is all of its own; naming a
    neighbourhood outside its reach is a 403 that names it."""
    allowed = list(
        (await session.scalars(addressable(principal).order_by(Neighbourhood.name))).all()
    )
    if targets == "all":
        # An agency's "all" is the neighbourhoods it may address, stored and shown as such:
        # should its reach change later, its message does not silently reach more.
        return not principal.organisation.is_agency, allowed
    wanted = {int(t) for t in targets}
    by_id = {n.id: n for n in allowed}
    outside = wanted - set(by_id)
    if outside:
        known = (
            await session.scalars(
                select(Neighbourhood).where(
                    Neighbourhood.id.in_(outside),
                    Neighbourhood.municipality_id == principal.organisation.municipality_id,
                )
            )
        ).all()
        if known:
            names = ", ".join(sorted(n.name for n in known))
            raise DomainError(
                "neighbourhood-not-allowed",
                f"Your organisation may not address {names}.",
                neighbourhoods=sorted(n.id for n in known),
                neighbourhood_names=sorted(n.name for n in known),
            )
        raise Invalid(
            f"Unknown neighbourhood id {', '.join(str(i) for i in sorted(outside))}.",
        )
    return False, [by_id[i] for i in sorted(wanted, key=lambda i: by_id[i].name)]


def reach_of(neighbourhoods: list[Neighbourhood]) -> ReachOut:
    """Registered and total households in the targets, per neighbourhood and in all."""
    rows = [
        NeighbourhoodReach(
            id=n.id,
            name=n.name,
            registered_households=n.registered_households,
            total_households=n.total_households,
        )
        for n in neighbourhoods
    ]
    return ReachOut(
        neighbourhoods=rows,
        registered_households=sum(r.registered_households for r in rows),
        total_households=sum(r.total_households for r in rows),
    )


def _check_languages(principal: Principal, content: MessageContent) -> None:
    spoken = set(principal.organisation.municipality.languages)
    extra = sorted(set(content.title) - spoken)
    if extra:
        raise Invalid(
            f"{principal.organisation.municipality.name} publishes in "
            f"{', '.join(sorted(spoken))}, not in {', '.join(extra)}.",
        )


def _future(when: datetime, what: str) -> None:
    if when <= utcnow():
        raise Invalid(f"The {what} must be in the future.")


def _details(content: MessageContent) -> dict[str, Any]:
    name = KIND_FIELD.get(content.kind)
    if name is None:
        return {}
    value = getattr(content, name)
    return {name: value.model_dump(mode="json")} if value is not None else {}


def _search_text(title: Mapping[Any, str], body: Mapping[Any, str]) -> str:
    return "\n".join([*title.values(), *body.values()]).lower()


def _shown(m: Any, targets: list[tuple[int, str]], author_name: str | None) -> dict[str, Any]:
    """MessageOut's fields of a message, or of a row of `list_page` (the same names), with
    its targets' ids and names and its author's name."""
    return {
        "id": m.id,
        "kind": m.kind,
        "state": m.state,
        "title": m.title,
        "body": m.body,
        "targets": "all" if m.target_all else [i for i, _name in targets],
        "target_names": sorted(name for _i, name in targets),
        "author_account_id": m.author_account_id,
        "author_name": author_name,
        "scheduled_at": m.scheduled_at,
        "published_at": m.published_at,
        "published_late": m.published_late,
        "withdrawn_at": m.withdrawn_at,
        "reach_registered": m.reach_registered,
        "reach_total": m.reach_total,
        "views": m.views or 0,
        # A total under 5 could be one neighbourhood's: held back, as in the results.
        "survey_responses": n if (n := m.survey_responses or 0) == 0 or n >= 5 else None,
        "closed_at": m.closed_at,
        "version": m.version,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        **m.details,
    }


def to_out(message: CityMessage) -> MessageOut:
    """The API shape of a message."""
    return MessageOut(
        **_shown(
            message,
            [(n.id, n.name) for n in message.neighbourhoods],
            message.author.name if message.author else None,
        )
    )


async def rows_out(session: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    """MessageOut's fields of a page of `list_page` rows, their targets' ids and names read
    in one statement (plain rows: a message to all goes to every neighbourhood)."""
    targets: dict[int, list[tuple[int, str]]] = {row.id: [] for row in rows}
    if rows:
        found = await session.execute(
            select(message_targets.c.message_id, Neighbourhood.id, Neighbourhood.name)
            .join(Neighbourhood, Neighbourhood.id == message_targets.c.neighbourhood_id)
            .where(message_targets.c.message_id.in_(list(targets)))
        )
        for message_id, hood_id, name in found.all():
            targets[message_id].append((hood_id, name))
    return [_shown(row, targets[row.id], row.author_name) for row in rows]


def _visible(principal: Principal) -> Select[CityMessage]:
    return (
        select(CityMessage)
        .where(CityMessage.organisation_id == principal.organisation.id)
        .options(selectinload(CityMessage.neighbourhoods), selectinload(CityMessage.author))
    )


async def get(
    session: AsyncSession, principal: Principal, message_id: int, *, for_update: bool = False
) -> CityMessage:
    """One of the organisation's messages; another organisation's is a 404.

    `for_update` locks the row until the transaction ends (PostgreSQL; on SQLite the writer
    holds the file): a second editor or publisher waits, then sees the first one's result.
    """
    stmt = _visible(principal).where(CityMessage.id == message_id)
    if for_update:
        stmt = stmt.with_for_update(of=CityMessage).execution_options(populate_existing=True)
    message = await session.scalar(stmt)
    if message is None:
        raise NotFound("No such message.")
    return message


def _published(session: AsyncSession, message: CityMessage, municipality_id: int) -> None:
    live.emit(
        session, municipality_id, "message.published",
        {
            "id": message.id, "kind": message.kind, "title": message.title,
            "reach_registered": message.reach_registered, "late": message.published_late,
        },
        organisation_id=message.organisation_id,
    )  # fmt: skip


def _published_by(session: AsyncSession, principal: Principal, message: CityMessage) -> None:
    """A message `principal` published: on the stream, and audited."""
    _published(session, message, principal.organisation.municipality_id)
    audit.record(
        session, "message.publish", principal=principal, object_type="message",
        object_id=message.id, details={"reach": message.reach_registered},
    )  # fmt: skip


def _publish(message: CityMessage, now: datetime, *, late: bool = False) -> None:
    reach = reach_of(message.neighbourhoods)
    message.state = "published"
    message.published_at = now
    message.published_late = late
    message.reach_registered = reach.registered_households
    message.reach_total = reach.total_households
    message.updated_at = now
    message.version += 1


async def create(
    session: AsyncSession, principal: Principal, body: MessageCreate
) -> tuple[int, dict[str, Any]]:
    """Make a draft, publish now or schedule. Does not commit (the caller does, with its
    idempotency key)."""
    _check_languages(principal, body)
    if body.action == "schedule":
        assert body.scheduled_at is not None
        _future(body.scheduled_at, "scheduled time")
    target_all, hoods = await resolve_targets(session, principal, body.targets)
    now = utcnow()
    message = CityMessage(
        organisation_id=principal.organisation.id,
        author_account_id=principal.account.id,
        author=principal.account,
        kind=body.kind,
        state="scheduled" if body.action == "schedule" else "draft",
        title={str(k): v for k, v in body.title.items()},
        body={str(k): v for k, v in body.body.items()},
        details=_details(body),
        target_all=target_all,
        neighbourhoods=hoods,
        scheduled_at=body.scheduled_at.astimezone(UTC) if body.scheduled_at else None,
        search_text=_search_text(body.title, body.body),
        published_late=False,
        views=0,
        survey_responses=0,
        version=1,
        created_at=now,
        updated_at=now,
    )
    if body.action == "publish":
        _publish(message, now)
        message.version = 1  # a message published at creation starts at version 1
    session.add(message)
    await session.flush()
    audit.record(
        session,
        "message.create",
        principal=principal,
        object_type="message",
        object_id=message.id,
        details={"state": message.state, "kind": message.kind, "targets": len(hoods)},
    )
    if message.state == "published":
        _published_by(session, principal, message)
    return 201, to_out(message).model_dump(mode="json")


async def edit(
    session: AsyncSession,
    principal: Principal,
    message_id: int,
    body: MessageUpdate,
    expected_version: int,
) -> CityMessage:
    """Replace a draft's or scheduled message's content; a stale version is a 412."""
    await begin_write(session)
    message = await get(session, principal, message_id, for_update=True)
    check_version(
        "message",
        message.version,
        expected_version,
        lambda: to_out(message).model_dump(mode="json"),
    )
    if message.state not in ("draft", "scheduled"):
        raise InvalidState(f"A {message.state} message cannot be edited.")
    _check_languages(principal, body)
    state = body.state or message.state
    scheduled_at = (
        body.scheduled_at.astimezone(UTC) if body.scheduled_at is not None else message.scheduled_at
    )
    if state == "scheduled":
        if scheduled_at is None:
            raise Invalid("A scheduled message needs scheduled_at.")
        _future(scheduled_at, "scheduled time")
    target_all, hoods = await resolve_targets(session, principal, body.targets)
    before = {"state": message.state, "version": message.version}
    message.kind = body.kind
    message.title = {str(k): v for k, v in body.title.items()}
    message.body = {str(k): v for k, v in body.body.items()}
    message.details = _details(body)
    message.target_all = target_all
    message.neighbourhoods = hoods
    message.state = state
    message.scheduled_at = scheduled_at if state == "scheduled" else None
    message.search_text = _search_text(body.title, body.body)
    message.updated_at = utcnow()
    message.version += 1
    audit.record(
        session, "message.edit", principal=principal, object_type="message", object_id=message.id,
        details={"before": before, "after": {"state": state, "version": message.version}},
    )  # fmt: skip
    await session.commit()
    return message


async def publish_now(
    session: AsyncSession, principal: Principal, message_id: int
) -> tuple[int, dict[str, Any]]:
    """Publish a draft or scheduled message at once, claimed once: of concurrent
    publishers the first locks the row, the others then find it published. Does not commit."""
    message = await get(session, principal, message_id, for_update=True)
    if message.state == "published":
        raise InvalidState("The message is already published.")
    if message.state == "withdrawn":
        raise InvalidState("A withdrawn message cannot be published again.")
    _publish(message, utcnow())
    _published_by(session, principal, message)
    return 200, to_out(message).model_dump(mode="json")


async def withdraw(session: AsyncSession, principal: Principal, message_id: int) -> CityMessage:
    """Take a message back: residents no longer see it; a scheduled one never goes out."""
    await begin_write(session)
    message = await get(session, principal, message_id, for_update=True)
    if message.state == "withdrawn":
        return message
    if message.state == "draft":
        raise InvalidState("A draft was never sent; delete or keep it instead.")
    before = message.state
    message.state = "withdrawn"
    message.withdrawn_at = utcnow()
    message.updated_at = message.withdrawn_at
    message.version += 1
    audit.record(
        session, "message.withdraw", principal=principal, object_type="message",
        object_id=message.id, details={"before": before},
    )  # fmt: skip
    await session.commit()
    return message


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    after: list[Any] | None,
    limit: int,
    state: str | None = None,
    kind: str | None = None,
    neighbourhood: int | None = None,
    author: int | None = None,
    text: str | None = None,
) -> list[Any]:
    """Newest first (by last change), with filters: rows of the columns a message shows and
    its author's name, no ORM object (`rows_out` adds the targets)."""
    stmt = (
        select(
            *(c for c in CityMessage.__table__.c if c.key != "search_text"),
            StaffAccount.name.label("author_name"),
        )
        .outerjoin(StaffAccount, StaffAccount.id == CityMessage.author_account_id)
        .where(CityMessage.organisation_id == principal.organisation.id)
    )
    if state:
        stmt = stmt.where(CityMessage.state == state)
    if kind:
        stmt = stmt.where(CityMessage.kind == kind)
    if author:
        stmt = stmt.where(CityMessage.author_account_id == author)
    if neighbourhood:
        stmt = stmt.where(
            CityMessage.id.in_(
                select(message_targets.c.message_id).where(
                    message_targets.c.neighbourhood_id == neighbourhood
                )
            )
        )
    if text:
        for word in text.lower().split():
            stmt = stmt.where(CityMessage.search_text.contains(word, autoescape=True))
    if after is not None:
        stmt = stmt.where(tuple_(CityMessage.updated_at, CityMessage.id) < tuple_(
            after[0], after[1]
        ))  # fmt: skip
    stmt = stmt.order_by(CityMessage.updated_at.desc(), CityMessage.id.desc()).limit(limit + 1)
    return list((await session.execute(stmt)).all())


async def publish_due(maker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """Publish every scheduled message whose time has come, once, across processes.

    Each message is claimed with a conditional UPDATE (state still 'scheduled'): on
    PostgreSQL the row lock makes a second instance's UPDATE match nothing; on SQLite the
    write lock does. Messages overdue by more than a minute are marked late.
    """
    now = now or utcnow()
    async with maker() as session:
        due = (
            await session.scalars(
                select(CityMessage.id)
                .where(CityMessage.state == "scheduled", CityMessage.scheduled_at <= now)
                .order_by(CityMessage.scheduled_at)
                .limit(500)
            )
        ).all()
    published = 0
    for message_id in due:
        async with maker() as session:
            published += await _publish_scheduled(session, message_id, now)
    return published


async def _publish_scheduled(session: AsyncSession, message_id: int, now: datetime) -> int:
    """Claim one due message and publish it, in a write of its own: 1, or 0 when another
    process (or an edit) got to it first."""
    await begin_write(session)
    claimed = await session.execute(
        update(CityMessage)
        # Still scheduled and still due: an edit that committed meanwhile may have moved it
        # to a later time (PostgreSQL re-checks this after the row lock).
        .where(
            CityMessage.id == message_id,
            CityMessage.state == "scheduled",
            CityMessage.scheduled_at <= now,
        )
        .values(state="publishing")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return 0
    message = await session.scalar(
        select(CityMessage)
        .where(CityMessage.id == message_id)
        .options(selectinload(CityMessage.neighbourhoods))
        .execution_options(populate_existing=True)
    )
    assert message is not None and message.scheduled_at is not None
    _publish(message, now, late=now - message.scheduled_at > LATE_AFTER)
    municipality_id = await session.scalar(
        select(Organisation.municipality_id).where(Organisation.id == message.organisation_id)
    )
    _published(session, message, int(municipality_id or 0))
    audit.record(
        session,
        "message.publish",
        organisation_id=message.organisation_id,
        object_type="message",
        object_id=message.id,
        details={"scheduled": True, "late": message.published_late},
        client_address="scheduler",
    )
    await session.commit()
    return 1


async def count_by_state(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """How many messages the organisation has in each state."""
    rows = await session.execute(
        select(CityMessage.state, func.count())
        .where(CityMessage.organisation_id == principal.organisation.id)
        .group_by(CityMessage.state)
    )
    return {state: int(n) for state, n in rows.all()}
