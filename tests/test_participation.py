"""Surveys and citizen budgets, resident side to results, on SQLite and PostgreSQL: each
question type counted, answers that do not fit refused, one answer per household (also under
concurrent requests, two server processes on PostgreSQL), proposals decided by staff with
the reason the resident reads, votes within the budget, CONSUL's winning set, the small-number
rule everywhere a neighbourhood's count shows, ideas linked to their call."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import assert_problem, auth_headers
from tests.test_races import bearer, http, servers  # noqa: F401 - fixtures

ADMIN = "admin@mechelen.demo"
OFFICER = "officer@mechelen.demo"
MODERATOR = "moderator@mechelen.demo"
QUESTIONS = [
    {"type": "single", "question": {"nl": "Voelt u zich thuis in de buurt?"},
     "choices": [{"nl": "Ja"}, {"nl": "Nee"}]},
    {"type": "multiple", "question": {"nl": "Wat mist u?"}, "max_choices": 2,
     "choices": [{"nl": "Groen"}, {"nl": "Bankjes"}, {"nl": "Speelplein"}]},
    {"type": "scale", "question": {"nl": "Hoe tevreden bent u over de straatverlichting?"}},
    {"type": "open", "question": {"nl": "Wat wilt u ons nog zeggen?"}},
]  # fmt: skip


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def resident_token(client: httpx.AsyncClient, base: str = "") -> dict[str, str]:
    """The resident side's API token: an admin's, with `participation:write`."""
    admin = await bearer_for(client, base, ADMIN)
    made = await client.post(
        f"{base}/v1/tokens", headers=admin,
        json={"name": "resident app", "scopes": ["participation:write"]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


async def bearer_for(client: httpx.AsyncClient, base: str, email: str) -> dict[str, str]:
    return await bearer(client, base, email) if base else await auth_headers(client, email)


async def hoods(client: httpx.AsyncClient, headers: dict, base: str = "") -> list[dict]:
    page = await client.get(f"{base}/v1/neighbourhoods", headers=headers, params={"limit": 200})
    return sorted(page.json()["items"], key=lambda n: n["name"])


async def publish(
    client: httpx.AsyncClient, headers: dict, kind: str, base: str = "", **fields: Any
) -> dict:
    body = {
        "kind": kind, "title": {"nl": f"Een {kind}"}, "body": {"nl": "Doe mee."},
        "targets": "all", "action": "publish", **fields,
    }  # fmt: skip
    made = await client.post(
        f"{base}/v1/messages", headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, json=body
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def survey(client: httpx.AsyncClient, base: str = "", **fields: Any) -> dict:
    officer = await bearer_for(client, base, OFFICER)
    details = {"questions": QUESTIONS, "closes_at": later(days=7)}
    return await publish(client, officer, "survey", base, survey=details, **fields)


def response(key: str, household: str, hood: int, **answers: Any) -> dict:
    return {
        "id": key, "household": household, "neighbourhood_id": hood,
        "answers": answers.get("answers") or [
            {"question": 0, "choice": answers.get("single", 0)},
            {"question": 1, "choices": answers.get("multiple", [0, 2])},
            {"question": 2, "value": answers.get("scale", 4)},
            {"question": 3, "text": answers.get("text", "Meer bomen graag.")},
        ],
    }  # fmt: skip


@pytest.mark.dialect
async def test_each_question_type_is_counted_with_small_numbers_hidden(
    client: httpx.AsyncClient,
) -> None:
    officer = await auth_headers(client, OFFICER)
    resident = await resident_token(client)
    first, second = (await hoods(client, officer))[:2]
    message = await survey(client)
    url = f"/v1/participation/surveys/{message['id']}/responses"
    # Six households of the first neighbourhood, two of the second.
    for i in range(6):
        answer = response(
            f"r{i}", f"h{i}", first["id"], single=i % 2, multiple=[0, 1] if i < 3 else [2],
            scale=1 + i % 5, text=f"Antwoord {i}: meer groen",
        )  # fmt: skip
        sent = await client.post(url, headers=resident, json=answer)
        assert sent.status_code == 201, sent.text
        assert sent.json() == {"message_id": message["id"], "duplicate": False}
    for i in range(2):
        answer = response(f"s{i}", f"g{i}", second["id"], text="Een bankje aan de kerk")
        assert (await client.post(url, headers=resident, json=answer)).status_code == 201
    # The open question may stay empty.
    quiet = response("q", "quiet", first["id"])
    quiet["answers"] = quiet["answers"][:3]
    assert (await client.post(url, headers=resident, json=quiet)).status_code == 201

    got = await client.get(f"/v1/messages/{message['id']}/results", headers=officer)
    assert got.status_code == 200, got.text
    results = got.json()
    assert results["kind"] == "survey" and results["open"] is True
    assert results["count"] == 9
    assert results["households_reached"] == message["reach_registered"]
    assert results["rate"] == pytest.approx(9 / message["reach_registered"])
    single, multiple, scale, words = results["questions"]
    assert [c["count"] for c in single["choices"]] == [3 + 3, 3]  # i odd: 3; plus 2 + quiet
    assert single["choices"][0]["share"] == pytest.approx(6 / 9)
    assert multiple["max_choices"] == 2
    assert [c["count"] for c in multiple["choices"]] == [3 + 3, 3, 3 + 3]
    assert [c["count"] for c in scale["choices"]] == [2, 1, 1, 1 + 3, 1]
    assert scale["average"] == pytest.approx((1 + 2 + 3 + 4 + 5 + 1 + 4 * 3) / 9)
    assert words["answered"] == 8 and words["choices"] == []
    assert results["open_answers"] == 8
    assert [d["count"] for d in results["over_time"]] == [9]
    # The breakdown: the second "< 5"; the first "hidden" beside it (the total minus the first
    # would give the second); the neighbourhoods nobody answered in, 0.
    by_name = {n["name"]: n for n in results["neighbourhoods"]}
    assert by_name[first["name"]]["count"] == "hidden" and by_name[first["name"]]["rate"] is None
    assert by_name[second["name"]]["count"] == "< 5" and by_name[second["name"]]["rate"] is None
    assert all(
        n["count"] == 0
        for n in results["neighbourhoods"]
        if n["id"] not in (first["id"], second["id"])
    )
    # Filtered on a suppressed neighbourhood: no count, no choice, no average, no day.
    small = (
        await client.get(
            f"/v1/messages/{message['id']}/results", headers=officer,
            params={"neighbourhood": second["id"]},
        )
    ).json()  # fmt: skip
    assert small["count"] == "< 5" and small["rate"] is None
    assert all(
        c["count"] == "hidden" and c["share"] is None for c in small["questions"][0]["choices"]
    )
    assert small["questions"][2]["average"] is None and small["over_time"] == []
    big = (
        await client.get(
            f"/v1/messages/{message['id']}/results", headers=officer,
            params={"neighbourhood": first["id"]},
        )
    ).json()  # fmt: skip
    assert big["count"] == "hidden" and [n["name"] for n in big["neighbourhoods"]] == [
        first["name"]
    ]
    assert big["questions"][2]["average"] is None and big["over_time"] == []
    # CSV: the same rule.
    table = await client.get(
        f"/v1/messages/{message['id']}/results.csv", headers=officer,
        params={"neighbourhood": second["id"]},
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0] == ["section", "item", "label", "count", "share"]
    assert rows[1][:4] == ["total", "", "", "< 5"]
    assert all(r[3] in ("< 5", "hidden") for r in rows[1:]) and len(rows) > 5
    # Open answers: searchable, no neighbourhood named (both are suppressed).
    answers = await client.get(
        f"/v1/messages/{message['id']}/open-answers", headers=officer,
        params={"q": "GROEN", "limit": 4},
    )  # fmt: skip
    page = answers.json()
    assert len(page["items"]) == 4 and page["next_cursor"]
    assert all("groen" in a["text"] for a in page["items"])
    assert {a["neighbourhood_name"] for a in page["items"]} == {None}
    assert "household" not in page["items"][0]
    rest = await client.get(
        f"/v1/messages/{message['id']}/open-answers", headers=officer,
        params={"q": "groen", "limit": 4, "cursor": page["next_cursor"]},
    )  # fmt: skip
    assert len(rest.json()["items"]) == 2 and rest.json()["next_cursor"] is None
    exported = await client.get(f"/v1/messages/{message['id']}/open-answers.csv", headers=officer)
    lines = list(csv.reader(io.StringIO(exported.text)))
    assert lines[0] == ["question", "day", "neighbourhood", "text"]
    assert ["3", lines[1][1], "", "Een bankje aan de kerk"] in lines  # not named: < 5
    assert len(lines) == 1 + 8
    # The dashboard's figures count them as survey responses.
    assert (await client.get(f"/v1/messages/{message['id']}", headers=officer)).json()[
        "survey_responses"
    ] == 9


@pytest.mark.parametrize(
    ("answers", "question"),
    [
        ([{"question": 0, "choices": [0]}], 0),  # a single question answered as multiple
        ([{"question": 0, "choice": 2}], 0),  # no such choice
        ([{"question": 0, "choice": 0}, {"question": 1, "choices": [0, 1, 2]}], 1),  # > max
        ([{"question": 0, "choice": 0}, {"question": 1, "choices": [1, 1]}], 1),  # twice
        ([{"question": 0, "choice": 0}, {"question": 1, "choices": [0]}], 2),  # unanswered
        ([{"question": 9, "choice": 0}], 9),  # no such question
        ([{"question": 0, "choice": 0}, {"question": 0, "choice": 1}], 0),  # answered twice
        ([{"question": 0, "choice": 0}, {"question": 1, "choices": [0]},
          {"question": 2, "text": "vijf"}], 2),  # a scale answered in words
    ],
)  # fmt: skip
async def test_answers_that_do_not_fit_are_refused(
    client: httpx.AsyncClient, answers: list[dict], question: int
) -> None:
    resident = await resident_token(client)
    officer = await auth_headers(client, OFFICER)
    hood = (await hoods(client, officer))[0]["id"]
    message = await survey(client)
    url = f"/v1/participation/surveys/{message['id']}/responses"
    refused = await client.post(
        url, headers=resident, json=response("r", "h", hood, answers=answers)
    )
    assert assert_problem(refused, 422, "invalid-answer")["question"] == question
    # Nothing was counted, and the household may still answer.
    assert (
        await client.post(url, headers=resident, json=response("r", "h", hood))
    ).status_code == 201


async def test_one_answer_per_household_and_only_while_open(client: httpx.AsyncClient) -> None:
    resident = await resident_token(client)
    officer = await auth_headers(client, OFFICER)
    everywhere = await hoods(client, officer)
    message = await survey(client, targets=[everywhere[0]["id"]])
    url = f"/v1/participation/surveys/{message['id']}/responses"
    hood = everywhere[0]["id"]
    assert (
        await client.post(url, headers=resident, json=response("r1", "h", hood))
    ).status_code == 201
    again = await client.post(url, headers=resident, json=response("r1", "h", hood))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    later_answer = await client.post(
        url, headers=resident, json=response("r2", "h", hood, single=1)
    )
    assert_problem(later_answer, 409, "already-taken-part")
    other_body = await client.post(url, headers=resident, json=response("r1", "h2", hood))
    assert_problem(other_body, 422, "idempotency-key-reused")
    outside = await client.post(
        url, headers=resident, json=response("r3", "x", everywhere[1]["id"])
    )
    assert_problem(outside, 403, "not-targeted")
    nul = response("r4", "y", hood, text="a\x00b")
    assert_problem(await client.post(url, headers=resident, json=nul), 422, "validation")
    # Staff tokens and people cannot answer in a resident's name.
    assert_problem(
        await client.post(url, headers=officer, json=response("r5", "z", hood)), 403, "missing-role"
    )
    # Closed early (audited): no more answers; results stay.
    closed = await client.post(f"/v1/messages/{message['id']}/close", headers=officer)
    assert closed.status_code == 200 and closed.json()["closed_at"]
    late = await client.post(url, headers=resident, json=response("r6", "w", hood))
    assert_problem(late, 409, "participation-closed")
    assert_problem(
        await client.post(f"/v1/messages/{message['id']}/close", headers=officer),
        409,
        "invalid-state",
    )
    results = (await client.get(f"/v1/messages/{message['id']}/results", headers=officer)).json()
    assert results["open"] is False and results["closed_at"]
    # One household alone: the total and its choices are held back (they would be its own).
    assert results["count"] == "< 5"
    assert {c["count"] for c in results["questions"][0]["choices"]} == {"hidden"}
    admin = await auth_headers(client, ADMIN)
    log = (await client.get("/v1/audit", headers=admin, params={"limit": 20})).json()["items"]
    assert any(e["action"] == "message.closed" for e in log)
    # A message that is not a survey has no answers to take.
    note = await publish(client, officer, "announcement")
    assert_problem(
        await client.post(f"/v1/participation/surveys/{note['id']}/responses", headers=resident,
                          json=response("r7", "v", hood)), 404, "not-found",
    )  # fmt: skip


@pytest.mark.dialect
async def test_a_citizen_budget_from_proposals_to_the_winning_set(
    client: httpx.AsyncClient,
) -> None:
    resident = await resident_token(client)
    officer = await auth_headers(client, OFFICER)
    moderator = await auth_headers(client, MODERATOR)
    hood = (await hoods(client, officer))[0]
    budget = await publish(
        client, officer, "citizen_budget",
        budget={"budget_eur": 50_000, "deadline": later(days=30)},
    )  # fmt: skip
    base = f"/v1/participation/budgets/{budget['id']}"
    costs = {"Speeltuin": 30_000, "Bomen": 20_000, "Bankjes": 15_000, "Fietsenstalling": 5_000,
             "Zwembad": 900_000}  # fmt: skip
    made = {}
    for i, (title, cost) in enumerate(costs.items()):
        proposal = await client.post(
            f"{base}/proposals", headers=resident,
            json={"id": f"p{i}", "household": f"h{i}", "neighbourhood_id": hood["id"],
                  "title": title, "description": f"{title} in de buurt.", "cost_eur": cost},
        )  # fmt: skip
        assert proposal.status_code == 201, proposal.text
        assert proposal.json()["state"] == "proposed"
        made[title] = proposal.json()
    listed = (await client.get(f"/v1/messages/{budget['id']}/proposals", headers=officer)).json()
    assert {p["title"] for p in listed} == set(costs)
    assert all("household" not in p for p in listed)

    async def decide(
        title: str, decision: str, reason: str | None = None, version: int = 1
    ) -> httpx.Response:
        return await client.post(
            f"/v1/proposals/{made[title]['id']}/decision",
            headers={**officer, "If-Match": f'"{version}"'},
            json={"decision": decision, **({"reason": reason} if reason else {})},
        )

    assert_problem(await decide("Zwembad", "reject"), 422, "validation")  # a reason is needed
    assert (await decide("Zwembad", "reject", "Ver boven het budget.")).status_code == 200
    for title in ("Speeltuin", "Bomen", "Bankjes", "Fietsenstalling"):
        assert (await decide(title, "accept")).status_code == 200
    assert_problem(await decide("Bomen", "accept", version=1), 412, "precondition-failed")
    forbidden = await client.post(
        f"/v1/proposals/{made['Bomen']['id']}/decision",
        headers={**moderator, "If-Match": '"2"'}, json={"decision": "accept"},
    )  # fmt: skip
    assert_problem(forbidden, 403, "missing-role")
    # The resident reads why theirs was rejected.
    status = await client.get(
        f"/v1/participation/proposals/{made['Zwembad']['id']}", headers=resident
    )
    assert (
        status.json()["state"] == "rejected" and status.json()["reason"] == "Ver boven het budget."
    )

    async def vote(key: str, household: str, *titles: str) -> httpx.Response:
        return await client.post(
            f"{base}/votes", headers=resident,
            json={"id": key, "household": household, "neighbourhood_id": hood["id"],
                  "proposals": [made[t]["id"] for t in titles]},
        )  # fmt: skip

    over = await vote("v0", "a", "Speeltuin", "Bomen", "Bankjes")
    assert assert_problem(over, 422, "over-budget")["total_eur"] == 65_000
    assert_problem(await vote("v0", "a", "Zwembad"), 422, "invalid-answer")
    # Votes: Speeltuin 6, Bankjes 5, Bomen 4, Fietsenstalling 2.
    ballots = [("Speeltuin", "Bankjes")] * 3 + [("Speeltuin", "Fietsenstalling")] * 2 + [
        ("Speeltuin",), ("Bankjes", "Bomen")] + [("Bomen",)] * 2 + [("Bankjes", "Bomen")]  # fmt: skip
    for i, ballot in enumerate(ballots):
        assert (await vote(f"v{i}", f"voter{i}", *ballot)).status_code == 201
    assert_problem(await vote("again", "voter0", "Bomen"), 409, "already-taken-part")
    assert (await vote("v0", "voter0", *ballots[0])).json()["duplicate"] is True
    # Voted for: no longer rejected.
    assert_problem(await decide("Bomen", "reject", "Toch niet.", version=2), 409, "invalid-state")

    results = (await client.get(f"/v1/messages/{budget['id']}/results", headers=officer)).json()
    ranked = [(p["title"], p["votes"], p["winning"]) for p in results["proposals"]]
    # Greedy by votes: Speeltuin (30k) fits, Bankjes (15k) fits, Bomen (20k) does not,
    # Fietsenstalling (5k) does.
    assert ranked == [
        ("Speeltuin", 6, True), ("Bankjes", 5, True), ("Bomen", 4, False),
        ("Fietsenstalling", 2, True),
    ]  # fmt: skip
    assert results["winning_cost_eur"] == 50_000 and results["budget_eur"] == 50_000
    assert "CONSUL" in results["method"]
    assert results["count"] == len(ballots)
    # In one neighbourhood's view, small vote counts are hidden.
    per_hood = (
        await client.get(
            f"/v1/messages/{budget['id']}/results", headers=officer,
            params={"neighbourhood": hood["id"]},
        )
    ).json()  # fmt: skip
    assert [p["votes"] for p in per_hood["proposals"]] == [6, 5, "< 5", "< 5"]
    admin = await auth_headers(client, ADMIN)
    log = (await client.get("/v1/audit", headers=admin, params={"limit": 50})).json()["items"]
    actions = [e["action"] for e in log]
    assert actions.count("proposal.accepted") == 4 and actions.count("proposal.rejected") == 1


async def test_ideas_answer_a_call(client: httpx.AsyncClient) -> None:
    officer = await auth_headers(client, OFFICER)
    moderator = await auth_headers(client, MODERATOR)
    admin = await auth_headers(client, ADMIN)
    call = await publish(
        client, officer, "call_for_ideas", budget={"budget_eur": 0, "deadline": later(days=10)}
    )
    token = await client.post(
        "/v1/tokens", headers=admin, json={"name": "app", "scopes": ["open311:submit"]}
    )
    key = token.json()["token"]
    categories = (await client.get("/v1/categories", headers=moderator)).json()
    idea = next(c for c in categories if c["kind"] == "idea")
    report = next(c for c in categories if c["kind"] == "report")

    async def send(code: str, call_id: object) -> httpx.Response:
        return await client.post(
            "/open311/v2/requests.json",
            data={"api_key": key, "jurisdiction_id": "mechelen", "service_code": code,
                  "lat": "51.03", "long": "4.48", "description": "Een moestuin op het plein",
                  "attribute[call]": str(call_id)},
        )  # fmt: skip

    sent = await send(idea["code"], call["id"])
    assert sent.status_code == 200, sent.text
    sub_id = sent.json()[0]["service_request_id"]
    assert (await send(report["code"], call["id"])).status_code == 400  # a report is no idea
    assert (await send(idea["code"], 99999)).status_code == 400
    assert (await send(idea["code"], "x")).status_code == 400
    linked = await client.get("/v1/submissions", headers=moderator, params={"message": call["id"]})
    assert [s["id"] for s in linked.json()["items"]] == [sub_id]
    assert linked.json()["items"][0]["message_id"] == call["id"]
    results = (await client.get(f"/v1/messages/{call['id']}/results", headers=officer)).json()
    # One idea, from one neighbourhood: the same small-number rule as answers and votes.
    assert results["count"] == "< 5" and results["ideas_by_category"] == {idea["code"]: "hidden"}


@pytest.mark.dialect
async def test_concurrent_answers_and_votes_count_once(
    servers: list[str],  # noqa: F811
    http: httpx.AsyncClient,  # noqa: F811
) -> None:
    """The same household from many requests at once (two processes on PostgreSQL): one
    answer, one vote, counters that add up."""
    a, b = servers[0], servers[-1]
    resident = await resident_token(http, a)
    officer = await bearer(http, a, OFFICER)
    hood = (await hoods(http, officer, a))[0]["id"]
    message = await survey(http, a)
    url = f"/v1/participation/surveys/{message['id']}/responses"
    sends = [
        http.post(f"{(a, b)[i % 2]}{url}", headers=resident, json=response(f"r{i}", "same", hood))
        for i in range(20)
    ]
    # And 30 households once each, all at the same time.
    sends += [
        http.post(f"{(a, b)[i % 2]}{url}", headers=resident, json=response(f"o{i}", f"h{i}", hood))
        for i in range(30)
    ]
    answers = await asyncio.gather(*sends)
    same = sorted(r.status_code for r in answers[:20])
    assert same == [201] + [409] * 19, [
        r.text for r in answers[:20] if r.status_code not in (201, 409)
    ]
    assert all(r.status_code == 201 for r in answers[20:])
    results = (await http.get(f"{a}/v1/messages/{message['id']}/results", headers=officer)).json()
    assert results["count"] == 31
    assert sum(c["count"] for c in results["questions"][0]["choices"]) == 31

    budget = await publish(
        http, officer, "citizen_budget", a, budget={"budget_eur": 10_000, "deadline": later(days=3)}
    )
    proposal = await http.post(
        f"{a}/v1/participation/budgets/{budget['id']}/proposals", headers=resident,
        json={"id": "p", "household": "h", "neighbourhood_id": hood, "title": "Bomen",
              "description": "Bomen.", "cost_eur": 8_000},
    )  # fmt: skip
    pid = proposal.json()["id"]
    accepted = await http.post(
        f"{a}/v1/proposals/{pid}/decision", headers={**officer, "If-Match": '"1"'},
        json={"decision": "accept"},
    )  # fmt: skip
    assert accepted.status_code == 200
    votes = await asyncio.gather(
        *(
            http.post(
                f"{(a, b)[i % 2]}/v1/participation/budgets/{budget['id']}/votes",
                headers=resident,
                json={
                    "id": f"v{i}",
                    "household": "same" if i < 10 else f"h{i}",
                    "neighbourhood_id": hood,
                    "proposals": [pid],
                },
            )
            for i in range(30)
        )
    )
    assert sorted(v.status_code for v in votes[:10]) == [201] + [409] * 9
    results = (await http.get(f"{a}/v1/messages/{budget['id']}/results", headers=officer)).json()
    assert results["count"] == 21 and results["proposals"][0]["votes"] == 21


def test_a_single_small_count_is_not_left_to_subtraction() -> None:
    """Beside a total, one "< 5" alone would be the total minus the others: the next
    smallest is held back too; a neighbourhood alone with a small count hides the total."""
    from server.services.disclosure import decide

    def marks(counts: dict[int, int]) -> tuple[list[object], object]:
        decision = decide(counts)
        return [decision.shown(h) for h in sorted(counts)], decision.total()

    assert marks({1: 12, 2: 3, 3: 40}) == (["hidden", "< 5", 40], 55)
    assert marks({1: 12, 2: 3, 3: 1, 4: 40}) == ([12, "< 5", "< 5", 40], 56)
    assert marks({1: 12, 2: 40}) == ([12, 40], 52)
    assert marks({1: 3, 2: 0, 3: 0}) == (["< 5", 0, 0], "< 5")
    assert marks({1: 7, 2: 2, 3: 6}) == ([7, "< 5", "hidden"], 15)  # the example
