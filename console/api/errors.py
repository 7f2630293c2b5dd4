"""What can go wrong talking to the server, each with a sentence a person understands.

Every problem+json answer becomes a `ProblemError` (or a subclass by status) that carries
the problem `type` and status for code, and `message`, translated, for people.
"""

from __future__ import annotations

from typing import Any

import httpx

from console.api.inert import inert_data
from console.i18n import _, ngettext


class ApiError(Exception):
    """Base of every error of the API client; `message` is for people."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(ApiError):
    """The server could not be reached (down, wrong address, network, timeout)."""

    exit_code = 6

    def __init__(self, url: str, reason: str = "") -> None:
        super().__init__(
            _("Cannot reach the server at {url}. Check the address and your connection.").format(
                url=url
            )
        )
        self.url = url
        self.reason = reason


class NotSignedIn(ApiError):
    """There is no credential to call the server with."""

    exit_code = 3

    def __init__(self) -> None:
        super().__init__(_("You are not signed in. Run `buurt login` first."))


class ProblemError(ApiError):
    """The server answered with an error (RFC 9457 problem details)."""

    exit_code = 1

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.type = str(body.get("type") or "about:blank")
        self.slug = self.type.rsplit("/", 1)[-1]
        self.detail = body.get("detail")
        super().__init__(describe(status, self.slug, body))


class AuthError(ProblemError):
    exit_code = 3


class PermissionDenied(ProblemError):
    exit_code = 4


class NotFound(ProblemError):
    exit_code = 4


class InvalidRequest(ProblemError):
    exit_code = 4


class Conflict(ProblemError):
    exit_code = 5


class EditConflict(Conflict):
    """Someone changed the object since it was read (412); `current` is what is there now."""

    @property
    def current(self) -> dict[str, Any] | None:
        value = self.body.get("current")
        return value if isinstance(value, dict) else None

    @property
    def current_version(self) -> int | None:
        value = self.body.get("current_version")
        return int(value) if isinstance(value, int) else None


class RateLimited(ProblemError):
    exit_code = 7

    @property
    def retry_after(self) -> int | None:
        value = self.body.get("retry_after")
        return int(value) if isinstance(value, int | float) else None


class ServerError(ProblemError):
    exit_code = 6


def error_for(status: int, body: dict[str, Any]) -> ProblemError:
    """The exception class that fits a problem's status."""
    cls: type[ProblemError]
    if status == 401:
        cls = AuthError
    elif status == 403:
        cls = PermissionDenied
    elif status == 404:
        cls = NotFound
    elif status == 412:
        cls = EditConflict
    elif status == 409:
        cls = Conflict
    elif status == 429:
        cls = RateLimited
    elif status == 428:
        cls = InvalidRequest
    elif status >= 500:
        cls = ServerError
    else:
        cls = InvalidRequest
    return cls(status, body)


def error_of(response: httpx.Response) -> ProblemError:
    """The error an answer of the server stands for (its body read already)."""
    try:
        # A problem's detail may quote what someone sent (a field, a placeholder).
        body = inert_data(response.json())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"status": response.status_code}
    return error_for(response.status_code, body)


def describe(status: int, slug: str, body: dict[str, Any]) -> str:
    """A translated sentence for a problem, from its stable type and its extensions."""
    if slug == "invalid-credentials":
        return _("The email address or the password is not right.")
    if slug == "invalid-token":
        if body.get("expired"):
            return _("Your sign-in has expired. Please sign in again.")
        return _("Your sign-in is no longer valid. Please sign in again.")
    if slug == "refresh-token-reused":
        return _(
            "Your sign-in was used from somewhere else, so it was ended for safety. "
            "Please sign in again."
        )
    if slug == "unauthenticated":
        return _("You are not signed in.")
    if slug == "missing-role":
        roles = body.get("missing_roles") or []
        if roles:
            return _("This needs the role {roles}, which your account does not have.").format(
                roles=_(" or ").join(str(r) for r in roles)
            )
        return _("Your account's roles do not allow this.")
    if slug == "missing-scope":
        scopes = body.get("missing_scopes") or [body.get("missing_scope")]
        return _("The API token lacks the scope {scope}.").format(
            scope=_(" or ").join(str(s) for s in scopes)
        )
    if slug == "forbidden":
        return _("You are not allowed to do this.")
    if slug == "not-found":
        return _("This does not exist, or it is not visible to your organisation.")
    if slug == "suppressed":
        return _(
            "Too few households answered there to show it apart: "
            "it is counted with the city's figures only."
        )
    if slug == "unknown-parameter":
        names = ", ".join(str(n) for n in body.get("parameters") or [])
        suggestions = body.get("suggestions") or {}
        if isinstance(suggestions, dict) and len(suggestions) == 1:
            [(name, suggestion)] = suggestions.items()
            return _(
                "The server does not know the option {name}; did you mean {suggestion}?"
            ).format(name=name, suggestion=suggestion)
        return _(
            "The server does not know the option {names}. "
            "The console and the server may be of different versions."
        ).format(names=names)
    if slug == "rate-limited":
        seconds = body.get("retry_after")
        if isinstance(seconds, int):
            return ngettext(
                "Too many attempts. Try again in {n} second.",
                "Too many attempts. Try again in {n} seconds.",
                seconds,
            ).format(n=seconds)
        return _("Too many attempts. Try again later.")
    if slug == "validation":
        detail = body.get("detail")
        if detail:
            return _("The server refused the input: {detail}").format(detail=detail)
        return _("The server refused the input.")
    if slug == "invalid-template":
        if body.get("placeholder"):
            return _(
                "{{{name}}} is not a placeholder. Use {{reference}}, {{category}}, "
                "{{neighbourhood}}, {{status}}, {{staff_name}}, {{due_date}} or {{municipality}}."
            ).format(name=body["placeholder"])
        return _("The reply template cannot be filled in: {detail}").format(
            detail=body.get("detail", "")
        )
    if slug == "precondition-failed":
        return _("Someone else changed this in the meantime.")
    if slug == "conflict":
        return _("This conflicts with what is already there.")
    if slug == "invalid-state":
        return _("This is not possible in the message's current state.")
    if slug == "neighbourhood-not-allowed":
        return _("Your organisation may not address {names}.").format(
            names=_(" and ").join(str(n) for n in body.get("neighbourhood_names") or [])
            or body.get("detail", "")
        )
    if slug == "invalid-transition":
        from console.inbox import STATUS_LABELS

        allowed = [_(STATUS_LABELS.get(str(a), str(a))) for a in body.get("allowed") or []]
        current = str(body.get("current_status", ""))
        return _("A submission that is {current} can only become: {allowed}.").format(
            current=_(STATUS_LABELS.get(current, current)).lower(), allowed=", ".join(allowed)
        )
    if slug == "idempotency-key-reused":
        return _(
            "This idempotency key was already used for a different message. "
            "Use a new key, or send exactly the same message."
        )
    if slug == "idempotency-key-required":
        return _("Publishing needs an idempotency key, so that a retry never sends twice.")
    if slug == "service-unavailable":
        return _("The server is temporarily unavailable. Try again in a moment.")
    if status >= 500:
        return _("The server ran into an error. Try again; if it persists, tell your admin.")
    return _("The server refused the request ({status}).").format(status=status)
