"""What the demo's residents answered, proposed and voted (`config/demo/participation.toml`):
the closed survey's results at Mons's rate, the open survey part way, the citizen budget's
proposals (accepted, rejected with a reason, waiting) and its votes so far, ideas linked to
the call. Written in bulk, with the same counters the routes keep, so results read as they
would after real answers; the simulator carries on through the routes."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import config
from server.models import (
    Category,
    CityMessage,
    Neighbourhood,
    Participation,
    Proposal,
    Submission,
    utcnow,
)
from server.schemas.messages import SurveyDetails
from server.services.participation import (
    add_counts,
    closes_at,
    household_key,
    record_answers,
    record_ballots,
    winners,
)

SEED = 16


def load() -> dict[str, Any]:
    return config.load_toml("demo/participation.toml")


async def seed_participation(
    session: AsyncSession, organisation_id: int, municipality_id: int
) -> None:
    """Fill the organisation's demo surveys, budget and call (once: messages with answers
    already are left alone)."""
    data = load()
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    messages = (
        await session.scalars(
            select(CityMessage)
            .where(CityMessage.organisation_id == organisation_id)
            .order_by(CityMessage.id)
        )
    ).all()
    for message in messages:
        taken = await session.scalar(
            select(Participation.id).where(Participation.message_id == message.id).limit(1)
        )
        if taken is not None:
            continue
        hoods = list(
            (
                await session.scalars(
                    select(Neighbourhood)
                    .where(Neighbourhood.municipality_id == municipality_id)
                    .order_by(Neighbourhood.id)
                )
            ).all()
        )
        if message.kind == "survey":
            ended = (closes_at(message) or utcnow()) < utcnow()
            rate = data["closed_survey_rate"] if ended else data["open_survey_rate"]
            await _survey(session, message, hoods, rate, data["open_answers"], rng)
        elif message.kind == "citizen_budget":
            await _budget(session, message, hoods, data, rng)
        elif message.kind == "call_for_ideas":
            await _call(session, message, municipality_id)
    await session.flush()


def _days(message: CityMessage, rng: random.Random) -> datetime:
    """When a household answered: most in the first days, fewer later, never ahead."""
    start = message.published_at or utcnow()
    end = min(closes_at(message) or utcnow(), utcnow())
    span = max((end - start).total_seconds(), 3600.0)
    return start + timedelta(seconds=min(span - 1, rng.expovariate(4 / span)))


async def _survey(
    session: AsyncSession,
    message: CityMessage,
    hoods: list[Neighbourhood],
    rate: float,
    texts: list[str],
    rng: random.Random,
) -> None:
    survey = SurveyDetails.model_validate(message.details["survey"])
    responses = []
    for hood in hoods:
        # Each neighbourhood its own leaning, so the breakdown and the filter tell something.
        leaning = [[rng.random() + 0.2 for _c in q.choices] for q in survey.questions]
        mood = rng.uniform(2.4, 4.2)
        n = round(hood.registered_households * rate * rng.uniform(0.6, 1.4))
        for i in range(n):
            chosen: dict[str, list[int]] = {}
            words: list[tuple[int, str]] = []
            for index, question in enumerate(survey.questions):
                if question.type == "single":
                    chosen[str(index)] = rng.choices(range(len(question.choices)), leaning[index])
                elif question.type == "multiple":
                    limit = question.max_choices or len(question.choices)
                    picks = rng.choices(range(len(question.choices)), leaning[index], k=limit)
                    chosen[str(index)] = sorted(set(picks))
                elif question.type == "scale":
                    chosen[str(index)] = [max(1, min(5, round(rng.gauss(mood, 1.0))))]
                elif rng.random() < 0.3:
                    words.append((index, rng.choice(texts)))
            key = f"demo-{hood.id}-{i}"
            responses.append(
                (key, f"demo-{message.id}-{key}", hood.id, _days(message, rng), chosen, words)
            )
    await record_answers(session, message, hoods[0].municipality_id, responses)


async def _write(
    session: AsyncSession,
    message: CityMessage,
    taken: list[dict[str, Any]],
    counts: dict[tuple[int, str], int],
) -> None:
    if taken:
        await session.execute(insert(Participation), taken)
    await add_counts(session, message.id, counts)


async def _budget(
    session: AsyncSession,
    message: CityMessage,
    hoods: list[Neighbourhood],
    data: dict[str, Any],
    rng: random.Random,
) -> None:
    municipality_id = hoods[0].municipality_id
    budget = int(message.details["budget"]["budget_eur"])
    made: list[tuple[Proposal, int]] = []

    def propose(i: int, title: str, cost: int, state: str, reason: str | None = None) -> Proposal:
        # The neighbourhood its title names, else one of them.
        hood = next((h for h in hoods if h.name in title), None) or rng.choice(hoods)
        proposal = Proposal(
            message_id=message.id, key=f"demo-{i}", neighbourhood_id=hood.id,
            household=household_key(municipality_id, f"demo-proposer-{i}"), title=title,
            description=f"{title}. Voorgesteld door bewoners van {hood.name}.", cost_eur=cost,
            state=state, reason=reason, votes=0, version=1,
            created_at=(message.published_at or utcnow()) + timedelta(days=rng.uniform(0, 15)),
            decided_at=None if state == "proposed" else utcnow() - timedelta(days=11),
        )  # fmt: skip
        session.add(proposal)
        return proposal

    for i, (title, cost, weight) in enumerate(data["proposals"]):
        made.append((propose(i, title, int(cost), "accepted"), int(weight)))
    for j, (title, cost, reason) in enumerate(data["rejected"], start=100):
        propose(j, title, int(cost), "rejected", reason)
    for k, (title, cost) in enumerate(data["waiting"], start=200):
        propose(k, title, int(cost), "proposed")
    await session.flush()
    ballots: list[tuple[str, str, int, datetime, list[int]]] = []
    weights = [w for _p, w in made]
    for i in range(int(data["budget_voters"])):
        hood = rng.choice(hoods)
        at = _voting_moment(message, rng)
        # A ballot: popular proposals more often, as many as fit the budget, 1 to 4.
        picks = rng.choices([p for p, _w in made], weights, k=rng.randint(1, 4))
        ballot = winners([(p.id, p.cost_eur) for p in dict.fromkeys(picks)], budget)
        ballots.append((f"demo-vote-{i}", f"demo-voter-{message.id}-{i}", hood.id, at, ballot))
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for proposal in {p for p, _w in made}:
        counts[(proposal.neighbourhood_id, "proposals")] += 1
    await _write(session, message, [], counts)
    # The same rows, counters and engagement events as ballots cast one by one.
    await record_ballots(session, message, municipality_id, ballots)


def _voting_moment(message: CityMessage, rng: random.Random) -> datetime:
    plan = message.details["budget"]
    start = datetime.fromisoformat(plan.get("voting_from") or plan["deadline"])
    span = max((utcnow() - start).total_seconds(), 3600.0)
    return start + timedelta(seconds=rng.uniform(0, span))


async def _call(session: AsyncSession, message: CityMessage, municipality_id: int) -> None:
    """Ideas of the demo's inbox sent since the call, in its green categories, answer it."""
    green = select(Category.id).where(
        Category.municipality_id == municipality_id,
        Category.code.in_(("greenery", "initiative")),
    )
    await session.execute(
        update(Submission)
        .where(
            Submission.municipality_id == municipality_id,
            Submission.kind == "idea",
            Submission.category_id.in_(green),
            Submission.created_at >= (message.published_at or utcnow()),
        )
        .values(message_id=message.id)
        .execution_options(synchronize_session=False)
    )
