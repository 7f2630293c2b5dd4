"""Unknown query parameters are refused on every /v1 route (400 `unknown-parameter` naming
them, with the name meant when one is close); known ones, aliases, repeated lists and
pagination still work; Open311 and the health checks take what their clients send."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import fastapi.routing
import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from server.unknown_params import checked_names, declared_query
from tests.conftest import assert_problem, auth_headers

ADMIN = "admin@mechelen.demo"


def route_contexts(app: FastAPI) -> list[Any]:
    """Every FastAPI route of the app as it answers (newer FastAPI keeps included routers
    as such: their routes, with the inclusion's dependencies, come from
    `iter_route_contexts`)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:  # FastAPI before included routers stayed routers
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [c for c in contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def v1_get_paths(app: FastAPI) -> list[str]:
    return sorted(
        {
            c.path
            for c in route_contexts(app)
            if c.path.startswith("/v1/") and "GET" in (c.methods or ())
        }
    )


def concrete(path: str) -> str:
    # An id no object has: the check comes before the handler (and the sign-in).
    return re.sub(r"\{[^}]+\}", "2147483000", path)


async def get(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    # A refused /v1/stream answers at once; one that is not refused would stream forever.
    async with asyncio.timeout(20):
        return await client.get(url, **kwargs)


async def test_every_v1_get_route_refuses_an_unknown_parameter(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await auth_headers(client, ADMIN)
    paths = v1_get_paths(app)
    assert len(paths) >= 29, paths
    for path in paths:
        response = await get(client, concrete(path), headers=headers, params={"no_such_param": 1})
        body = assert_problem(response, 400, "unknown-parameter")
        assert "'no_such_param'" in body["detail"], (path, body)
        assert body["parameters"] == ["no_such_param"], (path, body)
        assert body["instance"] == concrete(path)
    # Without a token too: nothing is looked up for a request refused by its shape.
    unsigned = await client.get("/v1/me", params={"no_such_param": 1})
    assert_problem(unsigned, 400, "unknown-parameter")


async def test_the_misspelt_neighbourhood_is_refused_with_the_name_meant(
    client: httpx.AsyncClient,
) -> None:
    headers = await auth_headers(client, ADMIN)
    response = await client.get(
        "/v1/stats/timeseries", headers=headers, params={"neighbourhoods": 3}
    )
    body = assert_problem(response, 400, "unknown-parameter")
    assert (
        body["detail"] == "Unknown query parameter 'neighbourhoods'; did you mean 'neighbourhood'?"
    )
    assert body["parameters"] == ["neighbourhoods"]
    assert body["suggestions"] == {"neighbourhoods": "neighbourhood"}
    assert "neighbourhood" in body["accepted"] and "neighbourhoods" not in body["accepted"]
    # Each unknown name once, in the order sent, the close ones with their suggestion; a
    # known name beside them does not make the request pass.
    several = await client.get(
        "/v1/submissions?stauts=new&limit=2&zzz=1&stauts=acknowledged&Limit=3", headers=headers
    )
    body = assert_problem(several, 400, "unknown-parameter")
    assert body["parameters"] == ["stauts", "zzz", "Limit"]
    assert body["detail"] == (
        "Unknown query parameters 'stauts' (did you mean 'status'?), 'zzz', "
        "'Limit' (did you mean 'limit'?)."
    )
    # Nothing close: the route's names are listed; a route without any says so.
    far = await client.get("/v1/stats/neighbourhoods", headers=headers, params={"xyz": 1})
    assert assert_problem(far, 400, "unknown-parameter")["detail"] == (
        "Unknown query parameter 'xyz'; this route takes 'period', 'sort'."
    )
    none = await client.get("/v1/me", headers=headers, params={"xyz": 1})
    assert assert_problem(none, 400, "unknown-parameter")["detail"] == (
        "Unknown query parameter 'xyz'; this route takes no query parameters."
    )
    # What is echoed is bounded.
    long = await client.get("/v1/me", headers=headers, params={"x" * 500: 1})
    body = assert_problem(long, 400, "unknown-parameter")
    assert len(body["detail"]) < 200 and body["parameters"] == ["x" * 64]


async def test_a_write_with_an_unknown_parameter_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    """`?dry_run=true` silently ignored would publish for real."""
    headers = await auth_headers(client, ADMIN)
    before = (await client.get("/v1/messages", headers=headers, params={"limit": 200})).json()
    message = {
        "kind": "announcement",
        "title": {"nl": "Proef"},
        "body": {"nl": "Alleen een proef"},
        "targets": "all",
        "action": "publish",
    }
    response = await client.post(
        "/v1/messages",
        headers={**headers, "Idempotency-Key": "dry-run-1"},
        params={"dry_run": "true"},
        json=message,
    )
    assert_problem(response, 400, "unknown-parameter")
    after = (await client.get("/v1/messages", headers=headers, params={"limit": 200})).json()
    assert after["items"] == before["items"]


async def test_known_parameters_aliases_lists_and_pages_still_work(
    client: httpx.AsyncClient,
) -> None:
    headers = await auth_headers(client, ADMIN)
    hoods = (await client.get("/v1/neighbourhoods", headers=headers, params={"limit": 200})).json()
    ids = [h["id"] for h in hoods["items"]]
    assert len(ids) >= 2
    # Posts in two neighbourhoods, so that one neighbourhood's figures differ from the city's.
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    events = [
        {"id": f"unknown-params-{hood}-{i}", "type": "post", "topic": "help",
         "household": f"up{i}", "neighbourhood_id": hood,
         "at": (noon - timedelta(days=2)).isoformat()}
        for hood, n in ((ids[0], 1), (ids[1], 3)) for i in range(n)
    ]  # fmt: skip
    sent = await client.post("/v1/events", headers=headers, json={"events": events})
    assert sent.json()["accepted"] == len(events), sent.text
    # `neighbourhood` is the alias of the handler's `neighbourhoods`; repeated, it is a list.
    city = await client.get(
        "/v1/stats/timeseries",
        headers=headers,
        params={"metric": "posts", "granularity": "week", "period": "90d"},
    )
    assert city.status_code == 200, city.text
    one = await client.get(
        "/v1/stats/timeseries",
        headers=headers,
        params={"metric": "posts", "granularity": "week", "period": "90d", "neighbourhood": ids[0]},
    )
    assert one.status_code == 200, one.text
    assert one.json()["series"] != city.json()["series"]
    two = await client.get(
        "/v1/stats/timeseries",
        headers=headers,
        params={"neighbourhood": ids[:2], "per_neighbourhood": "true"},
    )
    assert two.status_code == 200, two.text
    assert len(two.json()["series"]) == 2
    overview = await client.get(
        "/v1/stats/overview", headers=headers, params={"period": "7d", "neighbourhood": ids[:2]}
    )
    assert overview.status_code == 200, overview.text
    # Parameters of sub-dependencies (pagination, the inbox's filters), repeated `status`.
    first = await client.get(
        "/v1/submissions",
        headers=headers,
        params={
            "status": ["new", "acknowledged"],
            "kind": "report",
            "sort": "-created",
            "limit": 2,
        },
    )
    assert first.status_code == 200, first.text
    assert first.json()["next_cursor"]
    second = await client.get(
        "/v1/submissions",
        headers=headers,
        params={
            "status": ["new", "acknowledged"],
            "kind": "report",
            "sort": "-created",
            "limit": 2,
            "cursor": first.json()["next_cursor"],
        },
    )
    assert second.status_code == 200, second.text
    counts = await client.get(
        "/v1/submissions/counts", headers=headers, params={"status": "new", "overdue": "false"}
    )
    assert counts.status_code == 200, counts.text
    page = await client.get("/v1/neighbourhoods", headers=headers, params={"limit": 1, "q": ""})
    assert page.status_code == 200, page.text
    # A blank query string, and a known name given empty, are no unknown names.
    assert (await client.get("/v1/me?", headers=headers)).status_code == 200
    assert (await client.get("/v1/neighbourhoods?q=", headers=headers)).status_code == 200


async def test_open311_and_health_checks_take_extra_parameters(client: httpx.AsyncClient) -> None:
    extra = {"jurisdiction_id": "mechelen", "api_key": "not-needed-to-read", "fields": "x"}
    services = await client.get("/open311/v2/services.json", params=extra)
    assert services.status_code == 200, services.text
    requests = await client.get(
        "/open311/v2/requests.json", params={**extra, "status": "open", "page_size": "10"}
    )
    assert requests.status_code == 200, requests.text
    assert (await client.get("/healthz", params={"probe": "lb"})).status_code == 200
    assert (await client.get("/readyz", params={"probe": "lb"})).status_code == 200


def test_the_check_sees_what_fastapi_and_the_document_see(app: FastAPI) -> None:
    """The names are those of the route as FastAPI answers it (an inclusion's dependencies
    too) and those /openapi.json documents; every /v1 route is checked, no other."""
    document = app.openapi()
    checked = 0
    for context in route_contexts(app):
        route = getattr(context, "original_route", context)
        names = checked_names(route)
        if not context.path.startswith("/v1/"):
            assert names is None, context.path
            continue
        assert names is not None, context.path
        assert declared_query(context.dependant) == names, context.path
        for method in context.methods or ():
            operation = document["paths"][context.path.replace(":int}", "}")][method.lower()]
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert documented == names, (method, context.path)
            assert "400" in operation["responses"], (method, context.path)
            checked += 1
    assert checked >= 50
