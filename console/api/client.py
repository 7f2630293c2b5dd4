"""The async API client: typed methods over httpx, with refresh, retries and clear errors."""

from __future__ import annotations

import asyncio
import functools
import platform
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from console import __version__
from console.api.auth import BearerAuth, TokenState
from console.api.errors import (
    ApiError,
    AuthError,
    NotSignedIn,
    ProblemError,
    Unreachable,
    error_of,
)
from console.api.inert import inert_csv, inert_data
from console.api.models import (
    BulkOutcome,
    Category,
    FilledReply,
    Me,
    Message,
    Neighbourhood,
    NeighbourhoodStats,
    OpenAnswer,
    Overview,
    Page,
    Proposal,
    Reach,
    ReplyTemplate,
    Results,
    Staff,
    Submission,
    SubmissionCounts,
    SubmissionDetail,
    Suggestion,
    TimeSeries,
    Tokens,
    Workload,
)

M = TypeVar("M", bound=BaseModel)

USER_AGENT = f"buurt-console/{__version__} (Python {platform.python_version()})"
RETRYABLE_STATUS = frozenset({502, 503, 504})
PAGE_MAX = 200


class ApiClient:
    """One client per server. Every request authenticates through `BearerAuth`: an expired
    or refused access token is refreshed with the refresh token, for calls, downloads and
    the live stream alike.

    `on_tokens` is called with new tokens after a sign-in or a refresh, so the caller can
    keep the (rotated) refresh token safe; `stored` reads the tokens another process of the
    same sign-in may have stored meanwhile.
    """

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        access_expires_at: float | None = None,
        api_token: str | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
        stored: Callable[[], TokenState | None] | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.3,
        transport: httpx.AsyncBaseTransport | None = None,
        inert: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # False only for `--json` output, which keeps the stored text (ASCII-escaped).
        self.inert = inert
        self.uses_api_token = api_token is not None
        self.auth = BearerAuth(
            f"{self.base_url}/v1/auth/refresh",
            api_token=api_token,
            state=TokenState(access_token, refresh_token, access_expires_at),
            on_tokens=on_tokens,
            stored=stored,
        )
        self.retries = retries
        self.backoff = backoff
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._transport = transport

    @functools.cached_property
    def _http(self) -> httpx.AsyncClient:
        # Made at the first request, not with the client: making it imports httpcore and
        # reads the TLS certificates (~40 ms), which the console's first frame need not wait for.
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self._timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=self._transport,
        )

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (if a request made one)."""
        if "_http" in self.__dict__:  # functools.cached_property keeps it there
            await self._http.aclose()

    # -- plumbing -----------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        """Whether the client holds a credential (it may still turn out expired)."""
        return self.auth.signed_in

    async def _send(self, method: str, path: str, *, auth: bool, **kwargs: Any) -> httpx.Response:
        # Only reads are retried: a write that timed out may have happened.
        attempts = 1 + (self.retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                response = await self._http.request(
                    method, path, auth=self.auth if auth else None, **kwargs
                )
            except httpx.TransportError as exc:
                if attempt + 1 < attempts:
                    await self._sleep(attempt)
                    continue
                raise Unreachable(self.base_url, type(exc).__name__) from exc
            if response.status_code in RETRYABLE_STATUS and attempt + 1 < attempts:
                await self._sleep(attempt)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _sleep(self, attempt: int) -> None:
        await asyncio.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))  # noqa: S311

    async def _request(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        response = await self._send(method, path, auth=auth, **kwargs)
        if response.is_error:
            raise error_of(response)
        return response

    async def _edit(self, method: str, path: str, version: int, **kwargs: Any) -> httpx.Response:
        """A change to an object as read at `version`: the server answers EditConflict when
        someone changed it since."""
        return await self._request(method, path, headers={"If-Match": f'"{version}"'}, **kwargs)

    def _data(self, response: httpx.Response) -> Any:
        """The answer's JSON, every string made inert for a terminal (`console.api.inert`),
        unless this client was asked for the stored text (`--json` output)."""
        data = response.json()
        return inert_data(data) if self.inert else data

    async def _get_model(self, path: str, model: type[M], **params: Any) -> M:
        clean = {k: v for k, v in params.items() if v is not None}
        response = await self._request("GET", path, params=clean)
        return model.model_validate(self._data(response))

    # -- auth ---------------------------------------------------------------------------

    async def sign_in(self, email: str, password: str) -> Tokens:
        """Sign in with email and password; keeps the tokens for the next calls."""
        response = await self._request(
            "POST", "/v1/auth/token", auth=False, json={"email": email, "password": password}
        )
        tokens = Tokens.model_validate(self._data(response))
        self.uses_api_token = False
        self.auth.api_token = None
        self.auth.accept(tokens)
        return tokens

    async def sign_out(self) -> None:
        """End the sign-in on the server (revokes its tokens). Safe to call twice."""
        if self.uses_api_token:
            return
        state = self.auth.state
        body = {"refresh_token": state.refresh_token} if state.refresh_token else None
        if body is None and not state.access_token:
            return
        headers = {"Authorization": f"Bearer {state.access_token}"} if state.access_token else {}
        try:
            await self._send("POST", "/v1/auth/logout", auth=False, json=body, headers=headers)
        finally:
            self.auth.forget()

    async def me(self) -> Me:
        """Who the credential belongs to."""
        return await self._get_model("/v1/me", Me)

    async def healthy(self) -> bool:
        """True when the server answers its health check."""
        try:
            response = await self._send("GET", "/healthz", auth=False)
        except Unreachable:
            return False
        return response.status_code == 200

    # -- neighbourhoods -----------------------------------------------------------------

    async def neighbourhoods(
        self, *, limit: int = 50, cursor: str | None = None, query: str | None = None
    ) -> Page[Neighbourhood]:
        """One page of the neighbourhoods the organisation may address."""
        return await self._get_model(
            "/v1/neighbourhoods", Page[Neighbourhood], limit=limit, cursor=cursor, q=query
        )

    async def neighbourhood(self, neighbourhood_id: int) -> Neighbourhood:
        """One neighbourhood by id (NotFound when the organisation may not see it)."""
        return await self._get_model(f"/v1/neighbourhoods/{int(neighbourhood_id)}", Neighbourhood)

    async def all_neighbourhoods(self, query: str | None = None) -> list[Neighbourhood]:
        """Every neighbourhood the organisation may address (a municipality has < 200)."""
        items: list[Neighbourhood] = []
        cursor: str | None = None
        while True:
            page = await self.neighbourhoods(limit=PAGE_MAX, cursor=cursor, query=query)
            items.extend(page.items)
            if not page.next_cursor:
                return items
            cursor = page.next_cursor

    # -- city messages ------------------------------------------------------------------

    def _message(self, response: httpx.Response) -> Message:
        replayed = response.headers.get("idempotent-replayed") == "true"
        return Message.model_validate({**self._data(response), "replayed": replayed})

    async def reach(self, targets: str | list[int]) -> Reach:
        """Registered and total households in the targets, per neighbourhood."""
        response = await self._request("POST", "/v1/messages/reach", json={"targets": targets})
        return Reach.model_validate(self._data(response))

    async def create_message(
        self,
        content: dict[str, Any],
        *,
        action: str = "draft",
        scheduled_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        """Save a draft, publish now (`action="publish"`) or schedule a message.

        The idempotency key makes a retry harmless: the server answers the first result.
        """
        body = {**content, "action": action}
        if scheduled_at is not None:
            body["scheduled_at"] = scheduled_at.isoformat()
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await self._request("POST", "/v1/messages", json=body, headers=headers)
        return self._message(response)

    async def messages(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        neighbourhood: int | None = None,
        query: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Message]:
        """One page of the organisation's messages, most recently changed first."""
        return await self._get_model(
            "/v1/messages",
            Page[Message],
            state=state,
            kind=kind,
            neighbourhood=neighbourhood,
            q=query,
            limit=limit,
            cursor=cursor,
        )

    async def message(self, message_id: int) -> Message:
        """One message."""
        return await self._get_model(f"/v1/messages/{int(message_id)}", Message)

    async def edit_message(
        self,
        message_id: int,
        content: dict[str, Any],
        *,
        version: int,
        state: str | None = None,
        scheduled_at: datetime | None = None,
    ) -> Message:
        """Replace a draft's or scheduled message's content. Raises EditConflict (with the
        current message) when someone else changed it since `version`."""
        body: dict[str, Any] = dict(content)
        if state:
            body["state"] = state
        if scheduled_at is not None:
            body["scheduled_at"] = scheduled_at.isoformat()
        response = await self._edit("PUT", f"/v1/messages/{int(message_id)}", version, json=body)
        return Message.model_validate(self._data(response))

    async def publish_message(self, message_id: int, *, idempotency_key: str) -> Message:
        """Publish a draft or scheduled message now."""
        response = await self._request(
            "POST",
            f"/v1/messages/{int(message_id)}/publish",
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._message(response)

    async def withdraw_message(self, message_id: int) -> Message:
        """Take a published or scheduled message back."""
        response = await self._request("POST", f"/v1/messages/{int(message_id)}/withdraw")
        return Message.model_validate(self._data(response))

    # -- inbox --------------------------------------------------------------------------

    async def categories(self) -> list[Category]:
        """The municipality's categories of reports and ideas."""
        response = await self._request("GET", "/v1/categories")
        return [Category.model_validate(c) for c in self._data(response)]

    async def staff(self) -> list[Staff]:
        """Colleagues a submission can be assigned to."""
        response = await self._request("GET", "/v1/staff")
        return [Staff.model_validate(s) for s in self._data(response)]

    async def submissions(
        self,
        filters: SubmissionFilters | None = None,
        *,
        sort: str = "-created",
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Submission]:
        """One page of the inbox."""
        params = {**(filters or SubmissionFilters()).params(), "sort": sort, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await self._request("GET", "/v1/submissions", params=params)
        return Page[Submission].model_validate(self._data(response))

    async def submissions_for_map(
        self, filters: SubmissionFilters | None = None, *, at_most: int = 2000
    ) -> tuple[list[Submission], bool]:
        """Every submission of a filter, newest first, up to `at_most`; and whether there
        were more."""
        items: list[Submission] = []
        cursor: str | None = None
        while len(items) < at_most:
            page = await self.submissions(
                filters, limit=min(PAGE_MAX, at_most - len(items)), cursor=cursor
            )
            items.extend(page.items)
            cursor = page.next_cursor
            if not cursor:
                return items, False
        return items, True

    async def submission_counts(self, filters: SubmissionFilters | None = None) -> SubmissionCounts:
        """How many submissions match, per status, open and overdue."""
        params = (filters or SubmissionFilters()).params()
        response = await self._request("GET", "/v1/submissions/counts", params=params)
        return SubmissionCounts.model_validate(self._data(response))

    async def workload(self) -> Workload:
        """Open and overdue items per colleague and per department."""
        return await self._get_model("/v1/submissions/workload", Workload)

    async def submission(self, submission_id: int) -> SubmissionDetail:
        """One submission with its history, replies and notes."""
        return await self._get_model(f"/v1/submissions/{int(submission_id)}", SubmissionDetail)

    async def update_submission(
        self, submission_id: int, *, version: int, **changes: Any
    ) -> Submission:
        """Change status, priority, department or assignee. EditConflict (with the current
        submission) when a colleague changed it since `version`."""
        response = await self._edit(
            "PATCH", f"/v1/submissions/{int(submission_id)}", version, json=changes
        )
        return Submission.model_validate(self._data(response))

    async def reply(self, submission_id: int, text: str) -> Submission:
        """A public reply the resident sees."""
        response = await self._request(
            "POST", f"/v1/submissions/{int(submission_id)}/replies", json={"text": text}
        )
        return Submission.model_validate(self._data(response))

    async def note(self, submission_id: int, text: str) -> Submission:
        """An internal note, for staff only."""
        response = await self._request(
            "POST", f"/v1/submissions/{int(submission_id)}/notes", json={"text": text}
        )
        return Submission.model_validate(self._data(response))

    async def reply_options(
        self, submission_id: int, *, status: str | None = None
    ) -> list[FilledReply]:
        """The reply templates that fit a submission (and the status it moves to), filled
        in in the resident's language; the suggested ones first."""
        response = await self._request(
            "GET",
            f"/v1/submissions/{int(submission_id)}/reply-templates",
            params={"status": status} if status else None,
        )
        return [FilledReply.model_validate(t) for t in self._data(response)]

    async def reply_templates(self) -> list[ReplyTemplate]:
        """The municipality's reply templates, by title."""
        response = await self._request("GET", "/v1/reply-templates")
        return [ReplyTemplate.model_validate(t) for t in self._data(response)]

    async def reply_template(self, template_id: int) -> ReplyTemplate:
        """One reply template."""
        return await self._get_model(f"/v1/reply-templates/{int(template_id)}", ReplyTemplate)

    async def create_reply_template(self, **fields: Any) -> ReplyTemplate:
        """A new template (admins): title, texts, categories, status, suggest."""
        response = await self._request("POST", "/v1/reply-templates", json=fields)
        return ReplyTemplate.model_validate(self._data(response))

    async def update_reply_template(
        self, template_id: int, *, version: int, **changes: Any
    ) -> ReplyTemplate:
        """Change a template; EditConflict when a colleague changed it since `version`."""
        response = await self._edit(
            "PATCH", f"/v1/reply-templates/{int(template_id)}", version, json=changes
        )
        return ReplyTemplate.model_validate(self._data(response))

    async def delete_reply_template(self, template_id: int, *, version: int) -> None:
        """Remove a template."""
        await self._edit("DELETE", f"/v1/reply-templates/{int(template_id)}", version)

    # -- participation --------------------------------------------------------------------

    async def results(self, message_id: int, neighbourhood: int | None = None) -> Results:
        """A survey's, budget's or call's live results (for one neighbourhood if given)."""
        return await self._get_model(
            f"/v1/messages/{int(message_id)}/results", Results, neighbourhood=neighbourhood
        )

    async def results_csv(self, message_id: int, neighbourhood: int | None = None) -> str:
        """The results as CSV text (small counts "< 5", as everywhere)."""
        params = {"neighbourhood": neighbourhood} if neighbourhood else {}
        response = await self._request(
            "GET", f"/v1/messages/{int(message_id)}/results.csv", params=params
        )
        return inert_csv(response.text) if self.inert else response.text

    async def open_answers(
        self,
        message_id: int,
        *,
        query: str | None = None,
        question: int | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[OpenAnswer]:
        """What residents wrote to a survey's open questions, newest first."""
        params: dict[str, Any] = {"limit": limit}
        for key, value in (("q", query), ("question", question), ("cursor", cursor)):
            if value not in (None, ""):
                params[key] = value
        response = await self._request(
            "GET", f"/v1/messages/{int(message_id)}/open-answers", params=params
        )
        return Page[OpenAnswer].model_validate(self._data(response))

    async def open_answers_csv(self, message_id: int) -> str:
        """Every open answer as CSV text."""
        response = await self._request("GET", f"/v1/messages/{int(message_id)}/open-answers.csv")
        return inert_csv(response.text) if self.inert else response.text

    async def proposals(self, message_id: int, state: str | None = None) -> list[Proposal]:
        """A citizen budget's proposals, newest first."""
        params = {"state": state} if state else {}
        response = await self._request(
            "GET", f"/v1/messages/{int(message_id)}/proposals", params=params
        )
        return [Proposal.model_validate(p) for p in self._data(response)]

    async def proposal(self, proposal_id: int) -> Proposal:
        """One proposal, with its current version."""
        return await self._get_model(f"/v1/proposals/{int(proposal_id)}", Proposal)

    async def decide_proposal(
        self, proposal_id: int, *, accept: bool, version: int, reason: str | None = None
    ) -> Proposal:
        """Accept a proposal into the vote or reject it (a reason the resident reads)."""
        body: dict[str, Any] = {"decision": "accept" if accept else "reject"}
        if reason:
            body["reason"] = reason
        response = await self._edit(
            "POST", f"/v1/proposals/{int(proposal_id)}/decision", version, json=body
        )
        return Proposal.model_validate(self._data(response))

    async def close_participation(self, message_id: int) -> Message:
        """Close a survey, call or budget now."""
        response = await self._request("POST", f"/v1/messages/{int(message_id)}/close")
        return Message.model_validate(self._data(response))

    async def take_for_resident(self, *, idempotency_key: str, **fields: Any) -> Submission:
        """Enter a report or idea for a resident who phoned, came by or e-mailed; the same
        key sent again creates nothing new."""
        response = await self._request(
            "POST",
            "/v1/submissions",
            json={k: v for k, v in fields.items() if v not in (None, "")},
            headers={"Idempotency-Key": idempotency_key},
        )
        return Submission.model_validate(self._data(response))

    async def mark_duplicate(self, submission_id: int, *, of: int, version: int) -> Submission:
        """Close a submission as a duplicate of another."""
        response = await self._edit(
            "POST", f"/v1/submissions/{int(submission_id)}/duplicate", version, json={"of": of}
        )
        return Submission.model_validate(self._data(response))

    async def suggestions(self, submission_id: int) -> list[Suggestion]:
        """Possible originals of a submission (same category, close by, recent)."""
        response = await self._request("GET", f"/v1/submissions/{int(submission_id)}/suggestions")
        return [Suggestion.model_validate(s) for s in self._data(response)]

    async def bulk_update(
        self, ids: list[int], *, reply_template_id: int | None = None, **changes: Any
    ) -> BulkOutcome:
        """The same change for many submissions; one result per id. With a reply template,
        a public reply to each, filled in for each."""
        body: dict[str, Any] = {"ids": ids, "changes": changes}
        if reply_template_id is not None:
            body["reply_template_id"] = reply_template_id
        response = await self._request("POST", "/v1/submissions/bulk", json=body)
        return BulkOutcome.model_validate(self._data(response))

    async def export_submissions(
        self,
        destination: Path,
        filters: SubmissionFilters | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Stream the filtered inbox as CSV into a file; returns the number of rows."""
        params = (filters or SubmissionFilters()).params()
        rows = -1  # the header line is not a row
        tmp = destination.with_suffix(destination.suffix + ".part")
        try:
            async with self._http.stream(
                "GET",
                "/v1/submissions/export.csv",
                params=params,
                auth=self.auth,
            ) as response:
                if response.is_error:
                    await response.aread()
                    raise error_of(response)
                with open(tmp, "wb") as handle:  # noqa: ASYNC230 - local, small chunks
                    async for chunk in response.aiter_bytes():
                        handle.write(chunk)
                        rows += chunk.count(b"\n")
                        if progress:
                            progress(max(rows, 0))
        except httpx.TransportError as exc:
            tmp.unlink(missing_ok=True)
            raise Unreachable(self.base_url, type(exc).__name__) from exc
        tmp.replace(destination)
        return max(rows, 0)

    # -- statistics ---------------------------------------------------------------------

    async def stats_overview(
        self, *, period: str = "30d", neighbourhoods: list[int] | None = None
    ) -> Overview:
        """The key figures for a period (7d, 30d, 90d, 365d, all)."""
        params: dict[str, Any] = {"period": period}
        if neighbourhoods:
            params["neighbourhood"] = neighbourhoods
        response = await self._request("GET", "/v1/stats/overview", params=params)
        return Overview.model_validate(self._data(response))

    async def stats_neighbourhoods(
        self, *, period: str = "30d", sort: str = "-registered_share"
    ) -> list[NeighbourhoodStats]:
        """One row per neighbourhood."""
        response = await self._request(
            "GET", "/v1/stats/neighbourhoods", params={"period": period, "sort": sort}
        )
        return [NeighbourhoodStats.model_validate(r) for r in self._data(response)]

    async def stats_timeseries(
        self,
        metric: str,
        *,
        granularity: str = "week",
        period: str = "365d",
        neighbourhoods: list[int] | None = None,
    ) -> TimeSeries:
        """A metric over time, in total."""
        params: dict[str, Any] = {"metric": metric, "granularity": granularity, "period": period}
        if neighbourhoods:
            params["neighbourhood"] = neighbourhoods
        response = await self._request("GET", "/v1/stats/timeseries", params=params)
        return TimeSeries.model_validate(self._data(response))

    def stream_request(
        self, last_event_id: str | None
    ) -> tuple[httpx.AsyncClient, dict[str, str], httpx.Auth]:
        """What the live stream needs: the connection pool, the headers and the auth flow
        (which refreshes the access token as any request's does)."""
        if not self.signed_in:
            raise NotSignedIn()
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        return self._http, headers, self.auth


class SubmissionFilters(BaseModel):
    """The inbox filters, as the console and the CLI set them."""

    kind: str | None = None
    statuses: list[str] = []
    category: str | None = None
    neighbourhood: int | None = None
    assignee: str | None = None  # an account id, "me" or "none"
    overdue: bool | None = None
    query: str | None = None
    channel: str | None = None  # taken by staff: phone, desk, email, other, or any
    department: str | None = None
    message: int | None = None  # ideas sent in answer to this call for ideas

    def params(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "status": self.statuses or None,
            "category": self.category,
            "neighbourhood": self.neighbourhood,
            "assignee": self.assignee,
            "overdue": None if self.overdue is None else str(self.overdue).lower(),
            "q": self.query,
            "channel": self.channel,
            "department": self.department,
            "message": self.message,
        }
        return {k: v for k, v in data.items() if v not in (None, "", [])}


__all__ = ["ApiClient", "ApiError", "AuthError", "ProblemError", "SubmissionFilters"]
