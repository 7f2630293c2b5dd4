"""Seed the demo dataset from config/ (idempotent: a second run changes nothing)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

import config
from server.models import Municipality, Neighbourhood, Organisation, StaffAccount
from server.security import hash_password
from server.services import demo_messages, demo_participation, demo_submissions

DATASET = "demo/dataset.toml"


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
        bucket[kind] = bucket.get(kind, 0) + 1

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


async def seed_demo(
    session: AsyncSession, dataset: dict[str, Any] | None = None, *, messages: bool = False
) -> SeedReport:
    """Create or align municipalities, neighbourhoods, organisations and demo accounts;
    with `messages`, also the city messages already published (`config/demo/messages.toml`,
    what `buurt demo` starts with; tests start without)."""
    data = dataset or load_dataset()
    report = SeedReport()
    password = data["demo_password"]
    for m in data["municipalities"]:
        hoods = m["neighbourhoods"]
        muni = await session.scalar(select(Municipality).where(Municipality.slug == m["slug"]))
        values = {
            "name": m["name"],
            "languages": list(m["languages"]),
            "timezone": m.get("timezone", "Europe/Brussels"),
            "total_households": m.get("total_households")
            or sum(int(h["households"]) for h in hoods),
        }
        if muni is None:
            muni = Municipality(slug=m["slug"], **values)
            session.add(muni)
            await session.flush()
            report.add(report.created, "municipality")
        else:
            _sync(muni, values, report, "municipality")

        registered = spread_registered(hoods, int(m.get("registered_households", 0)))
        city_org_id = 0
        by_name: dict[str, Neighbourhood] = {}
        for h in hoods:
            slug = slugify(h["name"])
            hood = await session.scalar(
                select(Neighbourhood).where(
                    Neighbourhood.municipality_id == muni.id, Neighbourhood.slug == slug
                )
            )
            values = {"name": h["name"], "total_households": int(h["households"])}
            if hood is None:
                # Registered households are the starting point only: events move them later.
                values["registered_households"] = registered[h["name"]]
                hood = Neighbourhood(municipality_id=muni.id, slug=slug, **values)
                session.add(hood)
                report.add(report.created, "neighbourhood")
            else:
                _sync(hood, values, report, "neighbourhood")
            by_name[h["name"]] = hood
        await session.flush()

        for o in m["organisations"]:
            org = await session.scalar(
                select(Organisation)
                .where(Organisation.slug == o["slug"])
                .options(selectinload(Organisation.neighbourhoods))
            )
            values = {"name": o["name"], "kind": o["kind"], "municipality_id": muni.id}
            if org is None:
                org = Organisation(slug=o["slug"], neighbourhoods=[], **values)
                session.add(org)
                report.add(report.created, "organisation")
            else:
                _sync(org, values, report, "organisation")
            wanted = {by_name[n].id for n in o.get("neighbourhoods", [])}
            if {n.id for n in org.neighbourhoods} != wanted:
                org.neighbourhoods = [by_name[n] for n in o.get("neighbourhoods", [])]
                report.add(report.updated, "organisation_neighbourhoods")
            await session.flush()
            if o["kind"] == "municipality":
                city_org_id = org.id

            for a in o.get("accounts", []):
                email = a["email"].lower()
                account = await session.scalar(
                    select(StaffAccount).where(StaffAccount.email == email)
                )
                values = {
                    "name": a["name"],
                    "language": a.get("language", "nl"),
                    "roles": sorted(a["roles"]),
                    "organisation_id": org.id,
                    "active": True,
                }
                if account is None:
                    # Never re-hash an existing password: a second run must change nothing.
                    session.add(
                        StaffAccount(email=email, password_hash=hash_password(password), **values)
                    )
                    report.add(report.created, "staff_account")
                else:
                    _sync(account, values, report, "staff_account")
        await session.flush()
        made = await demo_submissions.seed_categories(session, muni, data.get("categories", []))
        if made:
            report.created["category"] = report.created.get("category", 0) + made
        if m.get("centre"):
            await demo_submissions.seed_points(session, muni, m["centre"])
        subs = await demo_submissions.seed_submissions(
            session, muni, int(m.get("demo_submissions", 0)), city_org_id
        )
        if subs:
            report.created["submission"] = report.created.get("submission", 0) + subs
        # With the demo's messages, its reply templates and a lived-in inbox (tests start
        # without them).
        templates = 0
        if messages:
            templates = await demo_submissions.seed_templates(session, muni)
            if city_org_id:
                await demo_submissions.showcase_inbox(session, muni, city_org_id)
        if templates:
            report.created["reply_template"] = report.created.get("reply_template", 0) + templates
        if city_org_id and messages:
            sent = await demo_messages.seed_messages(session, city_org_id, m["slug"])
            if sent:
                report.created["message"] = report.created.get("message", 0) + sent
                await demo_participation.seed_participation(session, city_org_id, muni.id)
    await session.commit()
    return report
