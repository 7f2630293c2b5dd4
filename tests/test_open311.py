"""Open311 GeoReport v2: services, POST then GET in JSON and XML, the standard's errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.conftest import auth_headers

BASE = "/open311/v2"


async def open311_key(client: httpx.AsyncClient, email: str = "admin@mechelen.demo") -> str:
    headers = await auth_headers(client, email)
    response = await client.post(
        "/v1/tokens", headers=headers, json={"name": "fixmystreet", "scopes": ["open311:submit"]}
    )
    return response.json()["token"]


def form(key: str, **extra: str) -> dict[str, str]:
    return {
        "api_key": key,
        "jurisdiction_id": "mechelen",
        "service_code": "illegal-dumping",
        "lat": "51.0262",
        "long": "4.4780",
        "address_string": "Grote Markt 1, Mechelen",
        "email": "resident@example.org",
        "first_name": "Jan",
        "last_name": "Smit",
        "description": "Zakken afval naast de glasbol.",
        **extra,
    }


async def test_services_json_and_xml(client: httpx.AsyncClient) -> None:
    services = (
        await client.get(f"{BASE}/services.json", params={"jurisdiction_id": "mechelen"})
    ).json()
    codes = {s["service_code"] for s in services}
    assert {"sidewalk", "illegal-dumping", "greenery"} <= codes
    dumping = next(s for s in services if s["service_code"] == "illegal-dumping")
    assert dumping["service_name"] == "Sluikstort" and dumping["metadata"] is False
    assert dumping["type"] == "realtime" and dumping["group"] == "cleanliness"
    xml = await client.get(f"{BASE}/services.xml", params={"jurisdiction_id": "mechelen"})
    assert xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text == "false"
    definition = (
        await client.get(f"{BASE}/services/sidewalk.json", params={"jurisdiction_id": "mechelen"})
    ).json()
    assert definition == {"service_code": "sidewalk", "attributes": []}
    xml_def = ET.fromstring(
        (
            await client.get(
                f"{BASE}/services/sidewalk.xml", params={"jurisdiction_id": "mechelen"}
            )
        ).content
    )
    assert xml_def.tag == "service_definition" and xml_def.find("service_code").text == "sidewalk"


@pytest.mark.dialect
async def test_post_then_get_in_json_and_xml_and_in_the_inbox(client: httpx.AsyncClient) -> None:
    key = await open311_key(client)
    created = await client.post(f"{BASE}/requests.json", data=form(key))
    assert created.status_code == 200, created.text
    [answer] = created.json()
    request_id = answer["service_request_id"]
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    one = (
        await client.get(
            f"{BASE}/requests/{request_id}.json", params={"jurisdiction_id": "mechelen"}
        )
    ).json()
    assert isinstance(one, list) and len(one) == 1
    row = one[0]
    assert row["status"] == "open" and row["service_code"] == "illegal-dumping"
    assert row["description"] == "Zakken afval naast de glasbol." and row["long"] == 4.478
    assert row["agency_responsible"] == "Netheid" and row["requested_datetime"]
    assert "Jan" not in str(row) and "resident@example.org" not in str(row)
    xml = ET.fromstring(
        (
            await client.get(
                f"{BASE}/requests/{request_id}.xml", params={"jurisdiction_id": "mechelen"}
            )
        ).content
    )
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == str(
        request_id
    )
    xml_post = await client.post(
        f"{BASE}/requests.xml", data=form(key, description="Nog meer afval.")
    )
    assert ET.fromstring(xml_post.content).find("request/service_request_id") is not None

    # It is in the moderators' inbox, with the reporter's details for them only.
    moderator = await auth_headers(client, "moderator@mechelen.demo")
    inbox = (await client.get(f"/v1/submissions/{request_id}", headers=moderator)).json()
    assert inbox["source"] == "open311" and inbox["status"] == "new"
    assert inbox["reporter_name"] == "Jan Smit" and inbox["neighbourhood_name"]

    # A public reply becomes status_notes; resolving closes it.
    await client.post(
        f"/v1/submissions/{request_id}/replies", headers=moderator, json={"text": "Opgeruimd."}
    )
    version = inbox["version"]
    for status in ("acknowledged", "resolved"):
        changed = await client.patch(
            f"/v1/submissions/{request_id}",
            headers={**moderator, "If-Match": f'"{version}"'},
            json={"status": status},
        )
        assert changed.status_code == 200, changed.text
        version = changed.json()["version"]
    closed = (
        await client.get(
            f"{BASE}/requests/{request_id}.json", params={"jurisdiction_id": "mechelen"}
        )
    ).json()[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "Opgeruimd."
    listed = (
        await client.get(
            f"{BASE}/requests.json", params={"jurisdiction_id": "mechelen", "status": "closed"}
        )
    ).json()
    assert request_id in [r["service_request_id"] for r in listed]
    assert all(r["status"] == "closed" for r in listed)
    several = (
        await client.get(
            f"{BASE}/requests.json",
            params={"jurisdiction_id": "mechelen", "service_request_id": f"{request_id},999999"},
        )
    ).json()
    assert [r["service_request_id"] for r in several] == [request_id]


async def test_errors_in_the_standards_format(client: httpx.AsyncClient) -> None:
    key = await open311_key(client)
    wrong_key = await client.post(f"{BASE}/requests.json", data=form("bpt_wrong"))
    assert wrong_key.status_code == 403
    assert wrong_key.json() == [{"code": 403, "description": "Invalid api_key."}]
    xml = await client.post(f"{BASE}/requests.xml", data=form("bpt_wrong"))
    root = ET.fromstring(xml.content)
    assert xml.status_code == 403 and root.tag == "errors" and root.find("error/code").text == "403"
    unknown = await client.post(f"{BASE}/requests.json", data=form(key, jurisdiction_id="atlantis"))
    assert unknown.status_code == 404 and "jurisdiction_id" in unknown.json()[0]["description"]
    other_city = await client.post(f"{BASE}/requests.json", data=form(key, jurisdiction_id="mons"))
    assert other_city.status_code == 403
    missing = await client.get(f"{BASE}/services.json")
    assert missing.status_code == 400 and missing.json()[0]["code"] == 400
    no_location = form(key)
    for field in ("lat", "long", "address_string"):
        no_location.pop(field)
    assert (await client.post(f"{BASE}/requests.json", data=no_location)).status_code == 400
    bad_code = await client.post(f"{BASE}/requests.json", data=form(key, service_code="nope"))
    assert bad_code.status_code == 404
    not_found = await client.get(
        f"{BASE}/requests/999999.json", params={"jurisdiction_id": "mechelen"}
    )
    assert not_found.status_code == 404 and not_found.json()[0]["code"] == 404
    # A token without the open311:submit scope may not submit.
    headers = await auth_headers(client, "admin@mechelen.demo")
    stats_only = (
        await client.post(
            "/v1/tokens", headers=headers, json={"name": "s", "scopes": ["stats:read"]}
        )
    ).json()["token"]
    assert (await client.post(f"{BASE}/requests.json", data=form(stats_only))).status_code == 403


async def test_the_residents_language_is_recorded(client: httpx.AsyncClient) -> None:
    key = await open311_key(client)
    headers = await auth_headers(client, "moderator@mechelen.demo")

    async def language_of(data: dict, **request_headers: str) -> str | None:
        created = await client.post(f"{BASE}/requests.json", data=data, headers=request_headers)
        assert created.status_code == 200, created.text
        sub_id = created.json()[0]["service_request_id"]
        return (await client.get(f"/v1/submissions/{sub_id}", headers=headers)).json()["language"]

    assert await language_of(form(key, locale="en_GB")) == "en"
    assert await language_of(form(key), **{"Accept-Language": "fr-BE, en;q=0.8"}) == "en"
    assert await language_of(form(key), **{"Accept-Language": "nl-BE"}) == "nl"
    # A language Mechelen does not answer in is not recorded (replies go in Dutch).
    assert await language_of(form(key, locale="de")) is None
