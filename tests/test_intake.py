"""Reports taken by staff for a resident who phoned, came to the desk or e-mailed: marked
with the channel and who entered it, in the history, the list filter and the export; the
resident's language recorded (staff's choice, Open311's locale or Accept-Language)."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest

from tests.conftest import assert_problem, auth_headers

MODERATOR = "moderator@mechelen.demo"


async def hood(client: httpx.AsyncClient, headers: dict) -> dict:
    return dict((await client.get("/v1/neighbourhoods", headers=headers)).json()["items"][0])


async def test_a_phone_report_is_marked_everywhere(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    where = await hood(client, headers)
    body = {
        "category": "sidewalk", "description": "Losliggende tegel voor nummer 12.",
        "channel": "phone", "neighbourhood_id": where["id"], "address": "Bruul 12",
        "reporter_name": "Marc Peeters", "reporter_contact": "015 20 30 40",
    }  # fmt: skip
    key = {"Idempotency-Key": uuid.uuid4().hex}
    made = await client.post("/v1/submissions", headers={**headers, **key}, json=body)
    assert made.status_code == 201, made.text
    sub = made.json()
    assert sub["channel"] == "phone" and sub["source"] == "staff"
    assert sub["entered_by_name"] == "Sofie Janssens"
    assert sub["language"] == "nl"  # not said: the city's first language
    assert sub["neighbourhood_name"] == where["name"] and sub["status"] == "new"
    # Sent again (a double Enter, a retry): the same submission, not a second one.
    again = await client.post("/v1/submissions", headers={**headers, **key}, json=body)
    assert again.json()["id"] == sub["id"] and again.headers["idempotent-replayed"] == "true"
    detail = (await client.get(f"/v1/submissions/{sub['id']}", headers=headers)).json()
    created = detail["history"][0]
    assert created["kind"] == "created" and created["after"] == "phone"
    assert created["actor_name"] == "Sofie Janssens"
    # The inbox filters on it; the export says it.
    phoned = await client.get("/v1/submissions", headers=headers, params={"channel": "phone"})
    assert [s["id"] for s in phoned.json()["items"]] == [sub["id"]]
    by_staff = await client.get("/v1/submissions", headers=headers, params={"channel": "any"})
    assert [s["id"] for s in by_staff.json()["items"]] == [sub["id"]]
    desk = await client.get("/v1/submissions", headers=headers, params={"channel": "desk"})
    assert desk.json()["items"] == []
    export = await client.get(
        "/v1/submissions/export.csv", headers=headers, params={"channel": "phone"}
    )
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1
    assert rows[0]["channel"] == "phone" and rows[0]["entered_by_name"] == "Sofie Janssens"
    assert rows[0]["source"] == "staff" and rows[0]["reporter_name"] == "Marc Peeters"
    # Audited, without the resident's words.
    admin = await auth_headers(client, "admin@mechelen.demo")
    log = (await client.get("/v1/audit", headers=admin)).json()["items"]
    entry = next(e for e in log if e["action"] == "submission.created_for_resident")
    assert entry["object_id"] == str(sub["id"]) and entry["details"]["channel"] == "phone"
    assert "Marc" not in str(entry) and "tegel" not in str(entry)


async def test_what_a_taken_report_needs(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    base = {"category": "sidewalk", "description": "Put.", "channel": "desk"}
    assert_problem(await client.post("/v1/submissions", headers=headers, json=base), 422,
                   "validation")  # fmt: skip
    assert_problem(
        await client.post("/v1/submissions", headers=headers, json={**base, "lat": 51.02}),
        422, "validation",
    )  # fmt: skip
    assert_problem(
        await client.post(
            "/v1/submissions", headers=headers, json={**base, "address": "X", "category": "nope"}
        ), 422, "validation",
    )  # fmt: skip
    assert_problem(
        await client.post(
            "/v1/submissions", headers=headers, json={**base, "address": "X", "channel": "fax"}
        ), 422, "validation",
    )  # fmt: skip
    assert_problem(
        await client.post(
            "/v1/submissions", headers=headers, json={**base, "address": "X", "language": "fr"}
        ), 422, "validation",
    )  # fmt: skip
    # Another city's neighbourhood is not found; an analyst may not enter reports.
    mons = await auth_headers(client, "admin@mons.demo")
    theirs = await hood(client, mons)
    assert_problem(
        await client.post(
            "/v1/submissions", headers=headers, json={**base, "neighbourhood_id": theirs["id"]}
        ), 404, "not-found",
    )  # fmt: skip
    analyst = await auth_headers(client, "analyst@mechelen.demo")
    assert_problem(
        await client.post("/v1/submissions", headers=analyst, json={**base, "address": "X"}),
        403, "missing-role",
    )  # fmt: skip
    # Coordinates alone place it in the nearest neighbourhood; English was asked for.
    made = await client.post(
        "/v1/submissions", headers=headers,
        json={**base, "lat": 51.0259, "lon": 4.4776, "language": "en", "channel": "email"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["neighbourhood_id"] is not None and made.json()["language"] == "en"


@pytest.mark.dialect
async def test_workload_per_assignee_and_department(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, MODERATOR)
    counts = (await client.get("/v1/submissions/counts", headers=headers)).json()
    before = (await client.get("/v1/submissions/workload", headers=headers)).json()
    assert sum(r["open"] for r in before["assignees"]) == counts["open"]
    assert sum(r["open"] for r in before["departments"]) == counts["open"]
    assert sum(r["overdue"] for r in before["assignees"]) == counts["overdue"]
    # Assign one to a colleague: it moves from nobody to them.
    staff = (await client.get("/v1/staff", headers=headers)).json()
    colleague = next(s for s in staff if s["name"] == "Jan Van den Broeck")
    sub = (await client.get("/v1/submissions", headers=headers, params={"status": "new"})).json()[
        "items"
    ][0]
    changed = await client.patch(
        f"/v1/submissions/{sub['id']}", headers={**headers, "If-Match": f'"{sub["version"]}"'},
        json={"assignee_account_id": colleague["id"]},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    after = (await client.get("/v1/submissions/workload", headers=headers)).json()

    def load(rows: list[dict], account_id: int | None) -> int:
        return next((r["open"] for r in rows if r["account_id"] == account_id), 0)

    assert (
        load(after["assignees"], colleague["id"]) == load(before["assignees"], colleague["id"]) + 1
    )
    assert load(after["assignees"], None) == load(before["assignees"], None) - 1
    assert next(r for r in after["assignees"] if r["account_id"] == colleague["id"])["name"] == (
        "Jan Van den Broeck"
    )
    # Each department's row is a key press from the inbox filtered on it.
    department = after["departments"][0]
    listed = await client.get(
        "/v1/submissions", headers=headers,
        params={"department": department["department"], "status": ["new", "acknowledged",
                "in_progress"], "limit": 200},
    )  # fmt: skip
    items = listed.json()["items"]
    assert len(items) == department["open"]
    assert {s["department"] for s in items} == {department["department"]}
    # Another city's workload is its own.
    mons = await auth_headers(client, "officer@mons.demo")
    theirs = (await client.get("/v1/submissions/workload", headers=mons)).json()
    assert not {r["account_id"] for r in theirs["assignees"]} & {colleague["id"]}
