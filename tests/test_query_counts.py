"""Statements per list page: the same few whatever the page's size (no query per row).

Each list route of /v1 is asked twice, for a small page and a large one (or a list with
few rows and with many more), and every statement the app's engine sends to the database
is counted; both counts must be equal and within the route's budget. The caller is
resolved once before counting (its statements are the caller cache's, not the list's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select, update

from server.models import Category, ReplyTemplate, StaffAccount, Submission
from tests.conftest import auth_headers, seed_demo_messages

pytestmark = pytest.mark.dialect

ADMIN = "admin@mechelen.demo"


@contextmanager
def counted(app: FastAPI) -> Iterator[list[str]]:
    """The statements the app sends to its database while the block runs (BEGIN aside)."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def statements(app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict) -> int:
    """How many statements one GET of `path` sends; the answer must be a 200 with rows."""
    await client.get("/v1/me", headers=headers)  # the caller resolved (again, after a write)
    with counted(app) as seen:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["items"] if isinstance(body, dict) and "items" in body else body
    assert rows, f"{path} answered no rows: nothing was measured"
    return len(seen)


async def _more_templates(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        for i in range(15):
            session.add(
                ReplyTemplate(municipality_id=1, title=f"Extra {i:02d}", texts={"nl": "Dank"})
            )
        await session.commit()


async def _more_staff(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        admin = await session.scalar(select(StaffAccount).where(StaffAccount.email == ADMIN))
        assert admin is not None
        for i in range(15):
            session.add(
                StaffAccount(
                    organisation_id=admin.organisation_id, email=f"extra{i}@mechelen.demo",
                    name=f"Extra {i:02d}", roles=["moderator"], password_hash="-",
                )
            )  # fmt: skip
        await session.commit()


async def _spread_assignees(app: FastAPI) -> None:
    # Open submissions over many colleagues and departments: more rows in each table.
    await _more_staff(app)
    async with app.state.sessionmaker() as session:
        staff = (await session.scalars(select(StaffAccount.id))).all()
        open_ids = (
            await session.scalars(select(Submission.id).where(Submission.status == "new"))
        ).all()
        for n, sub_id in enumerate(open_ids):
            await session.execute(
                update(Submission)
                .where(Submission.id == sub_id)
                .values(assignee_account_id=staff[n % len(staff)], department=f"Dienst {n % 9}")
            )
        await session.commit()


async def _more_categories(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        for i in range(15):
            session.add(
                Category(
                    municipality_id=1, code=f"extra-{i}", kind="report",
                    name={"nl": f"Extra {i}"}, department="Extra",
                )
            )  # fmt: skip
        await session.commit()


Grow = Callable[[FastAPI], Awaitable[None]]

# (small, large or None, what makes the list longer before asking `small` again, budget)
PAGES: dict[str, tuple[str, str | None, Grow | None, int]] = {
    "neighbourhoods": ("/v1/neighbourhoods?limit=2", "/v1/neighbourhoods?limit=50", None, 1),
    "submissions": ("/v1/submissions?limit=2", "/v1/submissions?limit=50", None, 1),
    "inbox filtered": (
        "/v1/submissions?limit=2&status=new&status=acknowledged&sort=due",
        "/v1/submissions?limit=50&status=new&status=acknowledged&sort=due",
        None,
        1,
    ),
    # The page with its authors' names, then the targets of all its messages.
    "messages": ("/v1/messages?limit=2", "/v1/messages?limit=50", None, 2),
    "audit": ("/v1/audit?limit=2", "/v1/audit?limit=50", None, 1),
    "tokens": ("/v1/tokens?limit=1", "/v1/tokens?limit=50", None, 1),
    "open answers": (
        "/v1/messages/{survey}/open-answers?limit=2",
        "/v1/messages/{survey}/open-answers?limit=50",
        None,
        4,  # the message, its neighbourhoods, their responses (who may be named), the page
    ),
    "proposals": (
        "/v1/messages/{budget}/proposals?state=rejected",
        "/v1/messages/{budget}/proposals",
        None,
        2,
    ),
    "templates": ("/v1/reply-templates", None, _more_templates, 1),
    "staff": ("/v1/staff", None, _more_staff, 1),
    "categories": ("/v1/categories", None, _more_categories, 1),
    "workload": ("/v1/submissions/workload", None, _spread_assignees, 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PAGES))
async def test_a_list_page_costs_the_same_statements_at_any_size(
    name: str, database_url: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await asyncio.to_thread(seed_demo_messages, database_url)
    headers = await auth_headers(client, ADMIN)
    for _ in range(3):  # rows for the tokens list, and audit entries
        made = await client.post(
            "/v1/tokens", json={"name": "script", "scopes": ["stats:read"]}, headers=headers
        )
        assert made.status_code == 201, made.text
    messages = (await client.get("/v1/messages?limit=50", headers=headers)).json()["items"]
    ids = {"budget": next(m["id"] for m in messages if m["kind"] == "citizen_budget")}
    for m in messages:  # the demo survey that has open answers
        answers = await client.get(f"/v1/messages/{m['id']}/open-answers", headers=headers)
        if m["kind"] == "survey" and answers.json()["items"]:
            ids["survey"] = m["id"]
    small, large, grow, budget = PAGES[name]
    small = small.format(**ids)
    few = await statements(app, client, small, headers)
    if large is not None:
        many = await statements(app, client, large.format(**ids), headers)
    else:
        assert grow is not None
        await grow(app)
        many = await statements(app, client, small, headers)
    assert few == many, f"{name}: {few} statements for the small page, {many} for the large"
    assert many <= budget, f"{name}: {many} statements, budget {budget}"
