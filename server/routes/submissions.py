"""`/v1/submissions`: the inbox of reports and ideas; `/v1/categories`, `/v1/staff`."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from server import csvsafe
from server.deps import (
    INBOX_READ_ROLES,
    DbSession,
    IdempotencyKey,
    IfMatch,
    RequiredIfMatch,
    require,
)
from server.models import utcnow
from server.pagination import Paging, json_answer, list_json, page_json
from server.principal import Principal
from server.problems import DomainError, problem_body
from server.responses import once, with_etag
from server.schemas import ID_MAX, IsoTime, Page, PathId, QueryId
from server.schemas.submissions import (
    BulkIn,
    BulkOut,
    BulkResult,
    CategoryOut,
    Channel,
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
from server.services import bulk
from server.services import submissions as service

router = APIRouter(prefix="/v1", tags=["inbox"])

Reader = Annotated[Principal, Depends(require(*INBOX_READ_ROLES, scope="submissions:read"))]
Triager = Annotated[Principal, Depends(require("moderator", "admin", scope="submissions:write"))]
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
        Channel | Literal["any"] | None,
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


@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(principal: Reader, session: DbSession) -> Response:
    """The municipality's categories of reports and ideas."""
    rows = await service.categories(session, principal.organisation.municipality_id)
    return list_json(CategoryOut, rows)


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(principal: Triager, session: DbSession) -> Response:
    """Colleagues of the organisation a submission can be assigned to."""
    rows = await service.staff(session, principal)
    return list_json(
        StaffOut, [{"id": a.id, "name": a.name, "roles": sorted(a.roles)} for a in rows]
    )


@router.get("/submissions", response_model=Page[SubmissionOut])
async def list_submissions(
    principal: Reader,
    session: DbSession,
    paging: Paging,
    f: Filtered,
    sort: Literal["-created", "created", "-updated", "updated", "due"] = "-created",
) -> Response:
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
    personal, now = service.may_see_personal_data(principal), utcnow()
    return page_json(
        SubmissionOut, [service.row_out(row, personal, now) for row in rows], next_cursor
    )


CSV_COLUMNS = (
    "id", "kind", "category", "status", "priority", "neighbourhood", "department", "assignee",
    "created_at", "due_at", "first_response_at", "overdue", "address", "lat", "lon",
    "source", "channel", "entered_by_name", "language", "message_id",
    "description", "reporter_name", "reporter_contact",
)  # fmt: skip


@router.get("/submissions/workload", response_model=Workload)
async def workload(principal: Reader, session: DbSession) -> Response:
    """Open and overdue items per assignee (`account_id` null: nobody) and per department,
    the ones most overdue first."""
    return json_answer(Workload, await service.workload(session, principal))


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
        now = utcnow()
        async for row in service.stream_all(session, principal, f):
            out = SubmissionOut.model_validate(service.row_out(row, personal, now))
            record = {
                **out.model_dump(mode="json"),
                "category": out.category.code,
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
    key: IdempotencyKey,
) -> JSONResponse:
    """A report or idea taken for a resident who phoned, came to the desk or e-mailed:
    marked with the channel and the staff member who entered it. With an Idempotency-Key,
    sending it again creates nothing new."""
    return await once(
        request, session, principal, key, body,
        lambda: service.take_for_resident(session, principal, body),
    )  # fmt: skip


@router.post("/submissions/bulk", response_model=BulkOut)
async def bulk_update(body: BulkIn, principal: Triager, session: DbSession) -> BulkOut:
    """The same change for many submissions; one result per id, failures reported."""
    done = await bulk.change_many(
        session, principal, body.ids, body.changes, body.reply_template_id
    )
    results = [
        BulkResult(id=i, ok=False, status=r.status, problem=problem_body(r))
        if isinstance(r, DomainError)
        else BulkResult(id=i, ok=True, version=r.version, status=200)
        for i, r in done
    ]
    ok = sum(r.ok for r in results)
    return BulkOut(results=results, succeeded=ok, failed=len(results) - ok)


@router.get("/submissions/{submission_id:int}", response_model=SubmissionDetail)
async def get_submission(
    submission_id: PathId, principal: Reader, session: DbSession
) -> JSONResponse:
    """One submission with its history, public replies and internal notes."""
    return with_etag(await service.detail(session, principal, submission_id))


@router.patch("/submissions/{submission_id:int}", response_model=SubmissionOut)
async def update_submission(
    submission_id: PathId,
    body: SubmissionChange,
    principal: Triager,
    session: DbSession,
    version: RequiredIfMatch,
) -> JSONResponse:
    """Change status, priority, department or assignee. If-Match must carry the version you
    saw; a newer one is a 412 problem with the current submission."""
    sub = await service.update(session, principal, submission_id, body, version)
    return with_etag(service.to_out(sub, principal))


@router.post("/submissions/{submission_id:int}/replies", response_model=SubmissionOut)
async def reply(
    submission_id: PathId, body: TextIn, principal: Triager, session: DbSession, version: IfMatch
) -> JSONResponse:
    """A public reply: the resident sees it (and Open311 shows it as status_notes). If-Match
    is optional here: a reply overwrites nothing."""
    sub = await service.add_text(session, principal, submission_id, "reply", body.text, version)
    return with_etag(service.to_out(sub, principal))


@router.post("/submissions/{submission_id:int}/notes", response_model=SubmissionOut)
async def note(
    submission_id: PathId, body: TextIn, principal: Triager, session: DbSession, version: IfMatch
) -> JSONResponse:
    """An internal note, never shown outside staff (If-Match optional, as for replies)."""
    sub = await service.add_text(session, principal, submission_id, "note", body.text, version)
    return with_etag(service.to_out(sub, principal))


@router.post("/submissions/{submission_id:int}/duplicate", response_model=SubmissionOut)
async def duplicate(
    submission_id: PathId,
    body: DuplicateIn,
    principal: Triager,
    session: DbSession,
    version: RequiredIfMatch,
) -> JSONResponse:
    """Close as a duplicate of another submission (If-Match required)."""
    sub = await service.mark_duplicate(session, principal, submission_id, body.of, version)
    return with_etag(service.to_out(sub, principal))


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
