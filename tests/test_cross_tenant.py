"""Every route that takes an id, called with another municipality's objects: 404, exactly
as if they did not exist, and nothing changed."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import assert_problem, auth_headers


@pytest.mark.dialect
async def test_every_id_route_hides_other_tenants(client: httpx.AsyncClient, app: FastAPI) -> None:
    mechelen = await auth_headers(client, "admin@mechelen.demo")
    hood = (await client.get("/v1/neighbourhoods", headers=mechelen)).json()["items"][0]["id"]
    message = (
        await client.post(
            "/v1/messages",
            headers={**mechelen, "Idempotency-Key": uuid.uuid4().hex},
            json={"kind": "announcement", "title": {"nl": "Geheim"}, "body": {"nl": "x"},
                  "targets": "all", "action": "draft"},
        )
    ).json()  # fmt: skip
    submission = (
        await client.get("/v1/submissions", headers=mechelen, params={"limit": 1})
    ).json()["items"][0]
    token = (
        await client.post(
            "/v1/tokens", headers=mechelen, json={"name": "t", "scopes": ["stats:read"]}
        )
    ).json()

    mons = await auth_headers(client, "admin@mons.demo")
    sid, mid = submission["id"], message["id"]
    calls = [
        ("GET", f"/v1/neighbourhoods/{hood}", None, {}),
        ("GET", f"/v1/messages/{mid}", None, {}),
        ("PUT", f"/v1/messages/{mid}", {"kind": "announcement", "title": {"fr": "x"}, "body": {"fr": "x"}, "targets": "all"}, {"If-Match": '"1"'}),
        ("POST", f"/v1/messages/{mid}/publish", None, {"Idempotency-Key": uuid.uuid4().hex}),
        ("POST", f"/v1/messages/{mid}/withdraw", None, {}),
        ("GET", f"/v1/submissions/{sid}", None, {}),
        ("PATCH", f"/v1/submissions/{sid}", {"priority": "urgent"}, {"If-Match": f'"{submission["version"]}"'}),
        ("POST", f"/v1/submissions/{sid}/replies", {"text": "x"}, {}),
        ("POST", f"/v1/submissions/{sid}/notes", {"text": "x"}, {}),
        ("POST", f"/v1/submissions/{sid}/duplicate", {"of": sid}, {"If-Match": f'"{submission["version"]}"'}),
        ("GET", f"/v1/submissions/{sid}/suggestions", None, {}),
        ("DELETE", f"/v1/tokens/{token['id']}", None, {}),
        ("GET", "/v1/stats/overview", None, {}),
    ]  # fmt: skip
    for method, path, body, extra in calls:
        params = {"neighbourhood": hood} if path == "/v1/stats/overview" else None
        response = await client.request(
            method, path, headers={**mons, **extra}, json=body, params=params
        )
        assert_problem(response, 404, "not-found")
    # The bulk route reports the foreign id as not found, one by one.
    bulk = await client.post(
        "/v1/submissions/bulk", headers=mons, json={"ids": [sid], "changes": {"priority": "low"}}
    )
    assert bulk.json()["results"][0]["status"] == 404
    # And nothing changed on the Mechelen side.
    after = (await client.get(f"/v1/submissions/{sid}", headers=mechelen)).json()
    assert after["version"] == submission["version"] and after["priority"] == submission["priority"]
    assert (await client.get(f"/v1/messages/{mid}", headers=mechelen)).json()["state"] == "draft"
    still = await client.get("/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert still.status_code == 200
