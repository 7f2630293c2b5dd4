"""Typed objects the client returns; screens never see raw JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class ApiModel(BaseModel):
    # A newer server may add fields: ignore them instead of failing.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Tokens(ApiModel):
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_at: datetime


class Municipality(ApiModel):
    id: int
    slug: str
    name: str
    languages: list[str]
    timezone: str
    total_households: int


class Organisation(ApiModel):
    id: int
    slug: str
    name: str
    kind: str
    municipality: Municipality

    @property
    def is_agency(self) -> bool:
        return self.kind == "agency"


class Me(ApiModel):
    id: int
    email: str
    name: str
    language: str
    roles: list[str]
    organisation: Organisation
    token_scopes: list[str] | None = None


class Neighbourhood(ApiModel):
    id: int
    slug: str
    name: str
    municipality_id: int
    total_households: int
    registered_households: int = 0


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class NeighbourhoodReach(ApiModel):
    id: int
    name: str
    registered_households: int
    total_households: int


class Reach(ApiModel):
    neighbourhoods: list[NeighbourhoodReach]
    registered_households: int
    total_households: int


class Message(ApiModel):
    id: int
    kind: str
    state: str
    title: dict[str, str]
    body: dict[str, str]
    targets: str | list[int]
    target_names: list[str]
    event: dict[str, Any] | None = None
    survey: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    alert: dict[str, Any] | None = None
    author_account_id: int | None = None
    author_name: str | None = None
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    published_late: bool = False
    withdrawn_at: datetime | None = None
    reach_registered: int | None = None
    reach_total: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    # Set by the client: the server answered a retry with the first result (same key).
    replayed: bool = False

    @property
    def targets_all(self) -> bool:
        return self.targets == "all"

    def title_for(self, languages: list[str]) -> str:
        """The title in the first of `languages` it has, else in any language."""
        for lang in languages:
            if self.title.get(lang):
                return self.title[lang]
        return next(iter(self.title.values()), "")

    def content(self) -> dict[str, Any]:
        """The editable part, as the API takes it back (for edits and duplicates)."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "title": dict(self.title),
            "body": dict(self.body),
            "targets": self.targets,
        }
        for name in ("event", "survey", "budget", "alert"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data
