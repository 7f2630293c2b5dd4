"""What a service refuses, in the API's words but without HTTP: a `DomainError` names its
problem type (a slug of `PROBLEM_TYPES`), says what happened this time and carries the
members a client reads (`current_version`, `allowed`, `retry_after`...).

One handler (`server/problems.py`) answers each as problem+json; services never import
the web framework.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.schemas.vocabulary import PROBLEM_TYPES


class DomainError(Exception):
    """A request the domain refuses; `slug` is its problem type, `extensions` the members
    the answer carries beside `detail`."""

    def __init__(self, slug: str, detail: str | None = None, **extensions: Any) -> None:
        if slug not in PROBLEM_TYPES:
            raise ValueError(f"unknown problem type {slug!r}")
        self.slug = slug
        self.status, self.title = PROBLEM_TYPES[slug]
        self.detail = detail
        self.extensions = extensions
        super().__init__(detail or self.title)


class NotFound(DomainError):
    """No such object, or not the caller's organisation's (the same answer: a 404)."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__("not-found", detail, **extensions)


class Invalid(DomainError):
    """The request is well formed but its values do not hold together (a 422)."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__("validation", detail, **extensions)


class InvalidState(DomainError):
    """Not possible in the object's current state (a 409)."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__("invalid-state", detail, **extensions)


def check_version(
    what: str,
    version: int,
    expected: int,
    current: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """The If-Match rule, for every object with a version: the version the caller saw
    (`expected`) must still be the object's, else precondition-failed with the current
    version and, given `current`, the object as it is now."""
    if expected == version:
        return
    extensions: dict[str, Any] = {"current_version": version}
    if current is not None:
        extensions["current"] = current()
    raise DomainError(
        "precondition-failed",
        f"The {what} is at version {version}; you saw version {expected}.",
        **extensions,
    )
