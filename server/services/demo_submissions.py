"""Demo inbox content: categories, neighbourhood points and residents' reports and ideas,
made from `config/demo/` the same way every time (a fixed random seed per municipality)."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import config
from server.models import (
    Category,
    Municipality,
    Neighbourhood,
    ReplyTemplate,
    StaffAccount,
    Submission,
    SubmissionEntry,
    utcnow,
)
from server.services import submissions

FIRST_NAMES = ("An", "Bram", "Chloé", "Dries", "Emma", "Fatima", "Geert", "Hanne", "Ilias", "Julie")
LAST_NAMES = ("Peeters", "Janssens", "Dubois", "Maes", "El Idrissi", "Lambert", "Claes", "Wouters")
STATUS_MIX = (
    ("new", 0.45), ("acknowledged", 0.2), ("in_progress", 0.15), ("resolved", 0.15),
    ("rejected", 0.05),
)  # fmt: skip


def hood_point(centre: list[float], name: str) -> tuple[float, float]:
    """A steady point for a neighbourhood within about 3 km of the centre."""
    digest = hashlib.sha256(name.encode()).digest()
    angle = digest[0] / 255 * 2 * math.pi
    radius_km = 0.4 + digest[1] / 255 * 2.6
    lat = centre[0] + radius_km / 111 * math.sin(angle)
    lon = centre[1] + radius_km / (111 * math.cos(math.radians(centre[0]))) * math.cos(angle)
    return round(lat, 6), round(lon, 6)


async def seed_categories(
    session: AsyncSession, municipality: Municipality, categories: list[dict[str, Any]]
) -> int:
    """Create the categories a municipality lacks; returns how many were made."""
    made = 0
    for c in categories:
        exists = await session.scalar(
            select(Category.id).where(
                Category.municipality_id == municipality.id, Category.code == c["code"]
            )
        )
        if exists:
            continue
        session.add(
            Category(
                municipality_id=municipality.id,
                code=c["code"],
                kind=c["kind"],
                name=dict(c["name"]),
                description={},
                group=c.get("group", ""),
                department=department_name(c["department"], municipality.languages),
                target_days=int(c.get("target_days", 5)),
            )
        )
        made += 1
    await session.flush()
    return made


def department_name(names: str | dict[str, str], languages: list[str]) -> str:
    """A service is called by the city in its own language (its first one)."""
    if isinstance(names, str):
        return names
    return next((names[lang] for lang in languages if lang in names), next(iter(names.values())))


async def seed_points(
    session: AsyncSession, municipality: Municipality, centre: list[float]
) -> None:
    """Give neighbourhoods without a point one near the centre."""
    hoods = (
        await session.scalars(
            select(Neighbourhood).where(
                Neighbourhood.municipality_id == municipality.id, Neighbourhood.lat.is_(None)
            )
        )
    ).all()
    for hood in hoods:
        hood.lat, hood.lon = hood_point(centre, hood.name)
    await session.flush()


def submission_values(
    rng: random.Random,
    i: int,
    cats: Sequence[Category],
    texts: dict[str, Any],
    language: str,
    hoods: Sequence[Neighbourhood],
    now: datetime,
) -> dict[str, Any]:
    """The `i`th demo submission's category and fields, drawn from `rng`."""
    # The Hague's pilot had 21 reports and 19 ideas: about half and half.
    kind = "report" if i % 40 < 21 else "idea"
    category = rng.choice([c for c in cats if c.kind == kind])
    bank = texts.get(category.code, {})
    description = rng.choice(bank.get(language) or bank.get("en") or ["…"])
    hood = rng.choice(hoods)
    lat = (hood.lat or 0) + rng.uniform(-0.002, 0.002)
    lon = (hood.lon or 0) + rng.uniform(-0.003, 0.003)
    created = now - timedelta(days=rng.uniform(0, 30), minutes=rng.randint(0, 600))
    return {
        "category": category,
        "description": description,
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "address": f"{hood.name}",
        "reporter_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "reporter_contact": f"resident{i}@example.org",
        "source": "app",
        "neighbourhood_id": hood.id,
        "created_at": created,
    }


def progress(
    session: AsyncSession,
    sub: Submission,
    created: datetime,
    rng: random.Random,
    moderator: StaffAccount | None,
) -> None:
    """Move demo submission `sub` (made at `created`) on to a status drawn from
    `STATUS_MIX`, with its history."""
    status = rng.choices([s for s, _w in STATUS_MIX], [w for _s, w in STATUS_MIX])[0]
    if status == "new":
        return
    sub.status = status
    sub.first_response_at = created + timedelta(hours=rng.randint(2, 72))
    sub.updated_at = sub.first_response_at
    session.add(
        SubmissionEntry(
            submission_id=sub.id,
            kind="change",
            field="status",
            before="new",
            after=status,
            actor_account_id=moderator.id if moderator else None,
            at=sub.first_response_at,
        )
    )
    sub.version = 2


async def seed_submissions(
    session: AsyncSession, municipality: Municipality, count: int, organisation_id: int
) -> int:
    """Reports and ideas of the last weeks, only when the municipality has none yet."""
    existing = await session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.municipality_id == municipality.id)
    )
    if existing or count <= 0:
        return 0
    texts = config.load_toml("demo/submissions.toml")
    rng = random.Random(municipality.slug)  # noqa: S311 - demo data, not security
    cats = await submissions.categories(session, municipality.id)
    hoods = (
        await session.scalars(
            select(Neighbourhood).where(Neighbourhood.municipality_id == municipality.id)
        )
    ).all()
    moderator = await session.scalar(
        select(StaffAccount).where(StaffAccount.organisation_id == organisation_id).limit(1)
    )
    language = municipality.languages[0]
    now = utcnow()
    for i in range(count):
        values = submission_values(rng, i, cats, texts, language, hoods, now)
        sub = await submissions.create(session, municipality, values.pop("category"), **values)
        progress(session, sub, values["created_at"], rng, moderator)
    await session.flush()
    return count


async def showcase_inbox(
    session: AsyncSession, municipality: Municipality, organisation_id: int
) -> None:
    """What `buurt demo` shows beyond the plain inbox (tests start without it): residents
    who wrote in the city's other language, reports staff took by phone, at the desk or
    from an e-mail, and open work spread over the city's staff. Once only."""
    subs = (
        await session.scalars(
            select(Submission)
            .where(Submission.municipality_id == municipality.id)
            .order_by(Submission.id)
        )
    ).all()
    if not subs or any(s.language for s in subs):
        return
    staff = (
        await session.scalars(
            select(StaffAccount)
            .where(StaffAccount.organisation_id == organisation_id)
            .order_by(StaffAccount.id)
        )
    ).all()
    triagers = [a for a in staff if {"moderator", "admin"} & set(a.roles)] or list(staff)
    rng = random.Random(f"showcase-{municipality.slug}")  # noqa: S311 - demo data
    for sub in subs:
        sub.language = municipality.languages[0]
        if len(municipality.languages) > 1 and rng.random() < 0.15:
            sub.language = rng.choice(municipality.languages[1:])
        if triagers and rng.random() < 0.125:
            sub.channel = rng.choice(("phone", "phone", "desk", "email"))
            sub.source = "staff"
            sub.entered_by_account_id = rng.choice(triagers).id
            entry = await session.scalar(
                select(SubmissionEntry).where(
                    SubmissionEntry.submission_id == sub.id, SubmissionEntry.kind == "created"
                )
            )
            if entry is not None:
                entry.field, entry.after = "channel", sub.channel
                entry.actor_account_id = sub.entered_by_account_id
        if sub.status in ("acknowledged", "in_progress") and triagers:
            sub.assignee_account_id = rng.choice(triagers).id
    await session.flush()


async def seed_templates(session: AsyncSession, municipality: Municipality) -> int:
    """The demo reply templates, in the municipality's languages, when it has none yet."""
    existing = await session.scalar(
        select(func.count())
        .select_from(ReplyTemplate)
        .where(ReplyTemplate.municipality_id == municipality.id)
    )
    if existing:
        return 0
    known = {c.code for c in await submissions.categories(session, municipality.id)}
    made = 0
    for t in config.load_toml("demo/reply_templates.toml")["templates"]:
        texts = {lang: t[lang] for lang in municipality.languages if lang in t}
        categories = [c for c in t.get("categories", []) if c in known]
        if not texts or (t.get("categories") and not categories):
            continue
        titles = t["title"]
        session.add(
            ReplyTemplate(
                municipality_id=municipality.id,
                title=next(
                    titles[lang] for lang in (*municipality.languages, "en") if lang in titles
                ),
                texts=texts,
                categories=categories,
                status=t.get("status"),
                suggest=bool(t.get("suggest", False)),
                version=1,
            )
        )
        made += 1
    await session.flush()
    return made
