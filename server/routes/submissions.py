"""`/v1/submissions`: the inbox of reports and ideas; `/v1/categories`, `/v1/staff`."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from server import csvsafe
from server.db import begin_write
from server.deps import INBOX_READ_ROLES, DbSession, require
from server.pagination import Paging
from server.principal import Principal
from server.problems import Problem
from server.schemas import ID_MAX, IsoTime, Page, PathId, QueryId
from server.schemas.submissions import (
    BulkIn,
    BulkOut,
    BulkResult,
    CategoryOut,
    DuplicateIn,
    StaffOut,
    SubmissionChange,
    SubmissionCounts,
    SubmissionCreate,
    SubmissionDetail,
    SubmissionKind,
    SubmissionOut,
    SubmissionStatus,
    SuggestionOut,
    TextIn,
    Workload,
)
from server.services import idempotency, templates
from server.services import submissions as service

router = APIRouter(prefix="/v1", tags=["inbox"])

Reader = Annotated[Principal, Depends(require(*INBOX_READ_ROLES, scope="submissions:read"))]
Triager = Annotated[Principal, Depends(require("moderator", "admin", scope="submissions:write"))]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
# Text in a query string: no NUL (no database stores it; the document says so, too).
NO_NUL = r"^[^\x00]*$"


async def filters(
    kind: SubmissionKind | None = None,
    status: Annotated[list[SubmissionStatus] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    neighbourhood: QueryId = None,
    assignee: Annotated[
        str | None, Query(pattern=r"^(me|none|[1-9][0-9]{0,9})$", description="id, me or none")
    ] = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    since: IsoTime | None = None,
    until: IsoTime | None = None,
    department: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    channel: Annotated[
        Literal["phone", "desk", "email", "other", "any"] | None,
        Query(description="taken by staff through this channel (any: all taken by staff)"),
    ] = None,
    message: Annotated[
        int | None,
        Query(ge=1, le=ID_MAX, description="ideas sent in answer to this call for ideas"),
    ] = None,
) -> service.Filters:
    """The inbox filters from the query string."""
    return service.Filters(
        kind=kind,
        statuses=list(status) if status else None,
        category=category,
        neighbourhood=neighbourhood,
        assignee=assignee,
        overdue=overdue,
        text=q,
        since=since,
        until=until,
        channel=channel,
        department=department,
        message=message,
    )


Filtered = Annotated[service.Filters, Depends(filters)]


def _with_etag(out: SubmissionOut) -> JSONResponse:
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": f'"{out.version}"'})


@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(principal: Reader, session: DbSession) -> list[CategoryOut]:
    """The municipality's categories of reports and ideas."""
    rows = await service.categories(session, principal.organisation.municipality_id)
    return [service.category_out(c) for c in rows]


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(principal: Triager, session: DbSession) -> list[StaffOut]:
    """Colleagues of the organisation a submission can be assigned to."""
    return [
        StaffOut(id=a.id, name=a.name, roles=sorted(a.roles))
        for a in await service.staff(session, principal)
    ]


@router.get("/submissions", response_model=Page[SubmissionOut])
async def list_submissions(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    f: Filtered,
    sort: Literal["-created", "created", "-updated", "updated", "due"] = "-created",
) -> Page[SubmissionOut]:
    """The inbox, filtered and sorted, one page at a time."""
    rows = await service.list_page(
        session,
        principal,
        f,
        sort=sort,
        after=paging.after(f"submissions{sort}", datetime, int),
        limit=paging.limit,
    )
    rows, next_cursor = paging.page(rows, f"submissions{sort}", lambda s: service.sort_key(s, sort))
    return Page[SubmissionOut](
        items=[service.to_out(s, principal) for s in rows], next_cursor=next_cursor
    )


CSV_COLUMNS = (
    "id", "kind", "category", "status", "priority", "neighbourhood", "department", "assignee",
    "created_at", "due_at", "first_response_at", "overdue", "address", "lat", "lon",
    "source", "channel", "entered_by_name", "language", "message_id",
    "description", "reporter_name", "reporter_contact",
)  # fmt: skip


@router.get("/submissions/workload", response_model=Workload)
async def workload(principal: Reader, session: DbSession) -> Workload:
    """Open and overdue items per assignee (`account_id` null: nobody) and per department,
    the ones most overdue first."""
    return Workload.model_validate(await service.workload(session, principal))


@router.get("/submissions/counts", response_model=SubmissionCounts)
async def count_submissions(principal: Reader, session: DbSession, f: Filtered) -> SubmissionCounts:
    """How many submissions match the filters: per status, open and overdue (the inbox's
    and the dashboard's figures, without paging through them)."""
    by_status, overdue = await service.counts(session, principal, f)
    total = sum(by_status.values())
    closed = sum(n for status, n in by_status.items() if status in service.CLOSED)
    return SubmissionCounts(total=total, open=total - closed, overdue=overdue, by_status=by_status)


@router.get("/submissions/export.csv", response_class=StreamingResponse)
async def export_csv(principal: Reader, session: DbSession, f: Filtered) -> StreamingResponse:
    """The filtered inbox as CSV, streamed. Personal data only for moderators and admins."""
    personal = service.may_see_personal_data(principal)
    columns = [c for c in CSV_COLUMNS if personal or not c.startswith("reporter_")]
    # Check the filters now: once the CSV has started, an error can no longer be a problem.
    service.apply_filters(service.visible(principal), principal, f)
    # Times as the city reads them: its own zone, ISO 8601 with the offset.
    zone = ZoneInfo(principal.organisation.municipality.timezone)

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csvsafe.Writer(buffer)
        writer.writerow(columns)
        async for sub in service.stream_all(session, principal, f):
            out = service.to_out(sub, principal)
            record = {
                **out.model_dump(mode="json"),
                "category": sub.category.code,
                "neighbourhood": out.neighbourhood_name or "",
                "assignee": out.assignee_name or "",
                "created_at": local(out.created_at),
                "due_at": local(out.due_at),
                "first_response_at": local(out.first_response_at),
            }
            writer.writerow([record.get(c) for c in columns])
            if buffer.tell() > 32_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        rows(),
        media_type=csvsafe.MEDIA_TYPE,
        headers=csvsafe.attachment("submissions.csv"),
    )


@router.post("/submissions", status_code=201, response_model=SubmissionOut)
async def take_for_resident(
    body: SubmissionCreate,
    request: Request,
    principal: Triager,
    session: DbSession,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """A report or idea taken for a resident who phoned, came to the desk or e-mailed:
    marked with the channel and the staff member who entered it. With an Idempotency-Key,
    sending it again creates nothing new."""
    key = idempotency.check_key(idempotency_key, required=False)
    fingerprint = idempotency.request_hash("POST", request.url.path, body.model_dump(mode="json"))
    outcome = await idempotency.run_once(
        session, principal, key, fingerprint,
        lambda: service.take_for_resident(session, principal, body),
    )  # fmt: skip
    headers = {"ETag": f'"{outcome.body["version"]}"'} if "version" in outcome.body else {}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


@router.post("/submissions/bulk", response_model=BulkOut)
async def bulk_update(body: BulkIn, principal: Triager, session: DbSession) -> BulkOut:
    """The same change for many submissions; one result per id, failures reported."""
    await begin_write(session)
    results: list[BulkResult] = []
    ids = list(dict.fromkeys(body.ids))
    # Every row locked up front, in id order, before any change is flushed: a flush takes
    # the stream's ordering lock, and waiting for a row while holding it would deadlock
    # with a single change that holds that row.
    locked = await service.lock_many(session, principal, ids)
    template = None
    if body.reply_template_id is not None:
        template = await templates.get(session, principal, body.reply_template_id)
    municipality = principal.organisation.municipality
    for submission_id in ids:
        try:
            async with session.begin_nested():
                sub = locked.get(submission_id)
                if sub is None:
                    raise Problem("not-found", "No such submission.")
                await service.apply_change(session, principal, sub, body.changes)
                if template is not None:
                    # Filled in for this one: its reference, category, language, status.
                    if template.categories and sub.category.code not in template.categories:
                        raise Problem(
                            "invalid-template",
                            f"The template '{template.title}' is not for "
                            f"{sub.category.code}; nothing was changed.",
                        )
                    _language, text = templates.fill(
                        template, sub, municipality, principal.account.name
                    )
                    service.write_text(
                        session, principal, sub, "reply", text,
                        details={"reply_template_id": template.id},
                    )  # fmt: skip
            results.append(BulkResult(id=submission_id, ok=True, version=sub.version, status=200))
        except Problem as problem:
            results.append(
                BulkResult(
                    id=submission_id,
                    ok=False,
                    status=problem.status,
                    problem={
                        "type": f"/problems/{problem.slug}",
                        "title": problem.title,
                        "detail": problem.detail,
                        **problem.extensions,
                    },
                )
            )
    await session.commit()
    ok = sum(r.ok for r in results)
    return BulkOut(results=results, succeeded=ok, failed=len(results) - ok)


@router.get("/submissions/{submission_id:int}", response_model=SubmissionDetail)
async def get_submission(
    submission_id: PathId, principal: Reader, session: DbSession
) -> JSONResponse:
    """One submission with its history, public replies and internal notes."""
    out = await service.detail(session, principal, submission_id)
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": f'"{out.version}"'})


@router.patch("/submissions/{submission_id:int}", response_model=SubmissionOut)
async def update_submission(
    submission_id: PathId,
    body: SubmissionChange,
    principal: Triager,
    session: DbSession,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change status, priority, department or assignee. If-Match must carry the version you
    saw; a newer one is a 412 problem with the current submission."""
    await begin_write(session)
    sub = await service.update(session, principal, submission_id, body, if_match)
    return _with_etag(service.to_out(sub, principal))


@router.post("/submissions/{submission_id:int}/replies", response_model=SubmissionOut)
async def reply(
    submission_id: PathId,
    body: TextIn,
    principal: Triager,
    session: DbSession,
    if_match: IfMatch = None,
) -> JSONResponse:
    """A public reply: the resident sees it (and Open311 shows it as status_notes). If-Match
    is optional here: a reply overwrites nothing."""
    await begin_write(session)
    sub = await service.add_text(session, principal, submission_id, "reply", body.text, if_match)
    return _with_etag(service.to_out(sub, principal))


@router.post("/submissions/{submission_id:int}/notes", response_model=SubmissionOut)
async def note(
    submission_id: PathId,
    body: TextIn,
    principal: Triager,
    session: DbSession,
    if_match: IfMatch = None,
) -> JSONResponse:
    """An internal note, never shown outside staff (If-Match optional, as for replies)."""
    await begin_write(session)
    sub = await service.add_text(session, principal, submission_id, "note", body.text, if_match)
    return _with_etag(service.to_out(sub, principal))


@router.post("/submissions/{submission_id:int}/duplicate", response_model=SubmissionOut)
async def duplicate(
    submission_id: PathId,
    body: DuplicateIn,
    principal: Triager,
    session: DbSession,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Close as a duplicate of another submission (If-Match required)."""
    await begin_write(session)
    sub = await service.mark_duplicate(session, principal, submission_id, body.of, if_match)
    return _with_etag(service.to_out(sub, principal))


@router.get("/submissions/{submission_id:int}/suggestions", response_model=list[SuggestionOut])
async def suggested_duplicates(
    submission_id: PathId, principal: Reader, session: DbSession
) -> list[SuggestionOut]:
    """Possible originals: same category, within 500 m, last 60 days, still open."""
    pairs = await service.suggestions(session, principal, submission_id)
    return [
        SuggestionOut(
            submission=service.to_out(s, principal),
            distance_m=round(d) if d is not None else None,
        )
        for s, d in pairs
    ]
