"""Hostile input against real servers on SQLite and PostgreSQL: tampered cursors, ids out of
any column's range, NUL and lone surrogates in text, odd Open311 requests. Each is a 4xx
answer in the API's format; none is a 5xx, none drops the keep-alive connection (a normal
request on the same connection works right after), none leaves a traceback in the server
log (checked by conftest's `no_server_tracebacks`)."""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import free_port
from tests.processes import start_server


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BUURT_DATABASE_URL": database_url}
    process = start_server(env, port, tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    # One connection only: a request that broke it would break the next one too.
    with httpx.Client(
        base_url=server, timeout=30, limits=httpx.Limits(max_connections=1)
    ) as client:
        token = client.post(
            "/v1/auth/token", json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def still_connected(http: httpx.Client) -> None:
    """The connection survived: the next request on it is answered normally."""
    assert http.get("/v1/me").status_code == 200


def problem(response: httpx.Response, status: int | tuple[int, ...], slug: str | None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.request.url, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if slug is not None:
        assert body["type"] == f"/problems/{slug}", body
    return body


FOREIGN_CURSORS = [[1, 2], ["x"], [None], {"a": 1}, ["audit", 1], "x", [[[[]]]]]
LISTS = ["/v1/submissions", "/v1/audit", "/v1/messages", "/v1/tokens", "/v1/neighbourhoods"]


@pytest.mark.dialect
def test_cursors_not_ours_are_400_invalid_cursor(http: httpx.Client) -> None:
    tried = 0
    for path in LISTS:
        for value in FOREIGN_CURSORS:
            response = http.get(path, params={"cursor": cursor_of(value)})
            if path == "/v1/audit" and value == ["audit", 1]:
                # The audit list's own shape of cursor: a valid position, not an error.
                assert response.status_code == 200, response.text
                continue
            problem(response, 400, "invalid-cursor")
            tried += 1
        # Bytes that are not UTF-8, and plain garbage.
        for raw in ("%FF%FE", "!!", "%C0%80"):
            problem(http.get(f"{path}?cursor={raw}"), 400, "invalid-cursor")
            tried += 1
    # A cursor of another order of the same list is refused too.
    first = http.get("/v1/submissions", params={"limit": 2, "sort": "due"}).json()
    problem(
        http.get("/v1/submissions", params={"cursor": first["next_cursor"], "sort": "-created"}),
        400,
        "invalid-cursor",
    )
    still_connected(http)
    assert tried == len(LISTS) * (len(FOREIGN_CURSORS) + 3) - 1


@pytest.mark.dialect
def test_a_real_cursor_still_pages(http: httpx.Client) -> None:
    for path in LISTS:
        first = http.get(path, params={"limit": 1}).json()
        if first["next_cursor"]:
            second = http.get(path, params={"limit": 1, "cursor": first["next_cursor"]})
            assert second.status_code == 200, (path, second.text)
            assert second.json()["items"][0] != first["items"][0]


OUT_OF_RANGE = [
    ("GET", "/v1/submissions/9223372036854775807", None),
    ("GET", "/v1/submissions/99999999999999999999999", None),
    ("GET", "/v1/submissions/-1", None),
    ("GET", "/v1/messages/2147483648", None),
    ("POST", "/v1/messages/2147483648/withdraw", None),
    ("GET", "/v1/neighbourhoods/2147483648", None),
    ("DELETE", "/v1/tokens/2147483648", None),
    ("GET", "/v1/submissions?neighbourhood=2147483648", None),
    ("GET", "/v1/messages?author=99999999999999999999", None),
    ("GET", "/v1/audit?actor=2147483648", None),
    ("GET", "/v1/stats/overview?neighbourhood=2147483648", None),
    ("GET", "/v1/neighbourhoods?limit=100000000000000000000", None),
    ("PATCH", "/v1/submissions/1", {"assignee_account_id": 2147483648}),
    ("POST", "/v1/submissions/1/duplicate", {"of": 9223372036854775808}),
    ("POST", "/v1/submissions/bulk", {"ids": [2147483648], "changes": {"priority": "low"}}),
    ("POST", "/v1/messages/reach", {"targets": [2147483648]}),
    ("POST", "/v1/messages", {
        "kind": "announcement", "title": {"nl": "t"}, "body": {"nl": "b"},
        "targets": [99999999999999999999], "action": "draft",
    }),
]  # fmt: skip


@pytest.mark.dialect
def test_ids_out_of_range_are_decided_before_the_database(http: httpx.Client) -> None:
    for method, path, body in OUT_OF_RANGE:
        headers = {"If-Match": '"1"'}
        response = http.request(method, path, json=body, headers=headers)
        problem(response, (404, 422), None)
        still_connected(http)


@pytest.mark.dialect
def test_nul_and_lone_surrogates_are_422_naming_the_field(http: httpx.Client) -> None:
    message = {"kind": "announcement", "body": {"nl": "b"}, "targets": "all", "action": "draft"}
    # Escapes written by hand: a lone surrogate cannot even be encoded to send it as UTF-8.
    for title in ("a\\u0000b", "\\ud800", "x\\udfff"):
        body = json.dumps({**message, "title": {"nl": "PLACEHOLDER"}}).replace("PLACEHOLDER", title)
        response = http.post(
            "/v1/messages", content=body.encode(), headers={"content-type": "application/json"}
        )
        found = problem(response, 422, "validation")
        assert "title" in found["detail"], found
        still_connected(http)
    for path, body in [
        ("/v1/submissions/1/notes", '{"text": "a\\u0000b"}'),
        ("/v1/submissions/1/replies", '{"text": "\\ud83d"}'),
        ("/v1/auth/token", '{"email": "a\\u0000@x.be", "password": "p"}'),
        ("/v1/tokens", '{"name": "\\udc00", "scopes": ["stats:read"]}'),
    ]:
        response = http.post(
            path, content=body.encode(), headers={"content-type": "application/json"}
        )
        found = problem(response, 422, "validation")
        assert found["errors"][0]["loc"][0] == "body", found
        still_connected(http)
    for path in ("/v1/submissions", "/v1/messages", "/v1/neighbourhoods", "/v1/audit"):
        name = "action" if path == "/v1/audit" else "q"
        found = problem(http.get(f"{path}?{name}=a%00b"), 422, "validation")
        assert found["detail"].startswith(f"query.{name}"), found
        still_connected(http)
    problem(http.get("/v1/messages/1%00"), (404, 422), None)
    still_connected(http)


@pytest.mark.dialect
def test_events_with_nul_are_refused_one_by_one(http: httpx.Client) -> None:
    hood = http.get("/v1/neighbourhoods", params={"limit": 1}).json()["items"][0]["id"]
    event = {"type": "reaction", "neighbourhood_id": hood, "at": "2026-11-28T10:00:00Z"}
    answer = http.post(
        "/v1/events",
        content=json.dumps(
            {
                "events": [
                    {**event, "id": "ok-1", "household": "h1"},
                    {**event, "id": "bad-1", "household": "PLACEHOLDER"},
                    {**event, "id": "bad-2", "household": "h2", "neighbourhood_id": 2**40},
                ]
            }
        )
        .replace("PLACEHOLDER", "h\\u0000")
        .encode(),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["accepted"] == 1
    assert sorted(r["index"] for r in result["rejected"]) == [1, 2]


@pytest.mark.dialect
def test_far_dates_are_refused_not_overflowed(http: httpx.Client) -> None:
    hood = http.get("/v1/neighbourhoods", params={"limit": 1}).json()["items"][0]["id"]
    far = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"]
    events = [
        {"id": f"far-{i}", "type": "reaction", "household": "h", "neighbourhood_id": hood, "at": at}
        for i, at in enumerate(far)
    ]
    answer = http.post("/v1/events", json={"events": events})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 0 and len(answer.json()["rejected"]) == len(far)
    for at in far:
        for name in ("since", "until"):
            problem(http.get("/v1/submissions", params={name: at}), 422, "validation")
        message = {
            "kind": "event", "title": {"nl": "t"}, "body": {"nl": "b"}, "targets": "all",
            "action": "draft", "event": {"starts_at": at, "ends_at": at, "place": "x"},
        }  # fmt: skip
        problem(http.post("/v1/messages", json=message), 422, "validation")
        for name in ("start_date", "end_date"):
            response = http.get(
                "/open311/v2/requests.json", params={"jurisdiction_id": "mechelen", name: at}
            )
            open311_error(response, "json", 400)
    still_connected(http)


def open311_error(response: httpx.Response, fmt: str, status: int) -> str:
    """The standard's own error format: a JSON list or an <errors> document."""
    assert response.status_code == status, response.text
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert isinstance(body, list) and body[0]["code"] == status
        return str(body[0]["description"])
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert root.find("error/code").text == str(status)  # type: ignore[union-attr]
    return root.find("error/description").text or ""  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_errors_in_the_format_asked_for(http: httpx.Client, fmt: str) -> None:
    base = "/open311/v2"
    juris = "jurisdiction_id=mechelen"
    for query in (
        "end_date=0001-01-01T00:00:00Z",
        "start_date=9999-12-31T23:59:59Z",
        "end_date=yesterday",
        "status=a%00b",
        "service_code=%ED%A0%80",
    ):
        response = http.get(f"{base}/requests.{fmt}?{juris}&{query}")
        if query.startswith("service_code"):
            # Not UTF-8 (an encoded surrogate): refused before any route, naming it.
            found = problem(response, 400, "invalid-utf8")
            assert found["detail"].startswith("query.service_code:"), found
            still_connected(http)
            continue
        if "%00" in query:
            problem(response, 422, "validation")  # refused before any route
        else:
            open311_error(response, fmt, 400)
        still_connected(http)
    assert "not found" in open311_error(http.get(f"{base}/requests/abc.{fmt}?{juris}"), fmt, 404)
    for request_id in ("99999999999999999999", "2147483648", "0", "-5"):
        open311_error(http.get(f"{base}/requests/{request_id}.{fmt}?{juris}"), fmt, 404)
    open311_error(http.get(f"{base}/nothing-here.{fmt}"), fmt, 404)
    open311_error(http.delete(f"{base}/services.{fmt}?{juris}"), fmt, 405)
    form = {"content-type": "application/x-www-form-urlencoded"}
    nul = http.post(
        f"{base}/requests.{fmt}", content=b"api_key=bpt_%00x&" + juris.encode(), headers=form
    )
    assert "api_key" in open311_error(nul, fmt, 400)
    still_connected(http)
