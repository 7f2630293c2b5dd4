"""Seed the demo dataset from config/ (idempotent: a second run changes nothing)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

import config
from server.models import Municipality, Neighbourhood, Organisation, StaffAccount
from server.security import hash_password
from server.services import demo_messages, demo_participation, demo_submissions

DATASET = "demo/dataset.toml"
T = TypeVar("T")


def slugify(name: str) -> str:
    """`Flénu` -> `flenu`, `Bomen- en Bloemenbuurt` -> `bomen-en-bloemenbuurt`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass
class SeedReport:
    """What a seed run created; all zeros on a second run."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def add(self, bucket: dict[str, int], kind: str) -> None:
        """One more `kind` in `bucket` (`created` or `updated`)."""
        bucket[kind] = bucket.get(kind, 0) + 1

    def count(self, kind: str, made: int) -> None:
        """`made` more created `kind` (none: nothing said)."""
        if made:
            self.created[kind] = self.created.get(kind, 0) + made

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def load_dataset() -> dict[str, Any]:
    """The demo dataset as shipped in the `config` package."""
    return config.load_toml(DATASET)


def spread_registered(hoods: list[dict[str, Any]], total: int) -> dict[str, int]:
    """Share `total` registered households over neighbourhoods: in proportion to their size,
    varied by +-25% steadily per name (so the demo is not flat), summing exactly to `total`."""
    if not hoods or total <= 0:
        return {h["name"]: 0 for h in hoods}
    weights = {}
    for h in hoods:
        wobble = int(hashlib.sha256(h["name"].encode()).hexdigest()[:4], 16) / 0xFFFF  # 0..1
        weights[h["name"]] = int(h["households"]) * (0.75 + 0.5 * wobble)
    scale = total / sum(weights.values())
    shares = {
        name: min(int(w * scale), int(h["households"]))
        for (name, w), h in zip(weights.items(), hoods, strict=True)
    }
    # Hand out what rounding left, largest neighbourhoods first, never above their size.
    rest = total - sum(shares.values())
    for h in sorted(hoods, key=lambda h: -int(h["households"])):
        if rest <= 0:
            break
        room = int(h["households"]) - shares[h["name"]]
        give = min(room, rest)
        shares[h["name"]] += give
        rest -= give
    return shares


def _sync(obj: Any, values: dict[str, Any], report: SeedReport, kind: str) -> None:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    if changed:
        report.add(report.updated, kind)


def _create_or_align(
    session: AsyncSession,
    found: T | None,
    make: Callable[..., T],
    values: dict[str, Any],
    report: SeedReport,
    kind: str,
) -> T:
    """`found` aligned with `values`, or, when there is none, `make(**values)` added."""
    if found is None:
        found = make(**values)
        session.add(found)
        report.add(report.created, kind)
    else:
        _sync(found, values, report, kind)
    return found


async def seed_municipality(
    session: AsyncSession, m: dict[str, Any], report: SeedReport
) -> Municipality:
    """The municipality of dataset entry `m`, created or aligned."""
    found = await session.scalar(select(Municipality).where(Municipality.slug == m["slug"]))
    values = {
        "name": m["name"],
        "languages": list(m["languages"]),
        "timezone": m.get("timezone", "Europe/Brussels"),
        "total_households": m.get("total_households")
        or sum(int(h["households"]) for h in m["neighbourhoods"]),
    }
    muni = _create_or_align(
        session, found, partial(Municipality, slug=m["slug"]), values, report, "municipality"
    )
    await session.flush()
    return muni


async def seed_neighbourhoods(
    session: AsyncSession, muni: Municipality, m: dict[str, Any], report: SeedReport
) -> dict[str, Neighbourhood]:
    """The neighbourhoods of `m` by name, created or aligned."""
    hoods = m["neighbourhoods"]
    registered = spread_registered(hoods, int(m.get("registered_households", 0)))
    by_name: dict[str, Neighbourhood] = {}
    for h in hoods:
        slug = slugify(h["name"])
        found = await session.scalar(
            select(Neighbourhood).where(
                Neighbourhood.municipality_id == muni.id, Neighbourhood.slug == slug
            )
        )
        # Registered households are the starting point only: events move them later.
        make = partial(
            Neighbourhood,
            municipality_id=muni.id,
            slug=slug,
            registered_households=registered[h["name"]],
        )
        values = {"name": h["name"], "total_households": int(h["households"])}
        by_name[h["name"]] = _create_or_align(session, found, make, values, report, "neighbourhood")
    await session.flush()
    return by_name


async def seed_organisation(
    session: AsyncSession,
    o: dict[str, Any],
    muni: Municipality,
    by_name: dict[str, Neighbourhood],
    report: SeedReport,
) -> Organisation:
    """Organisation `o`, created or aligned, with the neighbourhoods it serves."""
    found = await session.scalar(
        select(Organisation)
        .where(Organisation.slug == o["slug"])
        .options(selectinload(Organisation.neighbourhoods))
    )
    values = {"name": o["name"], "kind": o["kind"], "municipality_id": muni.id}
    make = partial(Organisation, slug=o["slug"], neighbourhoods=[])
    org = _create_or_align(session, found, make, values, report, "organisation")
    wanted = {by_name[n].id for n in o.get("neighbourhoods", [])}
    if {n.id for n in org.neighbourhoods} != wanted:
        org.neighbourhoods = [by_name[n] for n in o.get("neighbourhoods", [])]
        report.add(report.updated, "organisation_neighbourhoods")
    await session.flush()
    return org


async def seed_accounts(
    session: AsyncSession, org: Organisation, o: dict[str, Any], password: str, report: SeedReport
) -> None:
    """The demo accounts of organisation `o`, created or aligned."""
    for a in o.get("accounts", []):
        email = a["email"].lower()
        found = await session.scalar(select(StaffAccount).where(StaffAccount.email == email))
        values = {
            "name": a["name"],
            "language": a.get("language", "nl"),
            "roles": sorted(a["roles"]),
            "organisation_id": org.id,
            "active": True,
        }
        # Never re-hash an existing password: a second run must change nothing.
        make = partial(_new_account, email=email, password=password)
        _create_or_align(session, found, make, values, report, "staff_account")


def _new_account(*, email: str, password: str, **values: Any) -> StaffAccount:
    return StaffAccount(email=email, password_hash=hash_password(password), **values)


async def seed_activity(
    session: AsyncSession,
    muni: Municipality,
    m: dict[str, Any],
    data: dict[str, Any],
    city_org_id: int,
    report: SeedReport,
    *,
    messages: bool,
) -> None:
    """Categories, map points and submissions; with `messages`, the demo's reply templates,
    a lived-in inbox, published messages and their participation (tests start without)."""
    made = await demo_submissions.seed_categories(session, muni, data.get("categories", []))
    report.count("category", made)
    if m.get("centre"):
        await demo_submissions.seed_points(session, muni, m["centre"])
    subs = await demo_submissions.seed_submissions(
        session, muni, int(m.get("demo_submissions", 0)), city_org_id
    )
    report.count("submission", subs)
    if not messages:
        return
    report.count("reply_template", await demo_submissions.seed_templates(session, muni))
    if city_org_id:
        await demo_submissions.showcase_inbox(session, muni, city_org_id)
        sent = await demo_messages.seed_messages(session, city_org_id, m["slug"])
        if sent:
            report.count("message", sent)
            await demo_participation.seed_participation(session, city_org_id, muni.id)


async def seed_demo(
    session: AsyncSession, dataset: dict[str, Any] | None = None, *, messages: bool = False
) -> SeedReport:
    """Create or align municipalities, neighbourhoods, organisations and demo accounts;
    with `messages`, also the city messages already published (`config/demo/messages.toml`,
    what `buurt demo` starts with; tests start without)."""
    data = dataset or load_dataset()
    report = SeedReport()
    for m in data["municipalities"]:
        muni = await seed_municipality(session, m, report)
        by_name = await seed_neighbourhoods(session, muni, m, report)
        city_org_id = 0
        for o in m["organisations"]:
            org = await seed_organisation(session, o, muni, by_name, report)
            if o["kind"] == "municipality":
                city_org_id = org.id
            await seed_accounts(session, org, o, data["demo_password"], report)
        await session.flush()
        await seed_activity(session, muni, m, data, city_org_id, report, messages=messages)
    await session.commit()
    return report
