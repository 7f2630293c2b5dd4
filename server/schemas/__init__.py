"""Request and response bodies of the API (pydantic). Validation lives here."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from server.schemas.vocabulary import Role, Scope

T = TypeVar("T")


# Ids are INTEGER columns (int4 on PostgreSQL): anything outside is refused before the
# database is asked, as a 422 naming the parameter.
ID_MAX = 2**31 - 1
DbId = Annotated[int, Field(ge=1, le=ID_MAX)]
PathId = Annotated[int, Path(ge=1, le=ID_MAX, description="An id (1 to 2^31-1)")]
QueryId = Annotated[int | None, Query(ge=1, le=ID_MAX, description="An id (1 to 2^31-1)")]


def _iso_only(value: Any) -> Any:
    # pydantic reads a bare number as a Unix time; in a query string that is a mistake.
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        raise ValueError("an ISO 8601 date-time, e.g. 2026-11-29T06:00:00+01:00")
    return value


# What a date and time may be, anywhere it comes in: far dates overflow the arithmetic
# (a time zone, a 90-day window) and the database's own types; none is a real moment here.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def bounded_moment(value: datetime) -> datetime:
    """`value` (read as UTC without a zone) if it lies between 1970 and 9000; else ValueError."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # a query's time without zone is read as UTC
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between 1970 and 9000") from None
    if not EARLIEST <= in_utc <= LATEST:
        raise ValueError("must lie between 1970 and 9000")
    return value


# A moment with its time zone, in a body (ISO 8601, between 1970 and 9000).
Moment = Annotated[AwareDatetime, AfterValidator(bounded_moment)]
# The same in a query string, where a bare number is refused (not read as a Unix time).
IsoTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(bounded_moment)]


def storable_text(value: str) -> str:
    """Refuse text no database can store: NUL (PostgreSQL refuses it) and lone surrogates
    (not encodable as UTF-8). Raised as ValueError, so pydantic names the field."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (a lone surrogate was sent)") from None
    return value


# What text from outside may not carry into storage: C0 controls but newline and tab (ESC
# starts a terminal's escape sequences, BEL ends an OSC), DEL and the C1 controls (U+009B is
# a one-character CSI), and the bidirectional controls that reorder what a reader sees
# (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F and U+061C).
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """Text from outside as it is kept: line ends as `\\n`, the unwanted controls above
    removed, composed to Unicode NFC (an é typed as e + U+0301 is stored as é). Emoji,
    combining marks without a composed form and every letter stay."""
    if value.isascii() and value.isprintable():
        return value  # nothing to do (the common case)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _UNWANTED.sub("", value))


def _texts(value: Any, clean: bool) -> Any:
    """`value` with its text checked (`storable_text`) and, with `clean`, cleaned, however
    deep in lists and dicts it sits."""
    if isinstance(value, str):
        value = storable_text(value)
        return clean_text(value) if clean else value
    if isinstance(value, dict):
        return {_texts(k, clean): _texts(v, clean) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_texts(item, clean) for item in value)
    return value


class Strict(BaseModel):
    """Request bodies refuse unknown fields (a typo is an error, not silently ignored) and
    text that no database can store, naming the field; all other text is cleaned as it
    comes in (`clean_text`), except the fields in `verbatim` (a password is compared as
    typed, never shown).

    A body is validated as sent (its lengths are those the API document states), then, if
    cleaning changed any text, once more as cleaned: what is stored fits the same limits
    (a title of escape codes alone is empty, and refused as such)."""

    model_config = ConfigDict(extra="forbid")
    verbatim: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _texts(value, clean=False)

    @model_validator(mode="wrap")
    @classmethod
    def _cleaned(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        model = handler(data)
        if not isinstance(data, dict):
            return model  # built by the server itself, not sent
        cleaned = {
            key: value if key in cls.verbatim else _texts(value, clean=True)
            for key, value in data.items()
        }
        return model if cleaned == data else handler(cleaned)


class TokenRequest(Strict):
    verbatim = frozenset({"password"})

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(Strict):
    refresh_token: str | None = Field(default=None, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime


class MunicipalityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    languages: list[str]
    timezone: str
    total_households: int


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    kind: Literal["municipality", "agency"]
    municipality: MunicipalityOut


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    language: str
    roles: list[Role]
    organisation: OrganisationOut
    # Scopes of the API token in use; null when signed in with a password.
    token_scopes: list[Scope] | None = None


class ApiTokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    account_id: int
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    # Shown once, at creation: only its hash is stored.
    token: str


class NeighbourhoodOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    municipality_id: int
    total_households: int
    registered_households: int
    # Where it lies (a point inside it), for the console's map; null when not known.
    lat: float | None = None
    lon: float | None = None


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    actor_account_id: int | None
    actor_token_id: int | None
    object_type: str | None
    object_id: str | None
    details: dict[str, Any]
    client_address: str | None


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next one."""

    items: list[T]
    next_cursor: str | None = None
