"""The inbox API: lifecycle and forbidden transitions, If-Match conflicts between two
moderators, bulk with partial failure, personal data, agency scope, CSV, duplicates."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from server.models import AuditEntry
from tests.conftest import assert_problem, auth_headers

MODERATOR = "moderator@mechelen.demo"


async def first(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict:
    page = (await client.get("/v1/submissions", headers=headers, params=params)).json()
    assert page["items"], params
    return page["items"][0]


@pytest.mark.dialect
async def test_demo_inbox_lists_with_filters_and_pages(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 25}
    while True:
        page = (await client.get("/v1/submissions", headers=headers, params=params)).json()
        seen += [s["id"] for s in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == 60 == len(set(seen))  # Mechelen's demo inbox
    reports = (
        await client.get(
            "/v1/submissions", headers=headers, params={"kind": "report", "limit": 200}
        )
    ).json()
    assert reports["items"] and {s["kind"] for s in reports["items"]} == {"report"}
    new = (
        await client.get(
            "/v1/submissions", headers=headers, params={"status": ["new"], "limit": 200}
        )
    ).json()
    assert {s["status"] for s in new["items"]} == {"new"}
    overdue = (
        await client.get(
            "/v1/submissions", headers=headers, params={"overdue": "true", "limit": 200}
        )
    ).json()
    assert all(s["overdue"] and s["status"] == "new" for s in overdue["items"])
    dumping = (
        await client.get(
            "/v1/submissions", headers=headers, params={"category": "illegal-dumping", "limit": 200}
        )
    ).json()
    assert {s["category"]["code"] for s in dumping["items"]} == {"illegal-dumping"}
    oldest = (
        await client.get("/v1/submissions", headers=headers, params={"sort": "created", "limit": 3})
    ).json()
    dates = [s["created_at"] for s in oldest["items"]]
    assert dates == sorted(dates)


async def test_lifecycle_and_forbidden_transitions(client: httpx.AsyncClient, app: FastAPI) -> None:
    headers = await auth_headers(client, MODERATOR)
    sub = await first(client, headers, status=["new"])
    url = f"/v1/submissions/{sub['id']}"
    version = sub["version"]
    for status in ("acknowledged", "in_progress", "resolved"):
        response = await client.patch(
            url, headers={**headers, "If-Match": f'"{version}"'}, json={"status": status}
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status and response.json()["first_response_at"]
        version = response.json()["version"]
        assert response.headers["etag"] == f'"{version}"'
    bad = await client.patch(
        url, headers={**headers, "If-Match": f'"{version}"'}, json={"status": "new"}
    )
    body = assert_problem(bad, 422, "invalid-transition")
    assert body["allowed"] == ["in_progress"] and body["current_status"] == "resolved"
    detail = (await client.get(url, headers=headers)).json()
    changes = [
        (h["field"], h["before"], h["after"]) for h in detail["history"] if h["kind"] == "change"
    ]
    assert ("status", "in_progress", "resolved") in changes
    assert all(
        h["actor_name"] == "Sofie Janssens" for h in detail["history"] if h["kind"] == "change"
    )
    async with app.state.sessionmaker() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("submission.update") == 3


@pytest.mark.dialect
async def test_two_moderators_conflict_with_412(client: httpx.AsyncClient) -> None:
    sofie = await auth_headers(client, MODERATOR)
    admin = await auth_headers(client, "admin@mechelen.demo")
    sub = await first(client, sofie, status=["new"])
    url = f"/v1/submissions/{sub['id']}"
    seen = f'"{sub["version"]}"'
    mine = await client.patch(url, headers={**admin, "If-Match": seen}, json={"priority": "urgent"})
    assert mine.status_code == 200
    theirs = await client.patch(
        url, headers={**sofie, "If-Match": seen}, json={"status": "rejected"}
    )
    body = assert_problem(theirs, 412, "precondition-failed")
    assert body["current_version"] == sub["version"] + 1
    assert body["current"]["priority"] == "urgent" and body["current"]["status"] == "new"
    assert_problem(
        await client.patch(url, headers=sofie, json={"status": "rejected"}),
        428,
        "precondition-required",
    )


async def test_assign_reply_and_note(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    staff = (await client.get("/v1/staff", headers=headers)).json()
    me = next(s for s in staff if s["name"] == "Sofie Janssens")
    sub = await first(client, headers, status=["new"])
    url = f"/v1/submissions/{sub['id']}"
    assigned = await client.patch(
        url,
        headers={**headers, "If-Match": f'"{sub["version"]}"'},
        json={"assignee_account_id": me["id"]},
    )
    assert assigned.json()["assignee_name"] == "Sofie Janssens"
    mine = (await client.get("/v1/submissions", headers=headers, params={"assignee": "me"})).json()
    assert [s["id"] for s in mine["items"]] == [sub["id"]]
    mons = (
        await client.get("/v1/staff", headers=await auth_headers(client, "admin@mons.demo"))
    ).json()
    foreign = await client.patch(
        url,
        headers={**headers, "If-Match": f'"{assigned.json()["version"]}"'},
        json={"assignee_account_id": mons[0]["id"]},
    )
    assert_problem(foreign, 422, "validation")
    reply = await client.post(f"{url}/replies", headers=headers, json={"text": "We komen kijken."})
    assert reply.status_code == 200 and reply.json()["first_response_at"]
    await client.post(f"{url}/notes", headers=headers, json={"text": "Aannemer X bellen."})
    history = (await client.get(url, headers=headers)).json()["history"]
    kinds = [(h["kind"], h["text"]) for h in history if h["kind"] in ("reply", "note")]
    assert kinds == [("reply", "We komen kijken."), ("note", "Aannemer X bellen.")]


@pytest.mark.dialect
async def test_bulk_reports_partial_failure(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    new = (
        await client.get("/v1/submissions", headers=headers, params={"status": ["new"], "limit": 2})
    ).json()["items"]
    resolved = await first(client, headers, status=["resolved"])
    ids = [new[0]["id"], resolved["id"], new[1]["id"], 999_999]
    response = await client.post(
        "/v1/submissions/bulk",
        headers=headers,
        json={"ids": ids, "changes": {"status": "acknowledged"}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["succeeded"] == 2 and body["failed"] == 2
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[new[0]["id"]]["ok"] and by_id[new[1]["id"]]["ok"]
    assert by_id[resolved["id"]]["problem"]["type"] == "/problems/invalid-transition"
    assert by_id[999_999]["status"] == 404
    # The failures left the others done, and themselves untouched.
    assert (await client.get(f"/v1/submissions/{new[0]['id']}", headers=headers)).json()[
        "status"
    ] == "acknowledged"
    assert (await client.get(f"/v1/submissions/{resolved['id']}", headers=headers)).json()[
        "status"
    ] == "resolved"


async def test_personal_data_only_for_moderators_and_admins(client: httpx.AsyncClient) -> None:
    moderator = await auth_headers(client, MODERATOR)
    analyst = await auth_headers(client, "analyst@mechelen.demo")
    sub = await first(client, moderator)
    assert sub["reporter_name"] and sub["reporter_contact"]
    seen_by_analyst = (await client.get(f"/v1/submissions/{sub['id']}", headers=analyst)).json()
    assert seen_by_analyst["reporter_name"] is None and seen_by_analyst["reporter_contact"] is None
    assert seen_by_analyst["description"] == sub["description"]
    export = await client.get("/v1/submissions/export.csv", headers=analyst)
    assert (
        "reporter" not in export.text.splitlines()[0] and sub["reporter_contact"] not in export.text
    )
    # Times as the city reads them: Brussels time, ISO 8601 with its offset, the same moment.
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(export.text))}
    created = datetime.fromisoformat(rows[str(sub["id"])]["created_at"])
    assert created.utcoffset() == ZoneInfo("Europe/Brussels").utcoffset(
        created.replace(tzinfo=None)
    )
    assert abs(created - datetime.fromisoformat(sub["created_at"])).total_seconds() < 1
    body = assert_problem(
        await client.post(
            f"/v1/submissions/{sub['id']}/notes", headers=analyst, json={"text": "x"}
        ),
        403,
        "missing-role",
    )
    assert set(body["missing_roles"]) == {"moderator", "admin"}
    # Another municipality: the same 404 as a missing one.
    mons = await auth_headers(client, "officer@mons.demo")
    assert_problem(await client.get(f"/v1/submissions/{sub['id']}", headers=mons), 404, "not-found")
    # A communicator without moderation roles cannot read the inbox at all.
    werf = await auth_headers(client, "werf@mechelen.demo")
    assert_problem(await client.get("/v1/submissions", headers=werf), 403, "missing-role")


async def test_agency_sees_only_its_neighbourhoods(client: httpx.AsyncClient) -> None:
    agency = await auth_headers(client, "ocmw@mechelen.demo")
    items = (await client.get("/v1/submissions", headers=agency, params={"limit": 200})).json()[
        "items"
    ]
    assert items and {s["neighbourhood_name"] for s in items} <= {
        "Arsenaal",
        "Battel",
        "Heihoek",
        "Nekkerspoel",
    }
    city = await auth_headers(client, MODERATOR)
    elsewhere = (await client.get("/v1/submissions", headers=city, params={"limit": 200})).json()[
        "items"
    ]
    outside = next(
        s
        for s in elsewhere
        if s["neighbourhood_name"] not in {"Arsenaal", "Battel", "Heihoek", "Nekkerspoel"}
    )
    assert_problem(
        await client.get(f"/v1/submissions/{outside['id']}", headers=agency), 404, "not-found"
    )


@pytest.mark.dialect
async def test_csv_export_streams_the_filtered_list(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    response = await client.get(
        "/v1/submissions/export.csv", headers=headers, params={"kind": "idea"}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    ideas = (
        await client.get("/v1/submissions", headers=headers, params={"kind": "idea", "limit": 200})
    ).json()["items"]
    assert len(rows) == len(ideas) and {r["kind"] for r in rows} == {"idea"}
    assert rows[0]["reporter_name"]  # moderators get personal data
    assert {int(r["id"]) for r in rows} == {s["id"] for s in ideas}


@pytest.mark.dialect
async def test_duplicates_suggested_and_marked(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    items = (
        await client.get(
            "/v1/submissions",
            headers=headers,
            params={"status": ["new", "acknowledged"], "limit": 200},
        )
    ).json()["items"]
    target = None
    for sub in items:
        suggestions = (
            await client.get(f"/v1/submissions/{sub['id']}/suggestions", headers=headers)
        ).json()
        if suggestions:
            target = sub
            break
    assert target is not None, "the demo inbox has near-duplicates"
    for s in suggestions:
        assert s["submission"]["category"]["code"] == target["category"]["code"]
        assert s["distance_m"] is None or s["distance_m"] <= 500
        assert s["submission"]["id"] != target["id"]
    original = suggestions[0]["submission"]["id"]
    marked = await client.post(
        f"/v1/submissions/{target['id']}/duplicate",
        headers={**headers, "If-Match": f'"{target["version"]}"'},
        json={"of": original},
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "duplicate" and marked.json()["duplicate_of_id"] == original
    # With the current version, so that the rule itself answers (not the version check).
    current = (await client.get(f"/v1/submissions/{original}", headers=headers)).json()
    itself = await client.post(
        f"/v1/submissions/{original}/duplicate",
        headers={**headers, "If-Match": f'"{current["version"]}"'},
        json={"of": original},
    )
    assert assert_problem(itself, 422, "validation")["detail"] == (
        "A submission cannot duplicate itself."
    )
    stale = await client.post(
        f"/v1/submissions/{original}/duplicate",
        headers={**headers, "If-Match": f'"{current["version"] + 5}"'},
        json={"of": original},
    )
    assert_problem(stale, 412, "precondition-failed")


async def every(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        page = (
            await client.get("/v1/submissions", headers=headers,
                             params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        ).json()  # fmt: skip
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


@pytest.mark.dialect
async def test_counts_agree_with_the_list(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    sub = await first(client, headers, status=["new"])
    acknowledged = await client.patch(
        f"/v1/submissions/{sub['id']}", headers={**headers, "If-Match": f'"{sub["version"]}"'},
        json={"status": "acknowledged"},
    )  # fmt: skip
    assert acknowledged.status_code == 200
    for params in ({}, {"kind": "report"}, {"kind": "idea"}):
        counts = (await client.get("/v1/submissions/counts", headers=headers, params=params)).json()
        listed = await every(client, headers, **params)
        statuses = [s["status"] for s in listed]
        assert counts["total"] == len(listed) > 0
        assert counts["by_status"] == {s: statuses.count(s) for s in set(statuses)}
        closed = sum(statuses.count(s) for s in ("resolved", "rejected", "duplicate"))
        assert counts["open"] == len(listed) - closed
        assert counts["overdue"] == len(await every(client, headers, overdue="true", **params))
    whole = (await client.get("/v1/submissions/counts", headers=headers)).json()
    assert whole["by_status"]["acknowledged"] >= 1
    # An agency counts its own neighbourhoods only; a communicator alone may not read the inbox.
    agency = await auth_headers(client, "ocmw@mechelen.demo")
    theirs = (await client.get("/v1/submissions/counts", headers=agency)).json()
    assert theirs["total"] == len(await every(client, agency)) < whole["total"]
    werf = await auth_headers(client, "werf@mechelen.demo")
    assert_problem(await client.get("/v1/submissions/counts", headers=werf), 403, "missing-role")
