"""The demo dataset: follows FIGURES.md, and seeding twice changes nothing."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.models import Municipality, Neighbourhood, Organisation, StaffAccount
from server.services.seed import load_dataset, seed_demo, slugify


def test_dataset_follows_the_public_figures() -> None:
    data = load_dataset()
    by_slug = {m["slug"]: m for m in data["municipalities"]}
    hague = by_slug["den-haag"]["neighbourhoods"]
    mons = by_slug["mons"]["neighbourhoods"]
    assert len(hague) == 10 and len(mons) == 16
    # 4,100 registered households were 12% (The Hague); 4,146 were 10% (Mons).
    assert round(4100 / sum(n["households"] for n in hague), 2) == 0.12
    assert round(4146 / sum(n["households"] for n in mons), 2) == 0.10
    mechelen = {n["name"] for n in by_slug["mechelen"]["neighbourhoods"]}
    assert {"Groot Begijnhof", "Arsenaal", "Battel", "Heihoek"} <= mechelen
    for m in data["municipalities"]:
        for n in m["neighbourhoods"]:
            assert 1000 <= n["households"] <= 4000, n  # the ideal neighbourhood size
        agencies = [o for o in m["organisations"] if o["kind"] == "agency"]
        for agency in agencies:
            assert set(agency["neighbourhoods"]) <= {n["name"] for n in m["neighbourhoods"]}


def test_slugify() -> None:
    assert slugify("Flénu") == "flenu"
    assert slugify("Bomen- en Bloemenbuurt") == "bomen-en-bloemenbuurt"


async def _counts(app: FastAPI) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Municipality, Neighbourhood, Organisation, StaffAccount)
        }


@pytest.mark.dialect
async def test_seeding_twice_changes_nothing(app: FastAPI) -> None:
    # The fixture database is already seeded once.
    before = await _counts(app)
    async with app.state.sessionmaker() as session:
        hashes = dict(
            (await session.execute(select(StaffAccount.email, StaffAccount.password_hash))).all()
        )
        report = await seed_demo(session)
    assert not report.changed, report
    assert await _counts(app) == before
    assert before == {
        "municipalities": 3,
        "neighbourhoods": 46,
        "organisations": 6,
        "staff_accounts": 11,
    }
    async with app.state.sessionmaker() as session:
        after = dict(
            (await session.execute(select(StaffAccount.email, StaffAccount.password_hash))).all()
        )
    assert after == hashes
