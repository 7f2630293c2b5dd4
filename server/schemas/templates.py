"""Reply templates: what admins save, and a template filled in for one submission."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from server.schemas import Strict
from server.schemas.messages import Language
from server.schemas.submissions import SubmissionStatus

Text = Annotated[str, StringConstraints(max_length=5000)]
CategoryCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class TemplateIn(Strict):
    """A new template: its text per language may use the placeholders of `Placeholder`
    in braces, `{reference}`."""

    title: str = Field(min_length=1, max_length=120)
    texts: dict[Language, Text] = Field(min_length=1, max_length=10)
    categories: list[CategoryCode] = Field(default_factory=list, max_length=200)
    status: SubmissionStatus | None = None
    suggest: StrictBool = False


class TemplateChange(Strict):
    """The fields to change; If-Match carries the version you saw."""

    title: str | None = Field(default=None, min_length=1, max_length=120)
    texts: dict[Language, Text] | None = Field(default=None, min_length=1, max_length=10)
    categories: list[CategoryCode] | None = Field(default=None, max_length=200)
    status: SubmissionStatus | None = None
    suggest: StrictBool | None = None


class TemplateOut(BaseModel):
    id: int
    title: str
    texts: dict[str, str]
    categories: list[str]
    status: SubmissionStatus | None
    suggest: bool
    version: int
    updated_at: datetime


class FilledReply(BaseModel):
    """A template filled in for one submission, ready to edit and send."""

    template_id: int
    title: str
    language: Language
    text: str
    suggested: bool  # offered by itself for this status
