"""`/v1/reply-templates` (admins manage, moderators use) and the templates that fit one
submission, filled in: `/v1/submissions/{id}/reply-templates`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from server.deps import DbSession, RequiredIfMatch, require
from server.pagination import list_json
from server.principal import Principal
from server.responses import with_etag
from server.schemas import PathId
from server.schemas.submissions import SubmissionStatus
from server.schemas.templates import FilledReply, TemplateChange, TemplateIn, TemplateOut
from server.services import submissions as submission_service
from server.services import templates as service

router = APIRouter(prefix="/v1", tags=["reply templates"])

Admin = Annotated[Principal, Depends(require("admin", scope="submissions:write"))]
User = Annotated[Principal, Depends(require("moderator", "admin", scope="submissions:read"))]


def out(template: service.ReplyTemplate, status_code: int = 200) -> JSONResponse:
    return with_etag(TemplateOut.model_validate(template, from_attributes=True), status_code)


@router.get("/reply-templates", response_model=list[TemplateOut])
async def list_templates(principal: User, session: DbSession) -> Response:
    """The municipality's reply templates, by title."""
    rows = await service.all_of(session, principal.organisation.municipality_id)
    return list_json(TemplateOut, rows)


@router.post("/reply-templates", status_code=201, response_model=TemplateOut)
async def create_template(body: TemplateIn, principal: Admin, session: DbSession) -> JSONResponse:
    """A new template; an unknown placeholder, category or language is refused here
    (`/problems/invalid-template`), not when the template is used."""
    return out(await service.create(session, principal, body), status_code=201)


@router.get("/reply-templates/{template_id:int}", response_model=TemplateOut)
async def get_template(template_id: PathId, principal: User, session: DbSession) -> JSONResponse:
    """One template; its version is also the ETag, for If-Match."""
    return out(await service.get(session, principal, template_id))


@router.patch("/reply-templates/{template_id:int}", response_model=TemplateOut)
async def change_template(
    template_id: PathId,
    body: TemplateChange,
    principal: Admin,
    session: DbSession,
    version: RequiredIfMatch,
) -> JSONResponse:
    """Change some fields; If-Match must carry the version you saw (412 when a colleague
    changed it since)."""
    return out(await service.update(session, principal, template_id, body, version))


@router.delete("/reply-templates/{template_id:int}", status_code=204)
async def delete_template(
    template_id: PathId, principal: Admin, session: DbSession, version: RequiredIfMatch
) -> Response:
    """Remove a template (If-Match: the version you saw)."""
    await service.delete(session, principal, template_id, version)
    return Response(status_code=204)


@router.get("/submissions/{submission_id:int}/reply-templates", response_model=list[FilledReply])
async def fitting_templates(
    submission_id: PathId,
    principal: User,
    session: DbSession,
    status: SubmissionStatus | None = None,
) -> list[FilledReply]:
    """The templates that fit this submission's category and `status` (the one it moves
    to; its own by default), filled in in the resident's language; the suggested ones
    first."""
    sub = await submission_service.get(session, principal, submission_id)
    wanted = status or sub.status
    municipality = principal.organisation.municipality
    filled = []
    for template in await service.all_of(session, municipality.id):
        if not service.fits(template, sub, wanted):
            continue
        language, text = service.fill(template, sub, municipality, principal.account.name, wanted)
        suggested = template.suggest and template.status == wanted
        filled.append(
            FilledReply(
                template_id=template.id, title=template.title, language=language, text=text,
                suggested=suggested,
            )
        )  # fmt: skip
    filled.sort(key=lambda f: not f.suggested)
    return filled
