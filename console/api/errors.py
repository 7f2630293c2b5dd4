"""What can go wrong talking to the server, each with a sentence a person understands.

Every problem+json answer becomes a `ProblemError` (or a subclass by status) that carries
the problem `type` and status for code, and `message`, translated, for people. Which exit
code an error gives is the command line's business (console/commands/common.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.api.inert import inert_data
from console.api.vocabulary import STATUS_LABELS
from console.i18n import N_, _, ngettext

if TYPE_CHECKING:  # httpx is the client's; `buurt --help` imports these errors without it
    import httpx


class ApiError(Exception):
    """Base of every error of the API client; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(ApiError):
    """The server could not be reached (down, wrong address, network, timeout)."""

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

    def __init__(self) -> None:
        super().__init__(_("You are not signed in. Run `buurt login` first."))


class ProblemError(ApiError):
    """The server answered with an error (RFC 9457 problem details)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.type = str(body.get("type") or "about:blank")
        self.slug = self.type.rsplit("/", 1)[-1]
        self.detail = body.get("detail")
        super().__init__(describe(status, self.slug, body))


class AuthError(ProblemError):
    """The sign-in was refused or is over (401)."""


class PermissionDenied(ProblemError):
    """The caller may not do this (403)."""


class NotFound(ProblemError):
    """Not there, or not visible to the caller's organisation (404)."""


class InvalidRequest(ProblemError):
    """The server refused what was sent (400, 422, 428 and other 4xx)."""


class Conflict(ProblemError):
    """The request clashes with what is there (409)."""


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
    """Too many attempts (429); `retry_after` says when to try again."""

    @property
    def retry_after(self) -> int | None:
        value = self.body.get("retry_after")
        return int(value) if isinstance(value, int | float) else None


class ServerError(ProblemError):
    """The server failed (5xx)."""


ERROR_CLASSES: dict[int, type[ProblemError]] = {
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: EditConflict,
    429: RateLimited,
}


def error_for(status: int, body: dict[str, Any]) -> ProblemError:
    """The exception class that fits a problem's status."""
    default = ServerError if status >= 500 else InvalidRequest
    return ERROR_CLASSES.get(status, default)(status, body)


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


# -- the sentences ----------------------------------------------------------------------------
# One for every problem type the server can answer (server/problems.py; tests/test_contract.py
# checks each is here and translated). Marked with N_, translated when said.

SENTENCES: dict[str, str] = {
    "bad-request": N_("The server could not read the request."),
    "invalid-cursor": N_(
        "The server does not know where this list left off. Start again from the first page."
    ),
    "too-deep": N_("The request is nested too deeply for the server to read."),
    "invalid-utf8": N_("Some of the text sent is not valid UTF-8."),
    "invalid-answer": N_("The answer does not fit the survey's questions."),
    "not-targeted": N_("This message does not address the household's neighbourhood."),
    "participation-closed": N_("The survey or the budget is not open now."),
    "already-taken-part": N_(
        "This household has already answered or voted; the first answer stands."
    ),
    "invalid-credentials": N_("The email address or the password is not right."),
    "refresh-token-reused": N_(
        "Your sign-in was used from somewhere else, so it was ended for safety. "
        "Please sign in again."
    ),
    "unauthenticated": N_("You are not signed in."),
    "forbidden": N_("You are not allowed to do this."),
    "not-found": N_("This does not exist, or it is not visible to your organisation."),
    "suppressed": N_(
        "Too few households answered there to show it apart: "
        "it is counted with the city's figures only."
    ),
    "method-not-allowed": N_(
        "The server does not take this kind of request here. "
        "The console and the server may be of different versions."
    ),
    "conflict": N_("This conflicts with what is already there."),
    "idempotency-key-reused": N_(
        "This idempotency key was already used for a different message. "
        "Use a new key, or send exactly the same message."
    ),
    "idempotency-key-required": N_(
        "Publishing needs an idempotency key, so that a retry never sends twice."
    ),
    "invalid-state": N_("This is not possible in the message's current state."),
    "precondition-failed": N_("Someone else changed this in the meantime."),
    "precondition-required": N_(
        "The server needs the version you edited, so that no one's change is overwritten."
    ),
    "payload-too-large": N_("What was sent is larger than the server takes."),
    "unsupported-media-type": N_("The server does not take data in this form."),
    "internal": N_("The server ran into an error. Try again; if it persists, tell your admin."),
    "service-unavailable": N_("The server is temporarily unavailable. Try again in a moment."),
}


def _invalid_token(body: dict[str, Any]) -> str:
    if body.get("expired"):
        return _("Your sign-in has expired. Please sign in again.")
    return _("Your sign-in is no longer valid. Please sign in again.")


def _missing_role(body: dict[str, Any]) -> str:
    roles = body.get("missing_roles") or []
    if roles:
        return _("This needs the role {roles}, which your account does not have.").format(
            roles=_(" or ").join(str(r) for r in roles)
        )
    return _("Your account's roles do not allow this.")


def _missing_scope(body: dict[str, Any]) -> str:
    scopes = body.get("missing_scopes") or [body.get("missing_scope")]
    return _("The API token lacks the scope {scope}.").format(
        scope=_(" or ").join(str(s) for s in scopes)
    )


def _unknown_parameter(body: dict[str, Any]) -> str:
    suggestions = body.get("suggestions") or {}
    if isinstance(suggestions, dict) and len(suggestions) == 1:
        [(name, suggestion)] = suggestions.items()
        return _("The server does not know the option {name}; did you mean {suggestion}?").format(
            name=name, suggestion=suggestion
        )
    return _(
        "The server does not know the option {names}. "
        "The console and the server may be of different versions."
    ).format(names=", ".join(str(n) for n in body.get("parameters") or []))


def _rate_limited(body: dict[str, Any]) -> str:
    seconds = body.get("retry_after")
    if isinstance(seconds, int):
        return ngettext(
            "Too many attempts. Try again in {n} second.",
            "Too many attempts. Try again in {n} seconds.",
            seconds,
        ).format(n=seconds)
    return _("Too many attempts. Try again later.")


def _validation(body: dict[str, Any]) -> str:
    detail = body.get("detail")
    if detail:
        return _("The server refused the input: {detail}").format(detail=detail)
    return _("The server refused the input.")


def _invalid_template(body: dict[str, Any]) -> str:
    if body.get("placeholder"):
        return _(
            "{{{name}}} is not a placeholder. Use {{reference}}, {{category}}, "
            "{{neighbourhood}}, {{status}}, {{staff_name}}, {{due_date}} or {{municipality}}."
        ).format(name=body["placeholder"])
    return _("The reply template cannot be filled in: {detail}").format(
        detail=body.get("detail", "")
    )


def _neighbourhood_not_allowed(body: dict[str, Any]) -> str:
    names = _(" and ").join(str(n) for n in body.get("neighbourhood_names") or [])
    return _("Your organisation may not address {names}.").format(
        names=names or body.get("detail", "")
    )


def _status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def _invalid_transition(body: dict[str, Any]) -> str:
    allowed = [_status_label(str(a)) for a in body.get("allowed") or []]
    return _("A submission that is {current} can only become: {allowed}.").format(
        current=_status_label(str(body.get("current_status", ""))).lower(),
        allowed=", ".join(allowed),
    )


def _over_budget(body: dict[str, Any]) -> str:
    from console import formats  # babel's number formats, only when there is one to say

    total, budget = body.get("total_eur"), body.get("budget_eur")
    if isinstance(total, int) and isinstance(budget, int):
        return _("The chosen proposals cost €{total} together; the budget is €{budget}.").format(
            total=formats.number(total), budget=formats.number(budget)
        )
    return _("The chosen proposals cost more than the budget.")


# The sentences that say what the problem's body names (a role, a field, a number).
SENTENCES_WITH_FIELDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "invalid-token": _invalid_token,
    "missing-role": _missing_role,
    "missing-scope": _missing_scope,
    "unknown-parameter": _unknown_parameter,
    "rate-limited": _rate_limited,
    "validation": _validation,
    "invalid-template": _invalid_template,
    "neighbourhood-not-allowed": _neighbourhood_not_allowed,
    "invalid-transition": _invalid_transition,
    "over-budget": _over_budget,
}


def describe(status: int, slug: str, body: dict[str, Any]) -> str:
    """A translated sentence for a problem, from its stable type and its extensions."""
    if slug in SENTENCES_WITH_FIELDS:
        return SENTENCES_WITH_FIELDS[slug](body)
    if slug in SENTENCES:
        return _(SENTENCES[slug])
    if status >= 500:
        return _(SENTENCES["internal"])
    return _("The server refused the request ({status}).").format(status=status)
