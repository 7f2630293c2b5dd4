"""The OpenAPI document, made to tell the truth about what the API answers.

FastAPI documents each route's success and a JSON 422. Our errors are problem+json, and a
route can answer more: this adds, by rule, the problems each kind of operation can give
(any: 400, for a query parameter it does not take, a cursor or a body; a path id: 404;
If-Match: 412 and 428; an Idempotency-Key: 409 and 428; a bearer token: 401 and 403), the
bearer scheme, and the Open311 routes' own parameters, body and error format (they parse
their requests by hand, as the standard's clients send them). `tests/test_fuzz.py` checks
the result with schemathesis.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from server.schemas.vocabulary import NAMED, PROBLEM_TYPES, type_uri

PROBLEM = "application/problem+json"
PUBLIC = frozenset({"/healthz", "/readyz", "/v1/auth/token", "/v1/auth/refresh", "/v1/auth/logout"})
WRITES = frozenset({"post", "put", "patch", "delete"})

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `type` is stable, clients switch on it.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"$ref": "#/components/schemas/ProblemType"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}

PROBLEM_TYPE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "Every problem type the API answers (`server/schemas/vocabulary.py`).",
    "enum": [type_uri(slug) for slug in PROBLEM_TYPES],
}


def vocabulary() -> dict[str, Any]:
    """The API's words as enum schemas, by name: the problem types and each of
    `server.schemas.vocabulary.NAMED` (bodies refer to most of them already; the rest,
    such as the placeholders of a reply template, are named here all the same)."""
    named = {
        alias.__name__: {"type": "string", "enum": list(get_args(alias.__value__))}
        for alias in NAMED
    }
    return {**named, "ProblemType": PROBLEM_TYPE_SCHEMA}


OPEN311_ERRORS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}

REASONS = {
    "400": "A malformed request (a query parameter the route does not take, a cursor this "
    "list did not give out, a body that is not JSON)",
    "401": "No token, or a token that is invalid, expired or revoked",
    "403": "A role or an API token's scope is missing",
    "404": "No such object in your organisation",
    "409": "Not possible in the object's current state",
    "412": "The object changed since the version in If-Match",
    "413": "The request body is too large",
    "415": "The body's media type is not accepted",
    "422": "The request is not valid; `errors` names the fields",
    "428": "A required If-Match or Idempotency-Key header is missing",
    "429": "Too many attempts; see Retry-After",
    "503": "The database is unavailable or was busy; nothing was saved; see Retry-After",
}


def _problems(*statuses: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {s: {"description": REASONS[s], "content": {PROBLEM: {"schema": ref}}} for s in statuses}


def _names_an_object(op: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether the body names an object by id (`reply_template_id`, `neighbourhood_id`):
    one that is not there, or not the caller's, is a 404 like a path id."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
    return any(name.endswith("_id") and name != "assignee_account_id" for name in properties)


def _statuses(
    path: str, method: str, op: dict[str, Any], schemas: dict[str, Any] | None = None
) -> list[str]:
    params = {p["name"]: p for p in op.get("parameters", [])}
    found = ["422", "503"]
    if path not in PUBLIC:
        found += ["401", "403"]
    else:
        found += ["401", "429"] if path != "/v1/auth/logout" else ["401"]
    # An id in the path or a neighbourhood filter names an object that may not exist.
    if any(p["in"] == "path" for p in params.values()) or "neighbourhood" in params:
        found.append("404")
    if _names_an_object(op, schemas or {}):
        found.append("404")
    # Every /v1 route refuses a query parameter it does not take (unknown-parameter).
    found.append("400")
    if "requestBody" in op:
        found += ["413", "415"]
    if "If-Match" in params:
        found += ["412", "428"]
    if "Idempotency-Key" in params:
        found += ["428"]
    if method in WRITES and path not in PUBLIC:
        found.append("409")
    return sorted(set(found))


def _required_headers(path: str, method: str, op: dict[str, Any]) -> None:
    """Headers the route insists on, although it parses them itself (so that their absence
    is a 428 problem that says what to send, not a generic 422)."""
    for param in op.get("parameters", []):
        name = param["name"]
        if name == "If-Match":
            # Replies and notes overwrite nothing: If-Match is optional there.
            param["required"] = not path.endswith(("/replies", "/notes"))
            param["schema"] = {"type": "string", "pattern": r'^(W/)?"?[0-9]{1,10}"?$'}
            param["description"] = 'The version you saw, e.g. "3" (the ETag of the GET)'
        elif name == "Idempotency-Key":
            param["required"] = path.endswith("/publish")
            param["schema"] = {"type": "string", "pattern": "^[!-~]{1,200}$"}


def _open311(path: str, method: str, op: dict[str, Any]) -> None:
    """Open311 operations: their query parameters, form body and error format."""
    xml = {"schema": {"type": "string"}}
    ok = op["responses"].get("200", {"description": "OK"})
    ok["content"] = {"application/json": {"schema": {}}, "text/xml": xml}
    errors = {"application/json": {"schema": OPEN311_ERRORS}, "text/xml": xml}
    op["responses"] = {
        "200": ok,
        **{s: {"description": REASONS[s], "content": errors} for s in ("400", "403", "404")},
        "422": {"description": REASONS["422"], "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}},
        "503": {"description": REASONS["503"], "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}},
    }
    text: dict[str, Any] = {"type": "string", "maxLength": 200}
    slug = {"type": "string", "pattern": "^[a-z0-9-]{1,64}$", "examples": ["mechelen"]}
    query = [("jurisdiction_id", True, slug)]
    if path.endswith("/requests.{fmt}") and method == "get":
        query += [
            ("service_request_id", False, {**text, "description": "ids, comma separated"}),
            ("service_code", False, {**text, "description": "codes, comma separated"}),
            ("start_date", False, {"type": "string", "format": "date-time"}),
            ("end_date", False, {"type": "string", "format": "date-time"}),
            ("status", False, {"type": "string", "enum": ["open", "closed"]}),
        ]
    if method == "post":
        query = []
        fields = {
            "api_key": text,
            "jurisdiction_id": slug,
            "service_code": text,
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
            "address_string": text,
            "description": {"type": "string", "maxLength": 4000},
            "email": text,
            "phone": text,
            "first_name": text,
            "last_name": text,
            "media_url": text,
        }
        form = {
            "type": "object",
            "required": ["api_key", "jurisdiction_id", "service_code", "description"],
            "properties": fields,
        }
        op["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        }
    op.setdefault("parameters", []).extend(
        {"name": name, "in": "query", "required": required, "schema": schema}
        for name, required, schema in query
    )


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with problems, security and Open311 filled in (cached)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for name, enum in vocabulary().items():
        components["schemas"].setdefault(name, enum)
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token from /v1/auth/token, or an API token (bpt_...)",
        }
    }
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if path.startswith("/open311/"):
                _open311(path, method, op)
                continue
            if path in ("/healthz", "/readyz"):
                if path == "/readyz":
                    op["responses"]["503"] = {
                        "description": "The database is unreachable or takes no writes (read-only, "
                        "its disk nearly full); see Retry-After",
                        "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
                    }
                continue
            op["responses"].pop("422", None)
            op["responses"].update(_problems(*_statuses(path, method, op, components["schemas"])))
            _required_headers(path, method, op)
            if path not in PUBLIC:
                op["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema
