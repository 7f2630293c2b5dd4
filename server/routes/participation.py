"""Surveys and citizen budgets.

The resident side (an API token with `participation:write`):
`POST /v1/participation/surveys/{id}/responses`, `POST /v1/participation/budgets/{id}/proposals`,
`POST /v1/participation/budgets/{id}/votes`, `GET /v1/participation/proposals/{id}`.

Staff: `GET /v1/messages/{id}/results` (`?neighbourhood=`), `GET /v1/messages/{id}/results.csv`,
`GET /v1/messages/{id}/open-answers` (and `.csv`), `GET /v1/messages/{id}/proposals`,
`GET /v1/proposals/{id}`, `POST /v1/proposals/{id}/decision` (If-Match),
`POST /v1/messages/{id}/close`.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from server import csvsafe
from server.deps import DbSession, MessageReader, RequiredIfMatch, require
from server.pagination import Paging, list_json, page_json
from server.principal import Principal
from server.responses import with_etag
from server.schemas import Page, PathId, QueryId
from server.schemas.messages import MessageOut
from server.schemas.participation import (
    DecisionIn,
    OpenAnswerOut,
    ProposalIn,
    ProposalOut,
    ProposalStatus,
    Recorded,
    Results,
    SurveyResponseIn,
    VoteIn,
)
from server.schemas.vocabulary import ProposalState
from server.services import messages as messages_service
from server.services import participation as service

router = APIRouter(prefix="/v1", tags=["participation"])

Resident = Annotated[Principal, Depends(require("admin", scope="participation:write"))]
Decider = Annotated[Principal, Depends(require("communicator", "admin", scope="messages:write"))]
TextQuery = Annotated[
    str | None, Query(max_length=200, pattern=r"^[^\x00]*$", description="Words in the answer")
]


def _recorded(message_id: int, new: bool) -> JSONResponse:
    body = Recorded(message_id=message_id, duplicate=not new)
    return JSONResponse(body.model_dump(), status_code=201 if new else 200)


@router.post(
    "/participation/surveys/{message_id}/responses", status_code=201, response_model=Recorded
)
async def answer_survey(
    message_id: PathId, body: SurveyResponseIn, principal: Resident, session: DbSession
) -> JSONResponse:
    """A household's answers (201); the same response id again is 200 with `duplicate`. A
    household answers once: another response from it is 409 `already-taken-part`."""
    return _recorded(message_id, await service.answer_survey(session, principal, message_id, body))


@router.post(
    "/participation/budgets/{message_id}/proposals", status_code=201, response_model=ProposalStatus
)
async def propose(
    message_id: PathId, body: ProposalIn, principal: Resident, session: DbSession
) -> JSONResponse:
    """A resident's proposal, waiting for staff to accept it into the vote or reject it."""
    proposal, new = await service.propose(session, principal, message_id, body)
    out = ProposalStatus.model_validate(proposal, from_attributes=True)
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if new else 200)


@router.get("/participation/proposals/{proposal_id}", response_model=ProposalStatus)
async def proposal_status(
    proposal_id: PathId, principal: Resident, session: DbSession
) -> ProposalStatus:
    """Where a proposal stands, with the reason when it was rejected (for its resident)."""
    proposal = await service.proposal_status(session, principal, proposal_id)
    return ProposalStatus.model_validate(proposal, from_attributes=True)


@router.post("/participation/budgets/{message_id}/votes", status_code=201, response_model=Recorded)
async def vote(
    message_id: PathId, body: VoteIn, principal: Resident, session: DbSession
) -> JSONResponse:
    """A household's vote for accepted proposals whose costs together fit the budget
    (422 `over-budget` otherwise); once per household."""
    return _recorded(message_id, await service.vote(session, principal, message_id, body))


# -- staff ---------------------------------------------------------------------------------


@router.get("/messages/{message_id}/results", response_model=Results)
async def results(
    message_id: PathId,
    principal: MessageReader,
    session: DbSession,
    neighbourhood: QueryId = None,
) -> Results:
    """Live results of a survey, budget or call. Counts of a neighbourhood (the breakdown,
    or everything when filtered on one) below 5 are the string "< 5"."""
    return await service.results(session, principal, message_id, neighbourhood)


@router.get("/messages/{message_id}/results.csv", response_class=Response)
async def results_csv(
    message_id: PathId,
    principal: MessageReader,
    session: DbSession,
    neighbourhood: QueryId = None,
) -> Response:
    """The results as CSV rows: `section, item, label, count, share` (small counts "< 5")."""
    out = await service.results(session, principal, message_id, neighbourhood)
    buffer = io.StringIO()
    writer = csvsafe.Writer(buffer)
    writer.writerow(["section", "item", "label", "count", "share"])
    writer.writerow(["total", "", "", out.count, "" if out.rate is None else f"{out.rate:.4f}"])
    for q in out.questions:
        text = next(iter(q.question.values()), "")
        writer.writerow([f"question {q.index}", "answered", text, q.answered, ""])
        for c in q.choices:
            label = next(iter(c.label.values()), "")
            share = "" if c.share is None else f"{c.share:.4f}"
            writer.writerow([f"question {q.index}", c.index, label, c.count, share])
    for p in out.proposals:
        writer.writerow(["proposal", p.id, p.title, p.votes, "winning" if p.winning else ""])
    for n in out.neighbourhoods:
        rate = "" if n.rate is None else f"{n.rate:.4f}"
        writer.writerow(["neighbourhood", n.id, n.name, n.count, rate])
    for d in out.over_time:
        writer.writerow(["day", d.day.isoformat(), "", d.count, ""])
    return csvsafe.download(buffer.getvalue(), f"results-{message_id}.csv")


@router.get("/messages/{message_id}/open-answers", response_model=Page[OpenAnswerOut])
async def open_answers(
    message_id: PathId,
    principal: MessageReader,
    session: DbSession,
    paging: Paging,
    question: Annotated[int | None, Query(ge=0, le=29)] = None,
    q: TextQuery = None,
    neighbourhood: QueryId = None,
) -> Response:
    """What residents wrote to the open questions, newest first, without who wrote it."""
    after = paging.after("open-answers", int)
    rows = await service.open_answers(
        session, principal, message_id, question=question, query=q,
        neighbourhood_id=neighbourhood, after=after[0] if after else None,
        limit=paging.limit + 1,
    )  # fmt: skip
    items, cursor = paging.page(rows, "open-answers", lambda a: [a.id])
    return page_json(OpenAnswerOut, items, cursor)


@router.get("/messages/{message_id}/open-answers.csv", response_class=Response)
async def open_answers_csv(
    message_id: PathId,
    principal: MessageReader,
    session: DbSession,
    question: Annotated[int | None, Query(ge=0, le=29)] = None,
    q: TextQuery = None,
    neighbourhood: QueryId = None,
) -> Response:
    """The open answers as CSV: question, day, neighbourhood (where 5 or more answered), text."""
    # Read now, with the request's session: the answers of one survey fit in memory.
    rows: list[OpenAnswerOut] = []
    after: int | None = None
    while True:
        batch = await service.open_answers(
            session, principal, message_id, question=question, query=q,
            neighbourhood_id=neighbourhood, after=after, limit=1000,
        )  # fmt: skip
        rows += batch
        if len(batch) < 1000:
            break
        after = batch[-1].id

    buffer = io.StringIO()
    writer = csvsafe.Writer(buffer)
    writer.writerow(["question", "day", "neighbourhood", "text"])
    for a in rows:
        writer.writerow([a.question, a.day.isoformat(), a.neighbourhood_name or "", a.text])
    return csvsafe.download(buffer.getvalue(), f"open-answers-{message_id}.csv")


@router.get("/messages/{message_id}/proposals", response_model=list[ProposalOut])
async def proposals(
    message_id: PathId,
    principal: MessageReader,
    session: DbSession,
    state: ProposalState | None = None,
) -> Response:
    """A citizen budget's proposals, newest first, with their votes (never who proposed)."""
    return list_json(ProposalOut, await service.proposals(session, principal, message_id, state))


@router.get("/proposals/{proposal_id}", response_model=ProposalOut)
async def proposal(
    proposal_id: PathId, principal: MessageReader, session: DbSession
) -> JSONResponse:
    """One proposal, with its version for a decision (ETag)."""
    return with_etag(await service.proposal(session, principal, proposal_id))


@router.post("/proposals/{proposal_id}/decision", response_model=ProposalOut)
async def decide(
    proposal_id: PathId,
    body: DecisionIn,
    principal: Decider,
    session: DbSession,
    version: RequiredIfMatch,
) -> JSONResponse:
    """Accept a proposal into the vote, or reject it with a reason its resident reads.
    If-Match: the version you saw (two colleagues deciding at once: one 200, one 412)."""
    out = await service.decide(
        session, principal, proposal_id, accept=body.decision == "accept",
        reason=body.reason, version=version,
    )  # fmt: skip
    return with_etag(out)


@router.post("/messages/{message_id}/close", response_model=MessageOut)
async def close(message_id: PathId, principal: Decider, session: DbSession) -> MessageOut:
    """Close a survey, call or budget before its time: no answer, proposal or vote after."""
    message = await service.close_early(session, principal, message_id)
    return messages_service.to_out(message)


__all__ = ["router"]
