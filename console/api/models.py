"""Typed objects the client returns; screens never see raw JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

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
