"""Reply templates: texts staff send often, filled in from the submission they answer.

A text may hold the placeholders of `Placeholder` (server/schemas/vocabulary.py) in
braces, `{reference}`; `{{` and `}}` are literal braces. Anything else in braces (an unknown
name, a format spec, an attribute) is refused when the template is saved, never found out
when it is used.
"""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import config
from server.db import begin_write
from server.models import Category, Municipality, ReplyTemplate, Submission, utcnow
from server.principal import Principal
from server.schemas.templates import TemplateChange, TemplateIn
from server.schemas.vocabulary import PLACEHOLDERS, Placeholder
from server.services import audit
from server.services.errors import DomainError, Invalid, NotFound, check_version

STATUS_LABELS = config.statuses()
DATE_FORMATS = {"nl": "%d-%m-%Y", "fr": "%d/%m/%Y", "en": "%d %b %Y"}


def placeholders_in(text: str) -> list[str]:
    """The placeholder names a text uses; DomainError `invalid-template` for anything else."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:  # a lone { or }
        raise DomainError(
            "invalid-template",
            f"The text has a brace that opens or closes nothing ({error}); "
            "write {{ or }} for a brace itself.",
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise DomainError(
                "invalid-template",
                f"Unknown placeholder {{{name}}}: use one of {known}.",
                placeholder=name,
            )
        names.append(name)
    return names


def check(
    municipality: Municipality, texts: dict[str, str], categories: list[str], known: set[str]
) -> None:
    """Refuse a template that could not be filled in: a language the municipality does not
    speak, no text at all, an unknown category code or placeholder."""
    if not any(t.strip() for t in texts.values()):
        raise DomainError("invalid-template", "Give the text in at least one language.")
    for language, text in texts.items():
        if language not in municipality.languages:
            spoken = ", ".join(municipality.languages)
            raise DomainError(
                "invalid-template",
                f"{municipality.name} writes in {spoken}, not in '{language}'.",
            )
        placeholders_in(text)
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise DomainError("invalid-template", f"No category with the code '{unknown[0]}'.")


def language_of(sub: Submission, municipality: Municipality) -> str:
    """The language to answer a submission in: the resident's, else the city's first."""
    if sub.language and sub.language in municipality.languages:
        return sub.language
    return municipality.languages[0]


def fill(
    template: ReplyTemplate,
    sub: Submission,
    municipality: Municipality,
    staff_name: str,
    status: str | None = None,
) -> tuple[str, str]:
    """(language, text): the template in the submission's language (else the first it has),
    placeholders filled in."""
    wanted = language_of(sub, municipality)
    texts = {k: v for k, v in template.texts.items() if v and v.strip()}
    language = (
        wanted
        if wanted in texts
        else next(lang for lang in municipality.languages if lang in texts)
    )
    status = status or sub.status
    # The day as the city reads it: its own zone, not UTC.
    due: datetime = sub.due_at.astimezone(ZoneInfo(municipality.timezone))
    values: dict[Placeholder, str] = {
        "reference": f"#{sub.id}",
        "category": _in(sub.category.name, language, sub.category.code),
        "neighbourhood": sub.neighbourhood.name if sub.neighbourhood else "",
        "status": _in(STATUS_LABELS.get(status, {}), language, status),
        "staff_name": staff_name,
        "due_date": due.strftime(DATE_FORMATS.get(language, "%Y-%m-%d")),
        "municipality": municipality.name,
    }
    return language, texts[language].format(**values)


def _in(labels: dict[str, Any], language: str, fallback: str) -> str:
    return str(labels.get(language) or labels.get("en") or next(iter(labels.values()), fallback))


def fits(template: ReplyTemplate, sub: Submission, status: str) -> bool:
    """Whether a template is for this submission's category and the status it moves to."""
    return (not template.categories or sub.category.code in template.categories) and (
        template.status is None or template.status == status
    )


async def all_of(session: AsyncSession, municipality_id: int) -> list[ReplyTemplate]:
    """The municipality's templates, by title."""
    rows = await session.scalars(
        select(ReplyTemplate)
        .where(ReplyTemplate.municipality_id == municipality_id)
        .order_by(ReplyTemplate.title, ReplyTemplate.id)
    )
    return list(rows.all())


async def get(
    session: AsyncSession, principal: Principal, template_id: int, *, for_update: bool = False
) -> ReplyTemplate:
    """One template of the caller's municipality (404 otherwise: another's is not found);
    `for_update` locks its row (PostgreSQL), so of two admins with the same If-Match one
    wins."""
    stmt = select(ReplyTemplate).where(ReplyTemplate.id == template_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    template = await session.scalar(stmt)
    if template is None or template.municipality_id != principal.organisation.municipality_id:
        raise NotFound("No such reply template.")
    return template


async def _known_categories(session: AsyncSession, principal: Principal) -> set[str]:
    municipality_id = principal.organisation.municipality_id
    codes = await session.scalars(
        select(Category.code).where(Category.municipality_id == municipality_id)
    )
    return set(codes.all())


async def create(session: AsyncSession, principal: Principal, body: TemplateIn) -> ReplyTemplate:
    """A new template, checked and audited."""
    await begin_write(session)
    municipality = principal.organisation.municipality
    texts = {str(k): v for k, v in body.texts.items()}
    check(municipality, texts, body.categories, await _known_categories(session, principal))
    template = ReplyTemplate(
        municipality_id=municipality.id,
        title=body.title.strip(),
        texts=texts,
        categories=body.categories,
        status=body.status,
        suggest=body.suggest,
        version=1,
    )
    session.add(template)
    await session.flush()
    _audit(session, principal, template, "created", {"title": template.title})
    await session.commit()
    return template


def _audit(
    session: AsyncSession,
    principal: Principal,
    template: ReplyTemplate,
    what: str,
    details: dict[str, Any],
) -> None:
    audit.record(
        session, f"reply_template.{what}", principal=principal, object_type="reply_template",
        object_id=template.id, details=details,
    )  # fmt: skip


async def _for_change(
    session: AsyncSession, principal: Principal, template_id: int, expected_version: int
) -> ReplyTemplate:
    await begin_write(session)
    template = await get(session, principal, template_id, for_update=True)
    check_version("template", template.version, expected_version)
    return template


async def update(
    session: AsyncSession,
    principal: Principal,
    template_id: int,
    body: TemplateChange,
    expected_version: int,
) -> ReplyTemplate:
    """Apply the fields given, checked as a whole, and audit what changed."""
    template = await _for_change(session, principal, template_id, expected_version)
    changes = body.model_dump(exclude_unset=True)
    if any(v is None for k, v in changes.items() if k != "status"):
        raise Invalid("Only status may be set to null (any status).")
    texts = changes.get("texts", template.texts)
    categories = changes.get("categories", template.categories)
    known = await _known_categories(session, principal)
    check(principal.organisation.municipality, texts, categories, known)
    changed = sorted(k for k, v in changes.items() if getattr(template, k) != v)
    for key, value in changes.items():
        setattr(template, key, value.strip() if key == "title" else value)
    if changed:
        template.version += 1
        template.updated_at = utcnow()
        _audit(session, principal, template, "updated", {"fields": changed})
    await session.commit()
    return template


async def delete(
    session: AsyncSession, principal: Principal, template_id: int, expected_version: int
) -> None:
    """Remove a template (replies sent with it stay in the submissions' history)."""
    template = await _for_change(session, principal, template_id, expected_version)
    await session.delete(template)
    _audit(session, principal, template, "deleted", {"title": template.title})
    await session.commit()
