"""Open311 GeoReport v2 at `/open311/v2/`: existing civic apps report into the inbox unchanged.

Field names, status values (`open`/`closed`), `status_notes` (the latest public reply) and
the error format (`[{"code": 403, "description": "..."}]` or `<errors>`) are those of the
GeoReport v2 specification; `jurisdiction_id` is the municipality's slug, `api_key` an API
token with the `open311:submit` scope.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.deps import DbSession, client_address
from server.models import (
    Category,
    CityMessage,
    Municipality,
    Organisation,
    Submission,
    SubmissionEntry,
)
from server.problems import (
    DomainError,
    http_headers,
    on_http_exception,
    on_validation,
    validation_errors,
)
from server.schemas import ID_MAX, bounded_moment, clean_text, storable_text
from server.services import auth as auth_service
from server.services import participation
from server.services import submissions as service

router = APIRouter(prefix="/open311/v2", tags=["open311"])

Format = Literal["json", "xml"]
OPEN = ("new", "acknowledged", "in_progress")
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


class Open311Error(Exception):
    """An error in the GeoReport v2 format."""

    def __init__(self, code: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.fmt = fmt


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> Response:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        for key, value in row.items():
            child = ET.SubElement(node, key)
            if isinstance(value, bool):
                child.text = "true" if value else "false"
            elif value is not None:
                child.text = str(value)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return Response(body, media_type="text/xml; charset=utf-8")


def _answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> Response:
    if fmt == "xml":
        response = _xml(root, item, rows)
        response.status_code = status
        return response
    return JSONResponse(rows, status_code=status)


async def _on_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Open311Error)
    rows = [{"code": exc.code, "description": exc.description}]
    return _answer(exc.fmt, "errors", "error", rows, status=exc.code)


def _fmt_of(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


async def _on_http_error(request: Request, exc: Exception) -> Response:
    # An unknown Open311 path or method answers in the format asked for, like any other
    # Open311 error; elsewhere it stays a problem.
    if not request.url.path.startswith(router.prefix + "/"):
        return await on_http_exception(request, exc)
    assert isinstance(exc, StarletteHTTPException)
    description = "Not found." if exc.status_code == 404 else str(exc.detail)
    error = Open311Error(exc.status_code, description, _fmt_of(request.url.path))
    response = await _on_error(request, error)
    response.headers.update(http_headers(request, exc))
    return response


async def _on_invalid(request: Request, exc: Exception) -> Response:
    if not request.url.path.startswith(router.prefix + "/"):
        return await on_validation(request, exc)
    assert isinstance(exc, RequestValidationError)
    first = next(iter(validation_errors(exc)), {"loc": [], "msg": "invalid"})
    field = ".".join(p for p in first["loc"] if p not in ("body", "query", "path"))
    error = Open311Error(400, f"{field}: {first['msg']}", _fmt_of(request.url.path))
    return await _on_error(request, error)


def install(app: FastAPI) -> None:
    """Answer Open311 errors in the specification's own format: ours, and the framework's
    (an unknown path, a wrong method, a parameter that does not parse)."""
    app.add_exception_handler(Open311Error, _on_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid)


def _text(params: Any, name: str, fmt: str) -> str | None:
    """A text parameter, cleaned as every text from outside is (`clean_text`); NUL or a
    lone surrogate is refused, naming the parameter."""
    value = params.get(name)
    if value is None:
        return None
    try:
        return clean_text(storable_text(str(value)))
    except ValueError as error:
        raise Open311Error(400, f"{name} {error}.", fmt) from None


async def _jurisdiction(session: AsyncSession, params: Any, fmt: str) -> Municipality:
    slug = _text(params, "jurisdiction_id", fmt)
    if not slug:
        raise Open311Error(400, "jurisdiction_id is required.", fmt)
    municipality = await session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        raise Open311Error(404, f"jurisdiction_id {slug} not found.", fmt)
    return municipality


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _name(category: Category, municipality: Municipality) -> str:
    for lang in municipality.languages:
        if category.name.get(lang):
            return str(category.name[lang])
    return next(iter(category.name.values()), category.code)


@router.get("/services.{fmt}")
async def services(fmt: Format, request: Request, session: DbSession) -> Response:
    """The service list: our categories."""
    municipality = await _jurisdiction(session, request.query_params, fmt)
    rows = [
        {
            "service_code": c.code,
            "service_name": _name(c, municipality),
            "description": _name(c, municipality),
            "metadata": False,
            "type": "realtime",
            "keywords": c.kind,
            "group": c.group,
        }
        for c in await service.categories(session, municipality.id)
    ]
    return _answer(fmt, "services", "service", rows)


@router.get("/services/{service_code}.{fmt}")
async def service_definition(
    service_code: str, fmt: Format, request: Request, session: DbSession
) -> Response:
    """A service definition. Our services take no extra attributes (metadata is false)."""
    municipality = await _jurisdiction(session, request.query_params, fmt)
    code = _text({"service_code": service_code}, "service_code", fmt)
    category = await session.scalar(
        select(Category).where(Category.municipality_id == municipality.id, Category.code == code)
    )
    if category is None:
        raise Open311Error(404, f"service_code {service_code} not found.", fmt)
    if fmt == "xml":
        top = ET.Element("service_definition")
        ET.SubElement(top, "service_code").text = category.code
        ET.SubElement(top, "attributes")
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return Response(body, media_type="text/xml; charset=utf-8")
    return JSONResponse({"service_code": category.code, "attributes": []})


async def _status_notes(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(SubmissionEntry.submission_id, SubmissionEntry.text)
            .where(SubmissionEntry.submission_id.in_(ids), SubmissionEntry.kind == "reply")
            .order_by(SubmissionEntry.id)
        )
    ).all()
    return {sid: text or "" for sid, text in rows}  # the latest reply wins


def _request_row(
    sub: Submission, municipality: Municipality, notes: dict[int, str]
) -> dict[str, Any]:
    return {
        "service_request_id": sub.id,
        "status": "open" if sub.status in OPEN else "closed",
        "status_notes": notes.get(sub.id),
        "service_name": _name(sub.category, municipality),
        "service_code": sub.category.code,
        "description": sub.description,
        "agency_responsible": sub.department,
        "service_notice": None,
        "requested_datetime": _iso(sub.created_at),
        "updated_datetime": _iso(sub.updated_at),
        "expected_datetime": _iso(sub.due_at) if sub.status in OPEN else None,
        "address": sub.address,
        "address_id": None,
        "zipcode": None,
        "lat": sub.lat,
        "long": sub.lon,
        "media_url": sub.media_url,
    }


def _date(value: str | None, name: str, fmt: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a w3 date-time.", fmt) from None
    try:
        # Far dates would overflow the 90-day window's arithmetic; no request is that old.
        return bounded_moment(parsed)
    except ValueError:
        raise Open311Error(400, f"{name} must lie between 1970 and 9000.", fmt) from None


@router.get("/requests.{fmt}")
async def list_requests(fmt: Format, request: Request, session: DbSession) -> Response:
    """Service requests with the standard filters (default: the last 90 days, 1,000 at most)."""
    params = request.query_params
    municipality = await _jurisdiction(session, params, fmt)
    stmt = (
        select(Submission)
        .where(Submission.municipality_id == municipality.id)
        .options(*service._options())
    )
    ids_param = params.get("service_request_id")
    if ids_param:
        try:
            ids = [int(part) for part in ids_param.split(",") if part.strip()]
        except ValueError:
            raise Open311Error(400, "service_request_id must be numbers.", fmt) from None
        ids = [i for i in ids if 1 <= i <= ID_MAX]  # no other id exists
        stmt = stmt.where(Submission.id.in_(ids))
    else:
        codes = [c for c in (_text(params, "service_code", fmt) or "").split(",") if c]
        if codes:
            stmt = stmt.where(
                Submission.category_id.in_(
                    select(Category.id).where(
                        Category.municipality_id == municipality.id, Category.code.in_(codes)
                    )
                )
            )
        end = _date(params.get("end_date"), "end_date", fmt) or datetime.now(UTC)
        start = _date(params.get("start_date"), "start_date", fmt) or end - DEFAULT_WINDOW
        if end - start > DEFAULT_WINDOW + timedelta(seconds=1):
            raise Open311Error(400, "start_date to end_date may not span more than 90 days.", fmt)
        stmt = stmt.where(Submission.created_at >= start, Submission.created_at <= end)
        status = _text(params, "status", fmt)
        if status == "open":
            stmt = stmt.where(Submission.status.in_(OPEN))
        elif status == "closed":
            stmt = stmt.where(Submission.status.not_in(OPEN))
        elif status:
            raise Open311Error(400, "status must be open or closed.", fmt)
    rows = (await session.scalars(stmt.order_by(Submission.id.desc()).limit(MAX_RESULTS))).all()
    notes = await _status_notes(session, [s.id for s in rows])
    return _answer(
        fmt, "service_requests", "request", [_request_row(s, municipality, notes) for s in rows]
    )


@router.get("/requests/{request_id}.{fmt}")
async def get_request(
    request_id: str, fmt: Format, request: Request, session: DbSession
) -> Response:
    """One service request, as a list with one element (as the specification has it)."""
    if not request_id.isascii() or not request_id.isdigit() or not 1 <= int(request_id) <= ID_MAX:
        raise Open311Error(404, f"service_request_id {request_id[:20]} not found.", fmt)
    municipality = await _jurisdiction(session, request.query_params, fmt)
    sub = await session.scalar(
        select(Submission)
        .where(Submission.id == int(request_id), Submission.municipality_id == municipality.id)
        .options(*service._options())
    )
    if sub is None:
        raise Open311Error(404, f"service_request_id {request_id} not found.", fmt)
    notes = await _status_notes(session, [sub.id])
    return _answer(fmt, "service_requests", "request", [_request_row(sub, municipality, notes)])


def _float(value: str | None, name: str, fmt: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number.", fmt) from None


async def _call(
    session: DbSession, municipality_id: int, value: Any, category: Category, fmt: Format
) -> int | None:
    """The id of an open call for ideas of this city that an idea answers, or None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= ID_MAX):
        raise Open311Error(400, "attribute[call] must be the id of a call for ideas.", fmt)
    city_orgs = select(Organisation.id).where(Organisation.municipality_id == municipality_id)
    call = await session.scalar(
        select(CityMessage).where(
            CityMessage.id == int(text), CityMessage.organisation_id.in_(city_orgs),
            CityMessage.kind == "call_for_ideas",
        )
    )  # fmt: skip
    if call is None or not participation.is_open(call):
        raise Open311Error(400, f"attribute[call] {text} is not an open call for ideas.", fmt)
    if category.kind != "idea":
        raise Open311Error(400, "Only an idea answers a call for ideas.", fmt)
    return call.id


async def _request_params(request: Request, fmt: str) -> dict[str, str | None]:
    """The request's parameters (the body's, JSON or a form, over the query's), each checked
    and cleaned once: what follows reads clean text only."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            raise Open311Error(400, "The body is not valid JSON.", fmt) from None
        params: dict[str, Any] = (
            {str(k): v for k, v in dict(data).items()} if isinstance(data, dict) else {}
        )
    else:
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
    params = {**dict(request.query_params), **params}
    return {key: _text(params, key, fmt) for key in params}


def _required(params: dict[str, str | None], name: str, status: int, fmt: str) -> str:
    """Parameter `name`, or an error of `status` saying it is required."""
    value = params.get(name)
    if not value:
        raise Open311Error(status, f"{name} is required.", fmt)
    return value


async def _submitters_municipality(
    session: AsyncSession, request: Request, params: dict[str, str | None], fmt: str
) -> Municipality:
    """The jurisdiction asked, once the `api_key` may submit requests there (403 otherwise)."""
    api_key = _required(params, "api_key", 403, fmt)
    try:
        principal = await auth_service.resolve_bearer(
            session, api_key, client_address=await client_address(request)
        )
    except DomainError:
        raise Open311Error(403, "Invalid api_key.", fmt) from None
    if principal.scopes is None or "open311:submit" not in principal.scopes:
        raise Open311Error(403, "This api_key may not submit requests.", fmt)
    municipality = await _jurisdiction(session, params, fmt)
    if principal.organisation.municipality_id != municipality.id:
        raise Open311Error(403, "This api_key is not valid for this jurisdiction_id.", fmt)
    return municipality


async def _service(
    session: AsyncSession, municipality: Municipality, params: dict[str, str | None], fmt: str
) -> Category:
    """The category of `service_code` (400 without one, 404 for an unknown one)."""
    code = _required(params, "service_code", 400, fmt)
    category = await session.scalar(
        select(Category).where(Category.municipality_id == municipality.id, Category.code == code)
    )
    if category is None:
        raise Open311Error(404, f"service_code {code} not found.", fmt)
    return category


def _location(
    params: dict[str, str | None], fmt: str
) -> tuple[float | None, float | None, str | None]:
    """Latitude, longitude and address: a point, an address or both, within range."""
    lat = _float(params.get("lat"), "lat", fmt)
    lon = _float(params.get("long"), "long", fmt)
    address = (params.get("address_string") or "").strip() or None
    if (lat is None or lon is None) and not address:
        raise Open311Error(400, "A location is required: lat and long, or address_string.", fmt)
    if address and len(address) > 300:
        raise Open311Error(400, "address_string is longer than 300 characters.", fmt)
    if (lat is not None and not -90 <= lat <= 90) or (lon is not None and not -180 <= lon <= 180):
        raise Open311Error(400, "lat or long is out of range.", fmt)
    return lat, lon, address


def _resident(
    params: dict[str, str | None], request: Request, municipality: Municipality, fmt: str
) -> dict[str, Any]:
    """What the resident said and who they are: description, media, name, contact, language."""
    description = str(params.get("description") or "").strip()
    if not description:
        raise Open311Error(400, "description is required.", fmt)
    if len(description) > 4000:
        raise Open311Error(400, "description is longer than 4,000 characters.", fmt)
    name = (
        " ".join(str(params.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        or None
    )
    contact = str(params.get("email") or params.get("phone") or "").strip() or None
    # The resident's language, so that replies can be in it: `locale` (nl, nl_BE, fr-BE), or
    # the app's Accept-Language; one the city does not speak is not recorded.
    language = service.spoken_language(
        str(params.get("locale") or request.headers.get("accept-language") or ""),
        municipality.languages,
    )
    return {
        "description": description,
        "media_url": str(params.get("media_url") or "").strip()[:1000] or None,
        "reporter_name": name[:200] if name else None,
        "reporter_contact": contact[:320] if contact else None,
        "language": language,
    }


@router.post("/requests.{fmt}")
async def create_request(fmt: Format, request: Request, session: DbSession) -> Response:
    """Create a service request: a new report or idea in the inbox."""
    params = await _request_params(request, fmt)
    municipality = await _submitters_municipality(session, request, params, fmt)
    category = await _service(session, municipality, params, fmt)
    lat, lon, address = _location(params, fmt)
    resident = _resident(params, request, municipality, fmt)
    # An idea in answer to a city's call for ideas: `attribute[call]` is the call's id.
    call = await _call(session, municipality.id, params.get("attribute[call]"), category, fmt)
    sub = await service.receive(
        session, municipality, category, message_id=call, lat=lat, lon=lon, address=address,
        source="open311", **resident,
    )  # fmt: skip
    rows = [{"service_request_id": sub.id, "service_notice": None, "account_id": None}]
    return _answer(fmt, "service_requests", "request", rows)
