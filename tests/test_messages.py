"""City messages: validation per kind, reach, agency limits, exactly once, conflicts,
scheduling across a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select, update

from server.app import create_app
from server.models import AuditEntry, CityMessage
from server.services.messages import publish_due
from server.settings import Settings
from tests.conftest import TEST_CLIENT, assert_problem, auth_headers

OFFICER = "officer@mechelen.demo"


TREES_QUESTION = {
    "question": {"nl": "Meer bomen?", "en": "More trees?"},
    "choices": [{"nl": "Ja", "en": "Yes"}, {"nl": "Nee", "en": "No"}],
}


def soon(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def announcement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "announcement",
        "title": {"nl": "Wegenwerken Battelsesteenweg", "en": "Roadworks Battelsesteenweg"},
        "body": {"nl": "Vanaf **maandag** is de weg dicht.", "en": "From **Monday** closed."},
        "targets": "all",
        "action": "publish",
    }
    body.update(overrides)
    return body


async def hood_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, int]:
    page = (await client.get("/v1/neighbourhoods", headers=headers, params={"limit": 200})).json()
    return {n["name"]: n["id"] for n in page["items"]}


async def count_messages(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(CityMessage)) or 0)


@pytest.mark.dialect
async def test_reach_before_sending(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    ids = await hood_ids(client, headers)
    chosen = [ids["Battel"], ids["Heihoek"]]
    reach = (
        await client.post("/v1/messages/reach", headers=headers, json={"targets": chosen})
    ).json()
    assert [n["name"] for n in reach["neighbourhoods"]] == ["Battel", "Heihoek"]
    assert reach["total_households"] == 1300 + 1650
    assert reach["registered_households"] == sum(
        n["registered_households"] for n in reach["neighbourhoods"]
    )
    everything = (
        await client.post("/v1/messages/reach", headers=headers, json={"targets": "all"})
    ).json()
    assert len(everything["neighbourhoods"]) == 20
    assert everything["registered_households"] == 21571  # 53% of Mechelen's households


async def test_publish_now_with_reach_and_audit(client: httpx.AsyncClient, app: FastAPI) -> None:
    headers = await auth_headers(client, OFFICER)
    response = await client.post(
        "/v1/messages", headers={**headers, "Idempotency-Key": "k1"}, json=announcement()
    )
    assert response.status_code == 201, response.text
    message = response.json()
    assert message["state"] == "published" and message["published_at"]
    assert message["reach_registered"] == 21571 and message["reach_total"] == 40700
    assert message["targets"] == "all" and len(message["target_names"]) == 20
    assert message["author_name"] == "Lotte Peeters"
    got = await client.get(f"/v1/messages/{message['id']}", headers=headers)
    assert got.json() == message and got.headers["etag"] == f'"{message["version"]}"'
    async with app.state.sessionmaker() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "message.create" in actions and "message.publish" in actions


@pytest.mark.dialect
async def test_same_key_same_request_publishes_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = {**await auth_headers(client, OFFICER), "Idempotency-Key": "cron-2026-11-29"}
    first = await client.post("/v1/messages", headers=headers, json=announcement())
    again = await client.post("/v1/messages", headers=headers, json=announcement())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_messages(app) == 1
    other = await client.post(
        "/v1/messages",
        headers=headers,
        json=announcement(title={"nl": "Iets anders"}, body={"nl": "x"}),
    )
    assert_problem(other, 422, "idempotency-key-reused")
    assert await count_messages(app) == 1


@pytest.mark.dialect
async def test_racing_twins_publish_once(settings: Settings) -> None:
    # Two server processes' worth of concurrency: separate apps, same database.
    apps = [create_app(settings), create_app(settings)]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=a, client=TEST_CLIENT), base_url="http://t"
        )
        for a in apps
    ]
    headers = {**await auth_headers(clients[0], OFFICER), "Idempotency-Key": "race-1"}
    responses = await asyncio.gather(
        *(c.post("/v1/messages", headers=headers, json=announcement()) for c in clients * 3)
    )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_messages(apps[0]) == 1
    for c in clients:
        await c.aclose()
    for a in apps:
        await a.state.engine.dispose()


async def test_publishing_needs_a_key_drafts_do_not(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    assert_problem(
        await client.post("/v1/messages", headers=headers, json=announcement()),
        428,
        "idempotency-key-required",
    )
    draft = await client.post("/v1/messages", headers=headers, json=announcement(action="draft"))
    assert draft.status_code == 201 and draft.json()["state"] == "draft"
    assert draft.json()["reach_registered"] is None


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"kind": "event"}, "needs its 'event' fields"),
        (
            {
                "kind": "event",
                "event": {"starts_at": soon(120), "ends_at": soon(60), "place": "Zaal"},
            },
            "end after it starts",
        ),
        ({"alert": {"urgency": "high"}}, "do not belong"),
        ({"kind": "alert", "alert": {"urgency": "extreme"}}, "urgency"),
        ({"kind": "citizen_budget", "budget": {"budget_eur": 0, "deadline": soon()}}, "above zero"),
        (
            {
                "kind": "survey",
                "survey": {
                    "questions": [{"question": {"nl": "?"}, "choices": [{"nl": "Ja"}]}],
                    "closes_at": soon(),
                },
            },
            "choices",
        ),
        ({"title": {"nl": "  "}, "body": {"nl": "x"}}, "title is empty"),
        ({"title": {"nl": "x" * 141}, "body": {"nl": "x"}}, "longer than 140"),
        ({"title": {"nl": "a"}, "body": {"en": "b"}}, "same languages"),
        ({"targets": []}, "at least one"),
        ({"action": "schedule"}, "needs scheduled_at"),
    ],
)
async def test_validation_per_kind(
    client: httpx.AsyncClient, overrides: dict[str, Any], needle: str
) -> None:
    headers = {**await auth_headers(client, OFFICER), "Idempotency-Key": "v"}
    response = await client.post("/v1/messages", headers=headers, json=announcement(**overrides))
    body = assert_problem(response, 422, "validation")
    assert needle in response.text, body


async def test_valid_kinds_are_stored(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    kinds = {
        "event": {"event": {"starts_at": soon(60), "ends_at": soon(180), "place": "Vrijbroekpark"}},
        "survey": {"survey": {"questions": [TREES_QUESTION], "closes_at": soon(600)}},
        "call_for_ideas": {"budget": {"budget_eur": 0, "deadline": soon(900)}},
        "citizen_budget": {"budget": {"budget_eur": 50_000, "deadline": soon(900)}},
        "alert": {"alert": {"urgency": "high"}},
    }  # fmt: skip
    for kind, fields in kinds.items():
        response = await client.post(
            "/v1/messages", headers=headers, json=announcement(kind=kind, action="draft", **fields)
        )
        assert response.status_code == 201, response.text
        name = next(iter(fields))
        assert response.json()[name] is not None


async def test_language_must_be_the_municipalitys(client: httpx.AsyncClient) -> None:
    headers = {**await auth_headers(client, OFFICER), "Idempotency-Key": "lang"}
    response = await client.post(
        "/v1/messages",
        headers=headers,
        json=announcement(title={"fr": "Travaux"}, body={"fr": "x"}),
    )
    body = assert_problem(response, 422, "validation")
    assert "not in fr" in body["detail"]


async def test_agency_targets_only_its_own(client: httpx.AsyncClient) -> None:
    city = await auth_headers(client, OFFICER)
    ids = await hood_ids(client, city)
    agency = {**await auth_headers(client, "ocmw@mechelen.demo"), "Idempotency-Key": "a1"}
    outside = await client.post(
        "/v1/messages", headers=agency, json=announcement(targets=[ids["Battel"], ids["Ragheno"]])
    )
    body = assert_problem(outside, 403, "neighbourhood-not-allowed")
    assert "Ragheno" in body["detail"] and "Battel" not in body["detail"]
    mine = await client.post("/v1/messages", headers=agency, json=announcement())
    assert mine.status_code == 201
    assert sorted(mine.json()["target_names"]) == ["Arsenaal", "Battel", "Heihoek", "Nekkerspoel"]
    # Another municipality's neighbourhood is simply unknown.
    mons = await hood_ids(client, await auth_headers(client, "officer@mons.demo"))
    foreign = await client.post(
        "/v1/messages/reach", headers=agency, json={"targets": [mons["Jemappes"]]}
    )
    assert_problem(foreign, 422, "validation")
    # The city does not see the agency's message, nor the other way round.
    listed = (await client.get("/v1/messages", headers=city)).json()["items"]
    assert listed == []
    assert_problem(
        await client.get(f"/v1/messages/{mine.json()['id']}", headers=city), 404, "not-found"
    )


async def test_roles_and_scopes(client: httpx.AsyncClient) -> None:
    analyst = {**await auth_headers(client, "analyst@mechelen.demo"), "Idempotency-Key": "r"}
    body = assert_problem(
        await client.post("/v1/messages", headers=analyst, json=announcement()), 403, "missing-role"
    )
    assert set(body["missing_roles"]) == {"communicator", "admin"}
    assert (await client.get("/v1/messages", headers=analyst)).status_code == 200
    officer = await auth_headers(client, OFFICER)
    token = (
        await client.post(
            "/v1/tokens", headers=officer, json={"name": "r", "scopes": ["stats:read"]}
        )
    ).json()["token"]
    script = {"Authorization": f"Bearer {token}", "Idempotency-Key": "s"}
    assert_problem(
        await client.post("/v1/messages", headers=script, json=announcement()), 403, "missing-scope"
    )


@pytest.mark.dialect
async def test_edit_conflict_is_412_with_the_current_message(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    draft = (
        await client.post("/v1/messages", headers=headers, json=announcement(action="draft"))
    ).json()
    edit = {k: draft[k] for k in ("kind", "title", "body")} | {"targets": "all"}
    first = await client.put(
        f"/v1/messages/{draft['id']}",
        headers={**headers, "If-Match": f'"{draft["version"]}"'},
        json=edit | {"title": {"nl": "Versie A", "en": "Version A"}},
    )
    assert first.status_code == 200 and first.json()["version"] == draft["version"] + 1
    stale = await client.put(
        f"/v1/messages/{draft['id']}",
        headers={**headers, "If-Match": f'"{draft["version"]}"'},
        json=edit | {"title": {"nl": "Versie B", "en": "Version B"}},
    )
    body = assert_problem(stale, 412, "precondition-failed")
    assert body["current_version"] == draft["version"] + 1
    assert body["current"]["title"]["nl"] == "Versie A"
    assert_problem(
        await client.put(f"/v1/messages/{draft['id']}", headers=headers, json=edit),
        428,
        "precondition-required",
    )


async def test_lifecycle_publish_withdraw(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    draft = (
        await client.post("/v1/messages", headers=headers, json=announcement(action="draft"))
    ).json()
    assert_problem(
        await client.post(f"/v1/messages/{draft['id']}/withdraw", headers=headers),
        409,
        "invalid-state",
    )
    published = await client.post(
        f"/v1/messages/{draft['id']}/publish", headers={**headers, "Idempotency-Key": "p1"}
    )
    assert published.status_code == 200 and published.json()["state"] == "published"
    replay = await client.post(
        f"/v1/messages/{draft['id']}/publish", headers={**headers, "Idempotency-Key": "p1"}
    )
    assert replay.json() == published.json()
    assert_problem(
        await client.post(
            f"/v1/messages/{draft['id']}/publish", headers={**headers, "Idempotency-Key": "p2"}
        ),
        409,
        "invalid-state",
    )
    edit = {k: draft[k] for k in ("kind", "title", "body")} | {"targets": "all"}
    assert_problem(
        await client.put(
            f"/v1/messages/{draft['id']}", headers={**headers, "If-Match": '"2"'}, json=edit
        ),
        409,
        "invalid-state",
    )
    withdrawn = await client.post(f"/v1/messages/{draft['id']}/withdraw", headers=headers)
    assert withdrawn.json()["state"] == "withdrawn" and withdrawn.json()["withdrawn_at"]


@pytest.mark.dialect
async def test_list_filters_and_pages(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    ids = await hood_ids(client, headers)
    for i in range(5):
        await client.post(
            "/v1/messages",
            headers=headers,
            json=announcement(
                action="draft",
                title={"nl": f"Bericht {i} boom" if i % 2 else f"Bericht {i}"},
                body={"nl": "tekst"},
                targets=[ids["Battel"]] if i < 2 else "all",
            ),
        )
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/messages", headers=headers, params=params)).json()
        seen += [m["title"]["nl"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and seen[0].startswith("Bericht 4")
    boom = (await client.get("/v1/messages", headers=headers, params={"q": "BOOM"})).json()
    assert sorted(m["title"]["nl"] for m in boom["items"]) == ["Bericht 1 boom", "Bericht 3 boom"]
    ragheno = (
        await client.get("/v1/messages", headers=headers, params={"neighbourhood": ids["Ragheno"]})
    ).json()
    assert len(ragheno["items"]) == 3
    drafts = (
        await client.get("/v1/messages", headers=headers, params={"state": "published"})
    ).json()
    assert drafts["items"] == []


@pytest.mark.dialect
async def test_scheduled_message_is_published_once_after_a_restart(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    headers = {**await auth_headers(client, OFFICER), "Idempotency-Key": "sched"}
    scheduled = await client.post(
        "/v1/messages", headers=headers, json=announcement(action="schedule", scheduled_at=soon(30))
    )
    assert scheduled.status_code == 201 and scheduled.json()["state"] == "scheduled"
    message_id = scheduled.json()["id"]
    # The server was down when the time came: it is an hour overdue now.
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(CityMessage)
            .where(CityMessage.id == message_id)
            .values(scheduled_at=datetime.now(UTC) - timedelta(hours=1))
        )
        await session.commit()
    # Two instances start at once; each runs its scheduler on start-up.
    instances = [create_app(settings), create_app(settings)]
    async with LifespanManager(instances[0]), LifespanManager(instances[1]):
        for _ in range(100):
            got = (await client.get(f"/v1/messages/{message_id}", headers=headers)).json()
            if got["state"] == "published":
                break
            await asyncio.sleep(0.05)
        # And a third round by hand: nothing left to publish.
        assert await publish_due(app.state.sessionmaker) == 0
    assert got["state"] == "published" and got["published_late"] is True
    assert got["reach_registered"] == 21571
    async with app.state.sessionmaker() as session:
        publishes = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "message.publish", AuditEntry.object_id == str(message_id))
        )
    assert publishes == 1


async def test_scheduling_in_the_past_is_refused(client: httpx.AsyncClient) -> None:
    headers = {**await auth_headers(client, OFFICER), "Idempotency-Key": "past"}
    response = await client.post(
        "/v1/messages", headers=headers, json=announcement(action="schedule", scheduled_at=soon(-5))
    )
    assert_problem(response, 422, "validation")


@pytest.mark.dialect
async def test_withdrawn_scheduled_message_never_goes_out(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = {**await auth_headers(client, OFFICER), "Idempotency-Key": "w"}
    message = (
        await client.post(
            "/v1/messages",
            headers=headers,
            json=announcement(action="schedule", scheduled_at=soon(1)),
        )
    ).json()
    await client.post(f"/v1/messages/{message['id']}/withdraw", headers=headers)
    assert await publish_due(app.state.sessionmaker, datetime.now(UTC) + timedelta(hours=1)) == 0
