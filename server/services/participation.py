"""Surveys and citizen budgets end to end: answers, proposals and votes from the resident
side; staff decisions; results read from counters.

Rules (README, "Participation"):
- A household takes part once per survey or budget. The same response or vote id sent
  again is recorded once (answered 200 with `duplicate`); another id from the same household
  is refused (409 `already-taken-part`): the first answer stands, a later one does not
  replace it, so results never move backwards.
- Only while open (published, not closed early, before its closing time) and only from a
  neighbourhood the message addresses.
- Results come from `participation_counts`, incremented in the same transaction as each
  answer or vote; nothing scans the answers to show them. The household is kept only as a
  hash beside the fact that it took part, never beside what it answered.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server import clock
from server.db import begin_write
from server.models import (
    CityMessage,
    Neighbourhood,
    OpenAnswer,
    Organisation,
    Participation,
    ParticipationCount,
    Proposal,
    StaffAccount,
    Submission,
    SurveyAnswer,
    message_targets,
    utcnow,
)
from server.principal import Principal
from server.schemas.events import EventIn
from server.schemas.messages import SurveyDetails, SurveyQuestion
from server.schemas.participation import (
    HIDDEN,
    AnswerIn,
    ChoiceResult,
    DayCount,
    NeighbourhoodResult,
    OpenAnswerOut,
    ProposalIn,
    ProposalOut,
    ProposalResult,
    QuestionResult,
    Results,
    Shown,
    SurveyResponseIn,
    VoteIn,
)
from server.schemas.vocabulary import PARTICIPATION_KINDS
from server.services import audit, disclosure, live
from server.services import events as events_service
from server.services import messages as messages_service
from server.services.errors import DomainError, InvalidState, NotFound, check_version
from server.services.neighbourhoods import addressable
from server.upserts import increment, insert_new

METHOD = (
    "greedy by votes: proposals ranked by votes (then lower cost, then earlier), each taken "
    "while it still fits what is left of the budget, as CONSUL computes its winners"
)
COUNTS = ParticipationCount.__table__


@dataclass(frozen=True)
class Target:
    """A neighbourhood a message addresses, as results need it."""

    id: int
    name: str
    registered_households: int


def household_key(municipality_id: int, household: str) -> str:
    """What is kept of a household: a hash, enough to know it took part, not who it is."""
    return hashlib.sha256(f"{municipality_id}:{household}".encode()).hexdigest()


def _request_hash(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()


# -- the resident side --------------------------------------------------------------------


async def _message_for(
    session: AsyncSession, principal: Principal, message_id: int, kinds: tuple[str, ...]
) -> CityMessage:
    """A published message of the caller's municipality, of one of `kinds`; else 404."""
    city_orgs = select(Organisation.id).where(
        Organisation.municipality_id == principal.organisation.municipality_id
    )
    message = await session.scalar(
        select(CityMessage)
        .where(CityMessage.id == message_id, CityMessage.organisation_id.in_(city_orgs))
        .options(selectinload(CityMessage.neighbourhoods))
    )
    if message is None or message.kind not in kinds or message.state not in ("published",):
        raise NotFound("No such survey or budget open to residents.")
    return message


async def _check_neighbourhood(
    session: AsyncSession, principal: Principal, message: CityMessage, neighbourhood_id: int
) -> None:
    if message.target_all:
        reachable = addressable(principal).where(Neighbourhood.id == neighbourhood_id)
        if await session.scalar(reachable.with_only_columns(Neighbourhood.id)) is None:
            raise DomainError("not-targeted", "This neighbourhood is not one of the city's.")
    elif neighbourhood_id not in {n.id for n in message.neighbourhoods}:
        raise DomainError(
            "not-targeted", "This message does not address the household's neighbourhood."
        )


def closes_at(message: CityMessage) -> datetime | None:
    """When answers or votes stop being taken (without an early close)."""
    # Read from the stored details (checked when saved): this runs on every answer and read.
    if message.kind == "survey":
        return datetime.fromisoformat(message.details["survey"]["closes_at"])
    budget = message.details.get("budget")
    return datetime.fromisoformat(budget["deadline"]) if budget else None


def voting_from(message: CityMessage) -> datetime | None:
    budget = message.details.get("budget") or {}
    value = budget.get("voting_from")
    return datetime.fromisoformat(value) if value else None


def is_open(message: CityMessage, now: datetime | None = None) -> bool:
    """Published, not withdrawn or closed early, and before its closing time."""
    now = now or utcnow()
    end = closes_at(message)
    return message.state == "published" and message.closed_at is None and (end is None or now < end)


async def _take_part(
    session: AsyncSession, message: CityMessage, key: str, household: str, request_hash: str
) -> bool:
    """Record that a household took part; False for a retry of the same request. Holds
    under concurrent requests: the unique keys decide, on either database."""
    row = {
        "message_id": message.id, "key": key, "household": household,
        "request_hash": request_hash, "at": utcnow(),
    }  # fmt: skip
    if await insert_new(session, Participation.__table__, [row], ["id"], ["message_id", "key"]):
        return True
    existing = await session.scalar(
        select(Participation).where(
            Participation.message_id == message.id,
            or_(Participation.key == key, Participation.household == household),
        )
    )
    if existing is not None and existing.key == key:
        if existing.household == household and existing.request_hash == request_hash:
            return False
        raise DomainError("idempotency-key-reused", f"The id {key!r} was used for another answer.")
    raise DomainError(
        "already-taken-part",
        "This household already answered this survey or voted in this budget; the first "
        "answer stands.",
    )


def _check_answers(
    survey: SurveyDetails, body: SurveyResponseIn
) -> tuple[dict[str, list[int]], list[tuple[int, str]]]:
    """The choices per question and the open texts, checked against the questions: every
    closed question answered once, in its own way."""
    chosen: dict[str, list[int]] = {}
    texts: list[tuple[int, str]] = []
    for answer in body.answers:
        index = answer.question
        if index >= len(survey.questions):
            raise DomainError("invalid-answer", f"There is no question {index}.", question=index)
        if str(index) in chosen or any(q == index for q, _t in texts):
            raise DomainError(
                "invalid-answer", f"Question {index} is answered twice.", question=index
            )
        question = survey.questions[index]
        if question.type == "open" and answer.text is not None:
            if answer.text.strip():
                texts.append((index, answer.text.strip()))
        else:
            chosen[str(index)] = _closed_answer(index, question, answer)
    missing = [
        i for i, q in enumerate(survey.questions) if q.type != "open" and str(i) not in chosen
    ]
    if missing:
        raise DomainError(
            "invalid-answer", f"Question {missing[0]} is not answered.", question=missing[0]
        )
    return chosen, texts


# How each type of question is answered (AnswerIn's fields).
ANSWERED_WITH = {"single": "choice", "multiple": "choices", "scale": "value (1-5)", "open": "text"}


def _closed_answer(index: int, question: SurveyQuestion, answer: AnswerIn) -> list[int]:
    """The choices (or the scale's value) of one answer, checked against its question."""
    kind = question.type
    if kind == "single" and answer.choice is not None:
        if answer.choice >= len(question.choices):
            raise DomainError(
                "invalid-answer", f"Question {index} has no choice {answer.choice}.", question=index
            )
        return [answer.choice]
    if kind == "multiple" and answer.choices is not None:
        picked = sorted(set(answer.choices))
        limit = question.max_choices or len(question.choices)
        if not picked or len(picked) != len(answer.choices):
            raise DomainError(
                "invalid-answer", f"Question {index}: choose each choice once.", question=index
            )
        if len(picked) > limit or picked[-1] >= len(question.choices):
            raise DomainError(
                "invalid-answer",
                f"Question {index}: at most {limit} of its {len(question.choices)} choices.",
                question=index,
            )
        return picked
    if kind == "scale" and answer.value is not None:
        return [answer.value]
    raise DomainError(
        "invalid-answer",
        f"Question {index} is a {kind} question: answer it with {ANSWERED_WITH[kind]}.",
        question=index,
    )


CITY = 0  # the neighbourhood id under which a message's city-wide totals are counted


async def add_counts(
    session: AsyncSession, message_id: int, counts: dict[tuple[int, str], int]
) -> None:
    """Add (neighbourhood, key) counts, and the same under CITY: city-wide results then read
    a few dozen rows, not every neighbourhood's."""
    totals: dict[tuple[int, str], int] = defaultdict(int, counts)
    for (_hood, key), n in counts.items():
        totals[(CITY, key)] += n
    await increment(
        session, COUNTS, ["message_id", "neighbourhood_id", "key"],
        [
            {"message_id": message_id, "neighbourhood_id": hood, "key": key, "value": n}
            for (hood, key), n in totals.items()
        ],
    )  # fmt: skip


async def _count(
    session: AsyncSession, message_id: int, neighbourhood_id: int, keys: list[str]
) -> None:
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for key in keys:
        counts[(neighbourhood_id, key)] += 1
    await add_counts(session, message_id, counts)


def answer_keys(
    survey: SurveyDetails, chosen: dict[str, list[int]], texts: list[tuple[int, str]], day: date
) -> list[str]:
    """The counters one response adds 1 to."""
    keys = ["responses", f"day:{day.isoformat()}"]
    for number, values in chosen.items():
        kind = survey.questions[int(number)].type
        keys.append(f"q{number}:answered")
        keys += [f"q{number}:{'s' if kind == 'scale' else 'c'}{v}" for v in values]
    keys += [f"q{index}:answered" for index, _t in texts]
    return keys


def _bulk_taken(
    message: CityMessage, municipality_id: int, key: str, household: str, at: datetime
) -> dict[str, Any]:
    """The `participations` row of one response or ballot recorded in bulk."""
    return {
        "message_id": message.id, "key": key, "request_hash": "bulk", "at": at,
        "household": household_key(municipality_id, household),
    }  # fmt: skip


async def record_answers(
    session: AsyncSession, message: CityMessage, municipality_id: int,
    responses: list[tuple[str, str, int, datetime, dict[str, list[int]], list[tuple[int, str]]]],
) -> None:  # fmt: skip
    """Many checked responses at once (key, household, neighbourhood, when, choices, open
    texts), with the same counters as one by one: the demo's history and the bench's bulk.
    Does not commit."""
    survey = SurveyDetails.model_validate(message.details["survey"])
    timezone = await events_service.city_zone(session, municipality_id)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    taken, answers, opens = [], [], []
    for key, household, hood, at, chosen, texts in responses:
        day = clock.local_day(at, timezone)
        taken.append(_bulk_taken(message, municipality_id, key, household, at))
        answers.append(
            {"message_id": message.id, "neighbourhood_id": hood, "day": day, "answers": chosen}
        )
        opens += [
            {"message_id": message.id, "question": q, "neighbourhood_id": hood, "day": day,
             "text": text, "search_text": text.lower()}
            for q, text in texts
        ]  # fmt: skip
        for counter in answer_keys(survey, chosen, texts, day):
            counts[(hood, counter)] += 1
    if taken:
        await session.execute(insert(Participation), taken)
        await session.execute(insert(SurveyAnswer), answers)
    if opens:
        await session.execute(insert(OpenAnswer), opens)
    await add_counts(session, message.id, counts)
    # The dashboard counts them as it counts live answers (which also raises the message's
    # `survey_responses`).
    await _engagements(
        session, message, municipality_id, "survey_response",
        [(key, household, hood, at) for key, household, hood, at, _c, _t in responses],
    )  # fmt: skip


async def _engagements(
    session: AsyncSession,
    message: CityMessage,
    municipality_id: int,
    kind: str,
    taken: list[tuple[str, str, int, datetime]],
) -> None:
    """Count taking part (key, household, neighbourhood, when) as engagement events: the
    dashboard's figures count these like any event of the resident side."""
    events = {
        f"{kind}:{message.id}:{key}": EventIn(
            id=f"{kind}:{message.id}:{key}",
            type=kind,
            household=household,
            neighbourhood_id=hood,
            at=at,
            message_id=message.id,
        )
        for key, household, hood, at in taken
    }
    await events_service.store(session, municipality_id, events)


async def _engagement(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    key: str,
    body: Any,
    message: CityMessage,
) -> None:
    await _engagements(
        session, message, principal.organisation.municipality_id, kind,
        [(key, body.household, body.neighbourhood_id, utcnow())],
    )  # fmt: skip


def _changed(
    session: AsyncSession, municipality_id: int, message: CityMessage, neighbourhood_id: int
) -> None:
    live.emit(
        session, municipality_id, "results.updated",
        # Not the neighbourhood: counting these events would give its answers one by one.
        {"message_id": message.id, "kind": message.kind},
        neighbourhood_id=neighbourhood_id, organisation_id=message.organisation_id,
    )  # fmt: skip


async def answer_survey(
    session: AsyncSession, principal: Principal, message_id: int, body: SurveyResponseIn
) -> bool:
    """Record a household's answers; False when this response was recorded before."""
    await begin_write(session)
    message = await _message_for(session, principal, message_id, ("survey",))
    if not is_open(message):
        raise DomainError("participation-closed", "This survey is closed.")
    await _check_neighbourhood(session, principal, message, body.neighbourhood_id)
    survey = SurveyDetails.model_validate(message.details["survey"])
    chosen, texts = _check_answers(survey, body)
    household = household_key(principal.organisation.municipality_id, body.household)
    if not await _take_part(session, message, body.id, household, _request_hash(body)):
        await session.rollback()
        return False
    today = clock.today(principal.organisation.municipality.timezone)
    hood = body.neighbourhood_id
    session.add(
        SurveyAnswer(message_id=message.id, neighbourhood_id=hood, day=today, answers=chosen)
    )
    for index, text in texts:
        session.add(
            OpenAnswer(
                message_id=message.id, question=index, neighbourhood_id=hood, day=today,
                text=text, search_text=text.lower(),
            )
        )  # fmt: skip
    await _count(session, message.id, hood, answer_keys(survey, chosen, texts, today))
    await _engagement(session, principal, "survey_response", body.id, body, message)
    _changed(session, principal.organisation.municipality_id, message, hood)
    await session.commit()
    return True


async def record_ballots(
    session: AsyncSession, message: CityMessage, municipality_id: int,
    ballots: list[tuple[str, str, int, datetime, list[int]]],
) -> None:  # fmt: skip
    """Many checked ballots at once (key, household, neighbourhood, when, proposal ids), with
    the same counters as one by one: the demo's history and the bench's bulk. Does not
    commit."""
    timezone = await events_service.city_zone(session, municipality_id)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    votes: dict[int, int] = defaultdict(int)
    taken, kept = [], []
    for key, household, hood, at, chosen in ballots:
        day = clock.local_day(at, timezone)
        taken.append(_bulk_taken(message, municipality_id, key, household, at))
        kept.append(
            {"message_id": message.id, "neighbourhood_id": hood, "day": day,
             "answers": {"proposals": chosen}}
        )  # fmt: skip
        counts[(hood, "voters")] += 1
        counts[(hood, f"day:{day.isoformat()}")] += 1
        for proposal_id in chosen:
            counts[(hood, f"p{proposal_id}")] += 1
            votes[proposal_id] += 1
    if taken:
        await session.execute(insert(Participation), taken)
        await session.execute(insert(SurveyAnswer), kept)
    for proposal_id, n in sorted(votes.items()):
        await session.execute(
            update(Proposal)
            .where(Proposal.id == proposal_id)
            .values(votes=Proposal.votes + n)
            .execution_options(synchronize_session=False)
        )
    await add_counts(session, message.id, counts)
    await _engagements(
        session, message, municipality_id, "vote",
        [(key, household, hood, at) for key, household, hood, at, _c in ballots],
    )  # fmt: skip


def _proposals_open(message: CityMessage, now: datetime) -> bool:
    end = voting_from(message) or closes_at(message)
    return is_open(message, now) and (end is None or now < end)


def _voting_open(message: CityMessage, now: datetime) -> bool:
    start = voting_from(message)
    return is_open(message, now) and (start is None or now >= start)


async def propose(
    session: AsyncSession, principal: Principal, message_id: int, body: ProposalIn
) -> tuple[Proposal, bool]:
    """A resident's proposal for a citizen budget, waiting for staff; (it, whether new)."""
    await begin_write(session)
    message = await _message_for(session, principal, message_id, ("citizen_budget",))
    if not _proposals_open(message, utcnow()):
        raise DomainError("participation-closed", "This budget no longer takes proposals.")
    await _check_neighbourhood(session, principal, message, body.neighbourhood_id)
    household = household_key(principal.organisation.municipality_id, body.household)
    row = {
        "message_id": message.id, "key": body.id, "household": household,
        "neighbourhood_id": body.neighbourhood_id, "title": body.title.strip(),
        "description": body.description.strip(), "cost_eur": body.cost_eur,
        "state": "proposed", "votes": 0, "version": 1, "created_at": utcnow(),
    }  # fmt: skip
    inserted = await insert_new(session, Proposal.__table__, [row], ["id"], ["message_id", "key"])
    proposal = await session.scalar(
        select(Proposal).where(Proposal.message_id == message.id, Proposal.key == body.id)
    )
    assert proposal is not None
    if not inserted:
        same = (proposal.household, proposal.title, proposal.cost_eur) == (
            household, row["title"], body.cost_eur,
        )  # fmt: skip
        await session.rollback()
        if not same:
            raise DomainError(
                "idempotency-key-reused", f"The id {body.id!r} was used for another proposal."
            )
        return proposal, False
    await _count(session, message.id, body.neighbourhood_id, ["proposals"])
    await _engagement(session, principal, "proposal", body.id, body, message)
    _changed(session, principal.organisation.municipality_id, message, body.neighbourhood_id)
    await session.commit()
    return proposal, True


async def proposal_status(
    session: AsyncSession, principal: Principal, proposal_id: int
) -> Proposal:
    """A proposal of the caller's municipality, for the resident side to show its state."""
    city_orgs = select(Organisation.id).where(
        Organisation.municipality_id == principal.organisation.municipality_id
    )
    proposal = await session.scalar(
        select(Proposal)
        .join(CityMessage, CityMessage.id == Proposal.message_id)
        .where(Proposal.id == proposal_id, CityMessage.organisation_id.in_(city_orgs))
    )
    if proposal is None:
        raise NotFound("No such proposal.")
    return proposal


async def vote(session: AsyncSession, principal: Principal, message_id: int, body: VoteIn) -> bool:
    """A household's vote for accepted proposals that fit the budget together; False when
    this vote was recorded before."""
    await begin_write(session)
    message = await _message_for(session, principal, message_id, ("citizen_budget",))
    if not _voting_open(message, utcnow()):
        raise DomainError("participation-closed", "Voting in this budget is not open.")
    await _check_neighbourhood(session, principal, message, body.neighbourhood_id)
    wanted = await _ballot(session, message, body.proposals)
    household = household_key(principal.organisation.municipality_id, body.household)
    if not await _take_part(session, message, body.id, household, _request_hash(body)):
        await session.rollback()
        return False
    # Conditional on each being still accepted: a rejection that came first wins.
    counted = await session.execute(
        update(Proposal)
        .where(Proposal.id.in_(wanted), Proposal.state == "accepted")
        .values(votes=Proposal.votes + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != len(wanted):  # type: ignore[attr-defined]
        await session.rollback()
        raise DomainError(
            "invalid-answer", "A chosen proposal was withdrawn from the vote meanwhile."
        )
    today = clock.today(principal.organisation.municipality.timezone)
    # The ballot without its household, as a survey's answers are kept.
    session.add(
        SurveyAnswer(
            message_id=message.id, neighbourhood_id=body.neighbourhood_id, day=today,
            answers={"proposals": wanted},
        )
    )  # fmt: skip
    await _count(
        session, message.id, body.neighbourhood_id,
        ["voters", f"day:{today.isoformat()}", *(f"p{p}" for p in wanted)],
    )  # fmt: skip
    await _engagement(session, principal, "vote", body.id, body, message)
    _changed(session, principal.organisation.municipality_id, message, body.neighbourhood_id)
    await session.commit()
    return True


async def _ballot(session: AsyncSession, message: CityMessage, chosen: list[int]) -> list[int]:
    """The proposal ids of a ballot, sorted: each once, each accepted into this budget's
    vote, together within its budget."""
    wanted = sorted(set(chosen))
    if len(wanted) != len(chosen):
        raise DomainError("invalid-answer", "Each proposal can be chosen once.")
    found = (
        await session.scalars(
            select(Proposal).where(
                Proposal.id.in_(wanted), Proposal.message_id == message.id,
                Proposal.state == "accepted",
            )
        )
    ).all()  # fmt: skip
    if len(found) != len(wanted):
        missing = sorted(set(wanted) - {p.id for p in found})
        raise DomainError(
            "invalid-answer", f"Not open to the vote in this budget: {missing}.", proposals=missing
        )
    budget = int(message.details["budget"]["budget_eur"])
    total = sum(p.cost_eur for p in found)
    if total > budget:
        raise DomainError(
            "over-budget",
            f"The chosen proposals cost €{total:,} together; the budget is €{budget:,}.",
            total_eur=total, budget_eur=budget,
        )  # fmt: skip
    return wanted


# -- staff ---------------------------------------------------------------------------------


def proposal_out(
    proposal: Proposal, names: dict[int, str], deciders: dict[int, str]
) -> ProposalOut:
    return ProposalOut(
        id=proposal.id, message_id=proposal.message_id, title=proposal.title,
        description=proposal.description, cost_eur=proposal.cost_eur, state=proposal.state,
        reason=proposal.reason, neighbourhood_id=proposal.neighbourhood_id,
        neighbourhood_name=names.get(proposal.neighbourhood_id, ""), votes=proposal.votes,
        decided_by_name=deciders.get(proposal.decided_by_account_id or 0),
        decided_at=proposal.decided_at, created_at=proposal.created_at, version=proposal.version,
    )  # fmt: skip


async def _hood_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Neighbourhood.id, Neighbourhood.name).where(Neighbourhood.id.in_(ids))
    )
    return {key: name for key, name in rows.all()}


async def _names(
    session: AsyncSession, proposals: list[Proposal]
) -> tuple[dict[int, str], dict[int, str]]:
    """Neighbourhood names and the names of the staff who decided, by id."""
    names = await _hood_names(session, {p.neighbourhood_id for p in proposals})
    people = {p.decided_by_account_id for p in proposals if p.decided_by_account_id}
    deciders: dict[int, str] = {}
    if people:
        rows = await session.execute(
            select(StaffAccount.id, StaffAccount.name).where(StaffAccount.id.in_(people))
        )
        deciders = {key: name for key, name in rows.all()}
    return names, deciders


async def _own_message(session: AsyncSession, principal: Principal, message_id: int) -> CityMessage:
    """One of the organisation's messages, alone (a list needs neither its targets nor its
    author): one statement; another organisation's is a 404."""
    message = await session.scalar(
        select(CityMessage).where(
            CityMessage.id == message_id, CityMessage.organisation_id == principal.organisation.id
        )
    )
    if message is None:
        raise NotFound("No such message.")
    return message


async def proposals(
    session: AsyncSession, principal: Principal, message_id: int, state: str | None
) -> list[ProposalOut]:
    """A budget's proposals, newest first (a budget has tens, not thousands): their rows
    with the neighbourhood's and the decider's names, in one statement."""
    message = await _own_message(session, principal, message_id)
    stmt = (
        select(
            *Proposal.__table__.c,
            Neighbourhood.name.label("neighbourhood_name"),
            StaffAccount.name.label("decided_by_name"),
        )
        .outerjoin(Neighbourhood, Neighbourhood.id == Proposal.neighbourhood_id)
        .outerjoin(StaffAccount, StaffAccount.id == Proposal.decided_by_account_id)
        .where(Proposal.message_id == message.id)
    )
    if state:
        stmt = stmt.where(Proposal.state == state)
    rows: list[Any] = list((await session.execute(stmt.order_by(Proposal.id.desc()))).all())
    names = {r.neighbourhood_id: r.neighbourhood_name for r in rows if r.neighbourhood_name}
    deciders = {r.decided_by_account_id: r.decided_by_name for r in rows if r.decided_by_name}
    return [proposal_out(r, names, deciders) for r in rows]


async def _staff_proposal(
    session: AsyncSession, principal: Principal, proposal_id: int
) -> Proposal:
    proposal = await session.scalar(
        select(Proposal)
        .join(CityMessage, CityMessage.id == Proposal.message_id)
        .where(Proposal.id == proposal_id, CityMessage.organisation_id == principal.organisation.id)
    )
    if proposal is None:
        raise NotFound("No such proposal.")
    return proposal


async def proposal(session: AsyncSession, principal: Principal, proposal_id: int) -> ProposalOut:
    """One proposal of the organisation's budgets."""
    found = await _staff_proposal(session, principal, proposal_id)
    names, deciders = await _names(session, [found])
    return proposal_out(found, names, deciders)


async def decide(
    session: AsyncSession,
    principal: Principal,
    proposal_id: int,
    *,
    accept: bool,
    reason: str | None,
    version: int,
) -> ProposalOut:
    """Accept a proposal into the vote or reject it (with a reason). A decision can change
    while nobody has voted for it; audited."""
    await begin_write(session)
    proposal = await _staff_proposal(session, principal, proposal_id)
    state = "accepted" if accept else "rejected"
    # One statement decides: the version seen, and no votes yet unless still undecided.
    done = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal.id, Proposal.version == version,
            or_(Proposal.state == "proposed", Proposal.votes == 0),
        )
        .values(
            state=state, reason=None if accept else (reason or "").strip(),
            decided_by_account_id=principal.account.id, decided_at=utcnow(),
            version=Proposal.version + 1,
        )
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if done.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(proposal)
        current = proposal.version
        await session.rollback()
        check_version("proposal", current, version)
        raise InvalidState("Households already voted for this proposal.")
    audit.record(
        session, f"proposal.{state}", principal=principal, object_type="proposal",
        object_id=proposal.id, details={"message_id": proposal.message_id},
    )  # fmt: skip
    message = await session.get(CityMessage, proposal.message_id)
    assert message is not None
    _changed(session, principal.organisation.municipality_id, message, proposal.neighbourhood_id)
    await session.commit()
    await session.refresh(proposal)
    fresh = proposal
    names, deciders = await _names(session, [fresh])
    return proposal_out(fresh, names, deciders)


async def close_early(session: AsyncSession, principal: Principal, message_id: int) -> CityMessage:
    """Stop taking answers, proposals and votes now; audited."""
    await begin_write(session)
    message = await messages_service.get(session, principal, message_id, for_update=True)
    if message.kind not in PARTICIPATION_KINDS:
        raise InvalidState("Only a survey, a call or a budget can be closed.")
    if not is_open(message):
        raise InvalidState("It is not open.")
    now = utcnow()
    message.closed_at = now
    message.updated_at = now
    message.version += 1
    audit.record(
        session, "message.closed", principal=principal, object_type="message", object_id=message.id,
    )  # fmt: skip
    await session.commit()
    return await messages_service.get(session, principal, message_id)


# -- results -------------------------------------------------------------------------------


async def _targets(
    session: AsyncSession, principal: Principal, message: CityMessage
) -> list[Target]:
    """The neighbourhoods a message addresses, as the caller's organisation sees them."""
    if message.target_all:
        # Plain rows, not ORM objects: a city has up to a few hundred neighbourhoods.
        columns = addressable(principal).with_only_columns(
            Neighbourhood.id, Neighbourhood.name, Neighbourhood.registered_households
        )
        return [Target(*row) for row in (await session.execute(columns)).all()]
    chosen = (
        select(Neighbourhood.id, Neighbourhood.name, Neighbourhood.registered_households)
        .join(message_targets, message_targets.c.neighbourhood_id == Neighbourhood.id)
        .where(message_targets.c.message_id == message.id)
    )
    return [Target(*row) for row in (await session.execute(chosen)).all()]


@dataclass
class ResultsView:
    """One message's counters cut for one view (the city, or one neighbourhood), through
    the message's one disclosure decision."""

    decision: disclosure.Decision
    per_hood: dict[int, dict[str, int]]
    city: dict[str, int]
    hood: int | None  # None: the city's view

    def cells(self, columns: list[str], *, rows_add_up: bool) -> list[Shown]:
        """The columns' counts as this view may show them."""
        cut = disclosure.suppress_cells(
            self.per_hood, columns, self.decision, rows_add_up=rows_add_up
        )
        if self.hood is None:
            # A held-back total is "hidden" whatever its size: "< 5" beside "hidden" would
            # tell which choices a lone neighbourhood made.
            return [
                HIDDEN
                if self.decision.total_hidden or c in cut.hidden_totals
                else self.city.get(c, 0)
                for c in columns
            ]
        if self.hood in self.decision.suppressed:
            return [HIDDEN for _c in columns]
        own = self.per_hood.get(self.hood, {})
        return [
            disclosure.mark(own.get(c, 0)) if (self.hood, c) in cut.hidden else own.get(c, 0)
            for c in columns
        ]


async def results(
    session: AsyncSession, principal: Principal, message_id: int, neighbourhood_id: int | None
) -> Results:
    """The live results of a survey, a citizen budget or a call for ideas, for the whole
    city or one neighbourhood, from the counters; every figure through the message's one
    disclosure decision (`server.services.disclosure`)."""
    # The message alone: its targets are read below as plain rows, not as ORM objects.
    message = await session.scalar(
        select(CityMessage).where(
            CityMessage.id == message_id, CityMessage.organisation_id == principal.organisation.id
        )
    )
    if message is None:
        raise NotFound("No such message.")
    if message.kind not in PARTICIPATION_KINDS:
        raise InvalidState("Only surveys, calls for ideas and budgets have results.")
    targets = await _targets(session, principal, message)
    if neighbourhood_id is not None and all(t.id != neighbourhood_id for t in targets):
        raise NotFound(f"This message did not address neighbourhood {neighbourhood_id}.")
    per_hood, city = await _counters(session, message, {t.id for t in targets})
    main = {"survey": "responses", "citizen_budget": "voters"}.get(message.kind, "ideas")
    decision = disclosure.decide({t.id: per_hood.get(t.id, {}).get(main, 0) for t in targets})
    view = ResultsView(decision, per_hood, city, neighbourhood_id)
    asked = next((t for t in targets if t.id == neighbourhood_id), None)
    out = _overview(message, view, targets, asked)
    if message.kind == "call_for_ideas":
        out.rate = None  # ideas are not one per household: a rate would mislead
        codes = sorted(k for k in city if k.startswith("idea:"))
        out.ideas_by_category = {
            code[5:]: n for code, n in zip(codes, view.cells(codes, rows_add_up=True), strict=True)
            if n != 0
        }  # fmt: skip
    elif message.kind == "survey":
        _survey_results(out, message, view)
    else:
        await _budget_results(session, out, message, view)
    return out


async def _counters(
    session: AsyncSession, message: CityMessage, target_ids: set[int]
) -> tuple[dict[int, dict[str, int]], dict[str, int]]:
    """Every counter of the message, per targeted neighbourhood and for the city (a call's
    ideas counted per category): the decision is taken over all neighbourhoods at once."""
    per_hood: dict[int, dict[str, int]] = defaultdict(dict)
    rows = await session.execute(
        select(COUNTS.c.neighbourhood_id, COUNTS.c.key, COUNTS.c.value).where(
            COUNTS.c.message_id == message.id
        )
    )
    for hood, key, value in rows.all():
        per_hood[hood][key] = value
    city = per_hood.pop(CITY, {})
    if message.kind == "call_for_ideas":
        for (hood, code), n in (await _ideas(session, message.id)).items():
            per_hood[hood][f"idea:{code}"] = n
            per_hood[hood]["ideas"] = per_hood[hood].get("ideas", 0) + n
            city[f"idea:{code}"] = city.get(f"idea:{code}", 0) + n
            city["ideas"] = city.get("ideas", 0) + n
    return {h: keys for h, keys in per_hood.items() if h in target_ids}, city


def _overview(
    message: CityMessage, view: ResultsView, targets: list[Target], asked: Target | None
) -> Results:
    """The results every kind has: the count and rate, per neighbourhood, over time."""
    decision = view.decision
    listed = [asked] if asked is not None else sorted(targets, key=lambda n: n.name)
    hoods = [
        NeighbourhoodResult(
            id=n.id, name=n.name, registered_households=n.registered_households,
            count=(shown := decision.shown(n.id)),
            rate=(shown / n.registered_households)
            if isinstance(shown, int) and n.registered_households else None,
        )
        for n in listed
    ]  # fmt: skip
    count: Shown = decision.total() if asked is None else decision.shown(asked.id)
    reached = message.reach_registered if asked is None else asked.registered_households
    # Every day of the message, in every view: a day left out of a neighbourhood's series
    # would say that it was 0 there, a held-back one included.
    days = sorted(k for k in view.city if k.startswith("day:"))
    day_counts = view.cells(days, rows_add_up=True)
    return Results(
        message_id=message.id, kind=message.kind, title=message.title, open=is_open(message),
        closes_at=closes_at(message), closed_at=message.closed_at,
        neighbourhood_id=asked.id if asked is not None else None, households_reached=reached,
        count=count,
        rate=count / reached if isinstance(count, int) and reached else None,
        neighbourhoods=hoods,
        over_time=[
            DayCount(day=datetime.fromisoformat(d[4:]).date(), count=c)
            for d, c in zip(days, day_counts, strict=True)
            # A suppressed neighbourhood shows no day at all.
            if not (asked is not None and asked.id in decision.suppressed)
        ],
    )  # fmt: skip


def _survey_results(out: Results, message: CityMessage, view: ResultsView) -> None:
    # The stored questions as they are (checked when saved; older ones have no type).
    questions = message.details["survey"]["questions"]
    answered = view.cells([f"q{i}:answered" for i in range(len(questions))], rows_add_up=False)
    for index, question in enumerate(questions):
        kind = question.get("type", "single")
        total = answered[index]
        result = QuestionResult(
            index=index, type=kind, question=question["question"], answered=total,
            max_choices=question.get("max_choices"),
        )  # fmt: skip
        if kind in ("single", "multiple"):
            labels = list(question["choices"])
            keys = [f"q{index}:c{i}" for i in range(len(labels))]
            # A single choice's counts add up to the question's answers; several choices don't.
            counts = view.cells(keys, rows_add_up=kind == "single")
        elif kind == "scale":
            labels = [{"en": str(v), "nl": str(v), "fr": str(v)} for v in range(1, 6)]
            counts = view.cells([f"q{index}:s{v}" for v in range(1, 6)], rows_add_up=True)
            # The average only where every value's count is shown (else it tells them apart).
            if isinstance(total, int) and total and all(isinstance(n, int) for n in counts):
                result.average = (
                    sum(v * int(n) for v, n in zip(range(1, 6), counts, strict=True)) / total
                )
        else:
            labels, counts = [], []
        for i, (label, n) in enumerate(zip(labels, counts, strict=True)):
            result.choices.append(
                ChoiceResult(
                    index=i, label=label, count=n,
                    share=n / total if isinstance(n, int) and isinstance(total, int) and total
                    else None,
                )
            )  # fmt: skip
        out.questions.append(result)
    # Every open answer counted as its question's answers: no COUNT over the texts.
    opens = [answered[i] for i, q in enumerate(questions) if q.get("type") == "open"]
    out.open_answers = (
        sum(int(n) for n in opens) if all(isinstance(n, int) for n in opens) else None
    )


def winners(ranked: list[tuple[int, int]], budget: int) -> list[int]:
    """The winning set by CONSUL's method: `ranked` is (id, cost) by votes, most first;
    each is taken while it fits what is left."""
    left, won = budget, []
    for proposal_id, cost in ranked:
        if cost <= left:
            won.append(proposal_id)
            left -= cost
    return won


async def _budget_results(
    session: AsyncSession, out: Results, message: CityMessage, view: ResultsView
) -> None:
    budget = int(message.details["budget"]["budget_eur"])
    # Plain rows with their neighbourhood's name, in one query: no ORM objects to build.
    rows = (
        await session.execute(
            select(
                Proposal.id, Proposal.title, Proposal.cost_eur, Proposal.votes,
                Neighbourhood.name,
            )
            .join(Neighbourhood, Neighbourhood.id == Proposal.neighbourhood_id)
            .where(Proposal.message_id == message.id, Proposal.state == "accepted")
        )
    ).all()  # fmt: skip
    shown = dict(
        zip(
            [p.id for p in rows],
            view.cells([f"p{p.id}" for p in rows], rows_add_up=False),
            strict=True,
        )
    )
    # Ranked by what is shown (a held-back count ranks last): the order must not tell the
    # held-back counts apart either.
    ranked = sorted(
        rows, key=lambda p: (-(v if isinstance(v := shown[p.id], int) else -1), p.cost_eur, p.id)
    )
    won = set(winners([(p.id, p.cost_eur) for p in ranked], budget))
    out.budget_eur = budget
    out.method = METHOD
    out.proposals = [
        ProposalResult(
            id=p.id, title=p.title, neighbourhood_name=p.name, cost_eur=p.cost_eur,
            votes=shown[p.id], rank=rank, winning=p.id in won,
        )
        for rank, p in enumerate(ranked, start=1)
    ]  # fmt: skip
    out.winning_set = [p.id for p in ranked if p.id in won]
    out.winning_cost_eur = sum(p.cost_eur for p in ranked if p.id in won)


async def _ideas(session: AsyncSession, message_id: int) -> dict[tuple[int, str], int]:
    """The ideas linked to a call, per neighbourhood and category."""
    from server.models import Category

    stmt = (
        select(Submission.neighbourhood_id, Category.code, func.count())
        .join(Category, Category.id == Submission.category_id)
        .where(Submission.message_id == message_id)
        .group_by(Submission.neighbourhood_id, Category.code)
    )
    return {(hood or 0, code): n for hood, code, n in (await session.execute(stmt)).all()}


async def open_answers(
    session: AsyncSession,
    principal: Principal,
    message_id: int,
    *,
    question: int | None,
    query: str | None,
    neighbourhood_id: int | None,
    after: int | None,
    limit: int,
) -> list[OpenAnswerOut]:
    """What residents wrote to the open questions, newest first. A neighbourhood is named,
    and may be asked for, only where the message's disclosure decision shows it (a
    suppressed one's answers are counted with the city's, never apart)."""
    message = await _own_message(session, principal, message_id)
    targets = await _targets(session, principal, message)
    responses = await session.execute(
        select(COUNTS.c.neighbourhood_id, COUNTS.c.value).where(
            COUNTS.c.message_id == message.id, COUNTS.c.key == "responses"
        )
    )
    counts = dict(responses.all())
    decision = disclosure.decide({t.id: counts.get(t.id, 0) for t in targets})
    if neighbourhood_id is not None:
        if all(t.id != neighbourhood_id for t in targets):
            raise NotFound(f"This message did not address neighbourhood {neighbourhood_id}.")
        if neighbourhood_id in decision.suppressed:
            raise DomainError(
                "suppressed",
                "Too few households of this neighbourhood answered to show their answers apart.",
            )
    stmt = select(
        OpenAnswer.id, OpenAnswer.question, OpenAnswer.text, OpenAnswer.day,
        OpenAnswer.neighbourhood_id,
    ).where(OpenAnswer.message_id == message.id)  # fmt: skip
    if question is not None:
        stmt = stmt.where(OpenAnswer.question == question)
    if neighbourhood_id is not None:
        stmt = stmt.where(OpenAnswer.neighbourhood_id == neighbourhood_id)
    if query:
        stmt = stmt.where(OpenAnswer.search_text.contains(query.lower(), autoescape=True))
    if after is not None:
        stmt = stmt.where(OpenAnswer.id < after)
    rows = (await session.execute(stmt.order_by(OpenAnswer.id.desc()).limit(limit))).all()
    names = {t.id: t.name for t in targets if t.id not in decision.suppressed}
    return [
        OpenAnswerOut(
            id=a.id, question=a.question, text=a.text, day=a.day,
            neighbourhood_name=names.get(a.neighbourhood_id),
        )
        for a in rows
    ]  # fmt: skip
