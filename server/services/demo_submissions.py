"""Demo inbox content: categories, neighbourhood points and residents' reports and ideas,
made from `config/demo/` the same way every time (a fixed random seed per municipality)."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import config
from server.models import (
    Category,
    Municipality,
    Neighbourhood,
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
        # The Hague's pilot had 21 reports and 19 ideas: about half and half.
        kind = "report" if i % 40 < 21 else "idea"
        category = rng.choice([c for c in cats if c.kind == kind])
        bank = texts.get(category.code, {})
        description = rng.choice(bank.get(language) or bank.get("en") or ["…"])
        hood = rng.choice(hoods)
        lat = (hood.lat or 0) + rng.uniform(-0.002, 0.002)
        lon = (hood.lon or 0) + rng.uniform(-0.003, 0.003)
        created = now - timedelta(days=rng.uniform(0, 30), minutes=rng.randint(0, 600))
        sub = await submissions.create(
            session,
            municipality,
            category,
            description=description,
            lat=round(lat, 6),
            lon=round(lon, 6),
            address=f"{hood.name}",
            reporter_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            reporter_contact=f"resident{i}@example.org",
            source="app",
            neighbourhood_id=hood.id,
            created_at=created,
        )
        status = rng.choices([s for s, _w in STATUS_MIX], [w for _s, w in STATUS_MIX])[0]
        if status != "new":
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
    await session.flush()
    return count
