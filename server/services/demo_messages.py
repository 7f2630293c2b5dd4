"""Demo city messages: a few already published, so the demo opens with a history of
messages (and the simulator has messages to count views of). Made through the messages
service, as a communicator would, then dated back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

import config
from server.models import CityMessage, Neighbourhood, Organisation, StaffAccount, utcnow
from server.principal import Principal
from server.schemas.messages import MessageCreate
from server.services import messages


def load_messages() -> dict[str, list[dict[str, Any]]]:
    """`config/demo/messages.toml`: the messages per municipality slug."""
    return config.load_toml("demo/messages.toml")


async def city_author(session: AsyncSession, organisation_id: int) -> Principal | None:
    """The organisation's first communicator, as the author of its demo messages."""
    org = await session.scalar(
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .options(selectinload(Organisation.municipality), selectinload(Organisation.neighbourhoods))
    )
    accounts = (
        await session.scalars(
            select(StaffAccount)
            .where(StaffAccount.organisation_id == organisation_id)
            .order_by(StaffAccount.id)
        )
    ).all()
    author = next((a for a in accounts if "communicator" in a.roles), None)
    if org is None or author is None:
        return None
    return Principal(
        account=author, organisation=org, roles=frozenset(author.roles), scopes=None,
        client_address="seed",
    )  # fmt: skip


def message_content(item: dict[str, Any], hoods: dict[str, int], now: datetime) -> dict[str, Any]:
    """The create request of demo message `item` (times from `now`)."""
    content: dict[str, Any] = {
        "kind": item["kind"],
        "title": item["title"],
        "body": item["body"],
        "targets": "all" if item["to"] == "all" else [hoods[name] for name in item["to"]],
        "action": "publish",
    }
    if item["kind"] == "alert":
        content["alert"] = item["alert"]
    if item["kind"] == "survey":
        # A closed survey is made open (a closing time must be ahead), then closed below.
        closes = now + timedelta(days=int(item.get("closes_in_days", 1)))
        content["survey"] = {"questions": item["questions"], "closes_at": closes.isoformat()}
    if "budget" in item:
        plan = item["budget"]
        budget: dict[str, Any] = {
            "budget_eur": int(plan["budget_eur"]),
            "deadline": (now + timedelta(days=int(plan["deadline_in_days"]))).isoformat(),
        }
        if "voting_from_days_ago" in plan:
            voting = now - timedelta(days=int(plan["voting_from_days_ago"]))
            budget["voting_from"] = voting.isoformat()
        content["budget"] = budget
    return content


def date_back(message: CityMessage, item: dict[str, Any], now: datetime) -> None:
    """Date `message` as published `days_ago`, its survey closed `closed_days_ago`."""
    published = now - timedelta(days=int(item["days_ago"]))
    message.published_at = message.created_at = message.updated_at = published
    if "closed_days_ago" in item:
        closed = now - timedelta(days=int(item["closed_days_ago"]))
        survey = dict(message.details["survey"], closes_at=closed.isoformat())
        message.details = {**message.details, "survey": survey}


async def seed_messages(session: AsyncSession, organisation_id: int, slug: str) -> int:
    """Publish the demo messages of a municipality's city organisation, once (an
    organisation that has messages already is left alone); returns how many were made."""
    wanted = load_messages().get(slug, [])
    if not wanted:
        return 0
    already = await session.scalar(
        select(func.count())
        .select_from(CityMessage)
        .where(CityMessage.organisation_id == organisation_id)
    )
    principal = None if already else await city_author(session, organisation_id)
    if principal is None:
        return 0
    hoods = {
        n.name: n.id
        for n in await session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.municipality_id == principal.organisation.municipality_id
            )
        )
    }
    now = utcnow()
    made = 0
    for item in sorted(wanted, key=lambda m: -int(m["days_ago"])):
        content = MessageCreate.model_validate(message_content(item, hoods, now))
        _status, out = await messages.create(session, principal, content)
        message = await session.get(CityMessage, out["id"])
        assert message is not None
        date_back(message, item, now)
        made += 1
    await session.flush()
    return made
