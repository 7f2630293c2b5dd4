"""Organisation scoping, agency limits and role checks on every route."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import assert_problem, auth_headers


async def all_pages(client: httpx.AsyncClient, headers: dict[str, str], limit: int) -> list[dict]:
    items: list[dict] = []
    params: dict[str, str | int] = {"limit": limit}
    while True:
        page = (await client.get("/v1/neighbourhoods", headers=headers, params=params)).json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


async def test_municipality_sees_all_its_neighbourhoods_paged(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "officer@mechelen.demo")
    items = await all_pages(client, headers, limit=7)
    names = [n["name"] for n in items]
    assert len(items) == 20 and names == sorted(names)
    assert len({n["id"] for n in items}) == 20
    battel = next(n for n in items if n["name"] == "Battel")
    assert battel["total_households"] == 1300
    found = await client.get("/v1/neighbourhoods", headers=headers, params={"q": "begijn"})
    assert [n["name"] for n in found.json()["items"]] == ["Groot Begijnhof"]


async def test_the_hague_pilot_has_ten_neighbourhoods(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "officer@denhaag.demo")
    items = await all_pages(client, headers, limit=200)
    assert len(items) == 10
    # 4,100 registered households were 12% of these neighbourhoods.
    assert round(4100 / sum(n["total_households"] for n in items), 2) == 0.12


async def test_agency_sees_only_its_neighbourhoods(client: httpx.AsyncClient) -> None:
    municipality = await auth_headers(client, "officer@mechelen.demo")
    all_hoods = {n["name"]: n["id"] for n in await all_pages(client, municipality, 50)}
    agency = await auth_headers(client, "ocmw@mechelen.demo")
    mine = await all_pages(client, agency, 50)
    assert sorted(n["name"] for n in mine) == ["Arsenaal", "Battel", "Heihoek", "Nekkerspoel"]
    ok = await client.get(f"/v1/neighbourhoods/{all_hoods['Battel']}", headers=agency)
    assert ok.status_code == 200 and ok.json()["name"] == "Battel"
    # Same municipality, outside the agency's subset: as good as missing.
    outside = await client.get(f"/v1/neighbourhoods/{all_hoods['Ragheno']}", headers=agency)
    missing = await client.get("/v1/neighbourhoods/999999", headers=agency)
    assert assert_problem(outside, 404, "not-found") == {
        **assert_problem(missing, 404, "not-found"),
        "instance": outside.json()["instance"],
    }


async def test_other_municipality_is_404(client: httpx.AsyncClient) -> None:
    mons = await auth_headers(client, "officer@mons.demo")
    mons_hoods = await all_pages(client, mons, 50)
    assert len(mons_hoods) == 16
    mechelen = await auth_headers(client, "officer@mechelen.demo")
    for hood in mons_hoods[:3]:
        response = await client.get(f"/v1/neighbourhoods/{hood['id']}", headers=mechelen)
        assert_problem(response, 404, "not-found")


async def test_audit_is_for_admins_and_scoped(client: httpx.AsyncClient) -> None:
    for email in ("officer@mechelen.demo", "analyst@mechelen.demo", "ocmw@mechelen.demo"):
        headers = await auth_headers(client, email)
        body = assert_problem(await client.get("/v1/audit", headers=headers), 403, "missing-role")
        assert body["missing_roles"] == ["admin"] and "admin" in body["detail"]
    await auth_headers(client, "officer@mons.demo")
    admin = await auth_headers(client, "admin@mechelen.demo")
    entries = (await client.get("/v1/audit", headers=admin)).json()["items"]
    assert entries, "sign-ins are audited"
    assert all(e["action"].startswith("auth.") for e in entries)
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)
    # The Mons sign-in is not in Mechelen's log; Mechelen's agency is not either.
    mons_admin = await auth_headers(client, "admin@mons.demo")
    mons_entries = (await client.get("/v1/audit", headers=mons_admin)).json()["items"]
    assert not set(ids) & {e["id"] for e in mons_entries}
    assert len(entries) == 3  # officer, analyst, admin of Mechelen; the agency is its own org


@pytest.mark.dialect
async def test_audit_pages_and_filters(client: httpx.AsyncClient) -> None:
    admin = await auth_headers(client, "admin@mechelen.demo")
    for _ in range(3):
        await auth_headers(client, "officer@mechelen.demo")
    first = (await client.get("/v1/audit", headers=admin, params={"limit": 2})).json()
    second = (
        await client.get(
            "/v1/audit", headers=admin, params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert first["items"][-1]["id"] > second["items"][0]["id"]
    logins = (await client.get("/v1/audit", headers=admin, params={"action": "auth.login"})).json()[
        "items"
    ]
    assert {e["action"] for e in logins} == {"auth.login"}
