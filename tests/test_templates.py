"""Reply templates: placeholders checked when saved and filled from the submission, in the
resident's language; who may manage and use them; every change audited; the same If-Match
from two admins at once, one wins (SQLite, and two processes on PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import assert_problem, auth_headers
from tests.test_races import bearer, http, servers  # noqa: F401 - fixtures

ADMIN = "admin@mechelen.demo"
MODERATOR = "moderator@mechelen.demo"
TEXTS = {
    "nl": "Beste, uw melding {reference} ({category}, {neighbourhood}) is nu: {status}. "
    "Antwoord uiterlijk {due_date}. {staff_name}, {municipality}",
    "en": "Your report {reference} ({category}) is now: {status}. {staff_name}",
}


async def make(client: httpx.AsyncClient, headers: dict, **fields: object) -> httpx.Response:
    body = {"title": "Ontvangen", "texts": TEXTS, **fields}
    return await client.post("/v1/reply-templates", headers=headers, json=body)


async def first_report(client: httpx.AsyncClient, headers: dict, status: str = "new") -> dict:
    page = await client.get(
        "/v1/submissions", headers=headers, params={"kind": "report", "status": status}
    )
    return dict(page.json()["items"][0])


async def test_placeholders_are_filled_from_the_submission(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    moderator = await auth_headers(client, MODERATOR)
    sub = await first_report(client, moderator)
    made = await make(client, admin, categories=[sub["category"]["code"]], status="in_progress",
                      suggest=True)  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.headers["etag"] == '"1"'
    other = await make(client, admin, title="Algemeen", texts={"nl": "Dank u, {staff_name}."})
    assert other.status_code == 201
    # Moving to "in progress": the suggested one first, filled in; a resident with no
    # language recorded is answered in the city's first language.
    offered = await client.get(
        f"/v1/submissions/{sub['id']}/reply-templates",
        headers=moderator,
        params={"status": "in_progress"},
    )
    assert offered.status_code == 200, offered.text
    first, second = offered.json()
    assert first["suggested"] and not second["suggested"]
    assert first["language"] == "nl"
    text = first["text"]
    assert f"#{sub['id']}" in text and "In behandeling" in text
    assert sub["category"]["name"]["nl"] in text and sub["neighbourhood_name"] in text
    assert "Sofie Janssens" in text and "Mechelen" in text  # who sends it, the city
    assert "{" not in text and "}" not in text
    assert second["text"] == "Dank u, Sofie Janssens."
    # Its own status (new): the status-bound template does not fit.
    now = await client.get(f"/v1/submissions/{sub['id']}/reply-templates", headers=moderator)
    assert [t["title"] for t in now.json()] == ["Algemeen"]


async def test_the_residents_language_is_chosen(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from server.models import Submission

    admin = await auth_headers(client, ADMIN)
    sub = await first_report(client, admin)
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(Submission).where(Submission.id == sub["id"]).values(language="en")
        )
        await session.commit()
    assert (await make(client, admin)).status_code == 201
    only_dutch = await make(
        client, admin, title="Enkel Nederlands", texts={"nl": "Dag {reference}"}
    )
    assert only_dutch.status_code == 201
    offered = {
        t["title"]: t
        for t in (
            await client.get(f"/v1/submissions/{sub['id']}/reply-templates", headers=admin)
        ).json()
    }
    assert offered["Ontvangen"]["language"] == "en"
    assert offered["Ontvangen"]["text"].startswith(f"Your report #{sub['id']}")
    # No English text: the city's first language, rather than nothing.
    assert offered["Enkel Nederlands"]["language"] == "nl"


@pytest.mark.parametrize(
    ("texts", "says"),
    [
        ({"nl": "Dag {naam}"}, "{naam}"),
        ({"nl": "Dag {reference!r}"}, "reference"),
        ({"nl": "Dag {reference.__class__}"}, "reference.__class__"),
        ({"nl": "Dag {reference:>99999}"}, "reference"),
        ({"nl": "Dag {"}, "brace"),
        ({"nl": "Dag {0}"}, "{0}"),
        ({"fr": "Bonjour"}, "not in 'fr'"),
        ({"nl": "   "}, "at least one language"),
    ],
)
async def test_a_template_that_cannot_be_filled_is_refused_when_saved(
    client: httpx.AsyncClient, texts: dict, says: str
) -> None:
    admin = await auth_headers(client, ADMIN)
    problem = assert_problem(await make(client, admin, texts=texts), 422, "invalid-template")
    assert says in problem["detail"]
    listed = await client.get("/v1/reply-templates", headers=admin)
    assert listed.json() == []  # nothing half-saved
    # Literal braces are written doubled.
    fine = await make(client, admin, texts={"nl": "{{niet}} {reference}"})
    assert fine.status_code == 201


async def test_unknown_category_and_status_are_refused(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    assert_problem(await make(client, admin, categories=["nope"]), 422, "invalid-template")
    assert_problem(await make(client, admin, status="closed"), 422, "validation")


async def test_who_may_manage_and_use_templates(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    made = (await make(client, admin)).json()
    moderator = await auth_headers(client, MODERATOR)
    assert_problem(await make(client, moderator), 403, "missing-role")
    assert (await client.get("/v1/reply-templates", headers=moderator)).status_code == 200
    analyst = await auth_headers(client, "analyst@mechelen.demo")
    assert_problem(await client.get("/v1/reply-templates", headers=analyst), 403, "missing-role")
    communicator = await auth_headers(client, "werf@mechelen.demo")
    assert (await client.get("/v1/reply-templates", headers=communicator)).status_code == 403
    # Another municipality's admin does not find it at all.
    mons = await auth_headers(client, "admin@mons.demo")
    assert (await client.get("/v1/reply-templates", headers=mons)).json() == []
    assert_problem(
        await client.get(f"/v1/reply-templates/{made['id']}", headers=mons), 404, "not-found"
    )
    assert_problem(
        await client.patch(
            f"/v1/reply-templates/{made['id']}", headers={**mons, "If-Match": '"1"'},
            json={"title": "Overgenomen"},
        ), 404, "not-found",
    )  # fmt: skip


async def test_changes_need_the_version_and_are_audited(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    made = (await make(client, admin)).json()
    url = f"/v1/reply-templates/{made['id']}"
    assert_problem(
        await client.patch(url, headers=admin, json={"title": "X"}), 428, "precondition-required"
    )
    changed = await client.patch(
        url, headers={**admin, "If-Match": '"1"'}, json={"title": "Bevestigd", "status": None}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["title"] == "Bevestigd"
    assert_problem(
        await client.patch(url, headers={**admin, "If-Match": '"1"'}, json={"suggest": True}),
        412,
        "precondition-failed",
    )
    # A bad placeholder in a change is refused the same way, and changes nothing.
    assert_problem(
        await client.patch(
            url, headers={**admin, "If-Match": '"2"'}, json={"texts": {"nl": "{wie}"}}
        ), 422, "invalid-template",
    )  # fmt: skip
    assert (await client.get(url, headers=admin)).json()["version"] == 2
    deleted = await client.delete(url, headers={**admin, "If-Match": '"2"'})
    assert deleted.status_code == 204
    assert (await client.get(url, headers=admin)).status_code == 404
    log = (await client.get("/v1/audit", headers=admin)).json()["items"]
    actions = [e["action"] for e in log if e.get("object_type") == "reply_template"]
    assert actions[:3] == [
        "reply_template.deleted", "reply_template.updated", "reply_template.created",
    ]  # fmt: skip


@pytest.mark.dialect
async def test_same_if_match_from_two_admins_one_wins(
    servers: list[str],  # noqa: F811
    http: httpx.AsyncClient,  # noqa: F811
) -> None:
    a, b = servers[0], servers[-1]
    headers = await bearer(http, a, ADMIN)
    made = []
    for i in range(10):
        answer = await http.post(
            f"{a}/v1/reply-templates", headers=headers,
            json={"title": f"Race {i}", "texts": {"nl": "Dag {reference}"}},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        made.append(answer.json())

    async def change(url: str, template: dict, title: str) -> httpx.Response:
        return await http.patch(
            f"{url}/v1/reply-templates/{template['id']}",
            headers={**headers, "If-Match": '"1"'},
            json={"title": title},
        )

    pairs = await asyncio.gather(
        *(asyncio.gather(change(a, t, "Eerste"), change(b, t, "Tweede")) for t in made)
    )
    for first, second in pairs:
        assert sorted([first.status_code, second.status_code]) == [200, 412]
    for template in made:
        now = (await http.get(f"{a}/v1/reply-templates/{template['id']}", headers=headers)).json()
        assert now["version"] == 2


async def test_bulk_sends_each_its_own_reply(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, ADMIN)
    moderator = await auth_headers(client, MODERATOR)
    general = (await make(client, admin, title="Bevestigd", status="acknowledged",
                          texts={"nl": "Melding {reference} ({category}) is {status}."})).json()  # fmt: skip
    page = await client.get(
        "/v1/submissions", headers=moderator, params={"status": "new", "kind": "report"}
    )
    items = page.json()["items"]
    # Three reports, not all of one category.
    other = next(s for s in items if s["category"]["code"] != items[0]["category"]["code"])
    subs = [items[0], other, next(s for s in items if s["id"] not in (items[0]["id"], other["id"]))]
    done = await client.post(
        "/v1/submissions/bulk", headers=moderator,
        json={"ids": [s["id"] for s in subs], "changes": {"status": "acknowledged"},
              "reply_template_id": general["id"]},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["succeeded"] == 3
    for s in subs:
        detail = (await client.get(f"/v1/submissions/{s['id']}", headers=moderator)).json()
        [reply] = [h["text"] for h in detail["history"] if h["kind"] == "reply"]
        name = s["category"]["name"]["nl"]
        assert reply == f"Melding #{s['id']} ({name}) is Bevestigd."
        assert detail["first_response_at"] is not None
    # A template for one category: the others are refused one by one, and left as they were.
    pinned = (await make(client, admin, title="Alleen dit", categories=[subs[0]["category"]["code"]],
                         texts={"nl": "Opgelost: {reference}."})).json()  # fmt: skip
    resolved = await client.post(
        "/v1/submissions/bulk", headers=moderator,
        json={"ids": [s["id"] for s in subs], "changes": {"status": "resolved"},
              "reply_template_id": pinned["id"]},
    )  # fmt: skip
    results = {r["id"]: r for r in resolved.json()["results"]}
    for s in subs:
        fits = s["category"]["code"] == subs[0]["category"]["code"]
        assert results[s["id"]]["ok"] is fits
        if not fits:
            assert results[s["id"]]["problem"]["type"] == "/problems/invalid-template"
        now = (await client.get(f"/v1/submissions/{s['id']}", headers=moderator)).json()
        assert now["status"] == ("resolved" if fits else "acknowledged")
    # Another city's template is not found: the whole request is refused.
    mons = await auth_headers(client, "admin@mons.demo")
    theirs = (await make(client, mons, texts={"fr": "Merci {reference}"})).json()
    refused = await client.post(
        "/v1/submissions/bulk", headers=moderator,
        json={"ids": [subs[0]["id"]], "changes": {"priority": "high"},
              "reply_template_id": theirs["id"]},
    )  # fmt: skip
    assert_problem(refused, 404, "not-found")
