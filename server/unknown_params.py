"""Unknown query parameters are refused on every `/v1` route, naming them.

A misspelt filter must not be ignored: `GET /v1/stats/timeseries?neighbourhoods=3` (the
parameter is `neighbourhood`) would answer the whole city's figures, which a script then
publishes as one neighbourhood's. So a `/v1` request whose query string names a parameter
its route does not declare is a 400 `unknown-parameter` problem: the names in `parameters`,
the close name meant in `suggestions`, the route's own names in `accepted`.

What a route declares is FastAPI's own knowledge: the query parameters of the route's
dependant and of all its sub-dependencies (pagination, inbox filters), by the names a
request sends (their aliases). The check is a dependency of the app, the first of every
route: it answers before authentication, the database or the handler. Open311 routes
(`/open311/...`) and the health checks are left out: the standard's clients send
parameters of their own (`jurisdiction_id`, `api_key`), and those routes read their query
by hand.
"""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import AliasChoices, BaseModel

from server.problems import Problem

PREFIX = "/v1/"
# What a problem echoes of the names sent: enough to recognise them, never the whole URL.
MAX_NAMES = 10
MAX_NAME_LENGTH = 64
ANY_NAME = "*"
_KEPT = "_buurt_query_names"


def _aliases(alias: Any) -> set[str]:
    if isinstance(alias, str):
        return {alias}
    if isinstance(alias, AliasChoices):
        return {choice for choice in alias.choices if isinstance(choice, str)}
    return set()


def _names_of(field: Any) -> set[str]:
    """The names under which a request may send this parameter: its alias (its name when
    it has none) and validation aliases; the fields of a Pydantic model of query
    parameters (`ANY_NAME` when the model allows extra names)."""
    info = field.field_info
    annotation = getattr(info, "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.model_config.get("extra") == "allow":
            return {ANY_NAME}
        names: set[str] = set()
        for name, sub in annotation.model_fields.items():
            names |= {sub.alias or name, *_aliases(sub.validation_alias)}
        return names
    return {field.alias, *_aliases(getattr(info, "validation_alias", None))}


def declared_query(dependant: Dependant) -> frozenset[str] | None:
    """Every query parameter name the dependant and its sub-dependencies declare; None when
    one of them takes any name."""
    names: set[str] = set()
    seen: set[int] = set()
    todo = [dependant]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for field in current.query_params:
            names |= _names_of(field)
        todo.extend(current.dependencies)
    return None if ANY_NAME in names else frozenset(names)


def checked_names(route: Any) -> frozenset[str] | None:
    """The names a route takes, worked out once and kept on the route; None for a route
    that is not checked (outside `/v1`, or taking any name)."""
    if _KEPT not in route.__dict__:
        dependant = getattr(route, "dependant", None)
        checked = str(getattr(route, "path", "")).startswith(PREFIX)
        setattr(route, _KEPT, declared_query(dependant) if checked and dependant else None)
    kept: frozenset[str] | None = route.__dict__[_KEPT]
    return kept


def _quoted(name: str) -> str:
    return f"'{name}'"


def _closest(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1) or difflib.get_close_matches(
        name.lower(), choices, n=1
    )
    return close[0] if close else None


def unknown_parameter(unknown: list[str], known: frozenset[str]) -> Problem:
    """The problem naming the unknown parameters (in the order sent), suggesting close
    names: "Unknown query parameter 'neighbourhoods'; did you mean 'neighbourhood'?"."""
    choices = sorted(known)
    # A name longer than any route's is cut: what is echoed stays short.
    shown = [name[:MAX_NAME_LENGTH] for name in unknown[:MAX_NAMES]]
    suggested = {name: close for name in shown if (close := _closest(name, choices))}
    if len(shown) == 1:
        detail = f"Unknown query parameter {_quoted(shown[0])}"
        if suggested:
            detail += f"; did you mean {_quoted(suggested[shown[0]])}?"
    else:
        parts = [
            _quoted(n) + (f" (did you mean {_quoted(suggested[n])}?)" if n in suggested else "")
            for n in shown
        ]
        detail = f"Unknown query parameters {', '.join(parts)}"
        if len(unknown) > len(shown):
            detail += f" and {len(unknown) - len(shown)} more"
        if suggested:
            detail += "."
    if not suggested:
        takes = ", ".join(map(_quoted, choices)) if choices else "no query parameters"
        detail += f"; this route takes {takes}."
    return Problem(
        "unknown-parameter", detail, parameters=shown, suggestions=suggested, accepted=choices
    )


async def refuse_unknown_query(request: Request) -> None:
    """A dependency of the app: a `/v1` request with a query parameter its route does not
    declare is a 400 `unknown-parameter` problem."""
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    known = None if route is None else checked_names(route)
    if known is None:
        return
    unknown = list(dict.fromkeys(name for name in request.query_params if name not in known))
    if unknown:
        raise unknown_parameter(unknown, known)
