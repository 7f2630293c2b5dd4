"""Reply templates: texts staff send often, filled in from the submission they answer.

A text may hold the placeholders of `PLACEHOLDERS` in braces, `{reference}`; `{{` and `}}`
are literal braces. Anything else in braces (an unknown name, a format spec, an attribute)
is refused when the template is saved, never found out when it is used.
"""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import config
from server.models import Municipality, ReplyTemplate, Submission, utcnow
from server.principal import Principal
from server.problems import Problem
from server.services import audit

PLACEHOLDERS = {
    "reference": "the submission's reference number (#1234)",
    "category": "its category, in the resident's language",
    "neighbourhood": "its neighbourhood",
    "status": "its status (the new one, for a status change), in the resident's language",
    "staff_name": "the name of the staff member who sends the reply",
    "due_date": "the date a first response is due",
    "municipality": "the municipality's name",
}
STATUS_LABELS = config.statuses()
DATE_FORMATS = {"nl": "%d-%m-%Y", "fr": "%d/%m/%Y", "en": "%d %b %Y"}


def placeholders_in(text: str) -> list[str]:
    """The placeholder names a text uses; Problem `invalid-template` for anything else."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:  # a lone { or }
        raise Problem(
            "invalid-template",
            f"The text has a brace that opens or closes nothing ({error}); "
            "write {{ or }} for a brace itself.",
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise Problem(
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
        raise Problem("invalid-template", "Give the text in at least one language.")
    for language, text in texts.items():
        if language not in municipality.languages:
            spoken = ", ".join(municipality.languages)
            raise Problem(
                "invalid-template",
                f"{municipality.name} writes in {spoken}, not in '{language}'.",
            )
        placeholders_in(text)
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise Problem("invalid-template", f"No category with the code '{unknown[0]}'.")


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
    values = {
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
        raise Problem("not-found", "No such reply template.")
    return template


async def create(
    session: AsyncSession,
    principal: Principal,
    *,
    title: str,
    texts: dict[str, str],
    categories: list[str],
    status: str | None,
    suggest: bool,
    known_categories: set[str],
) -> ReplyTemplate:
    """A new template, checked and audited (does not commit)."""
    municipality = principal.organisation.municipality
    check(municipality, texts, categories, known_categories)
    template = ReplyTemplate(
        municipality_id=municipality.id,
        title=title.strip(),
        texts=texts,
        categories=categories,
        status=status,
        suggest=suggest,
        version=1,
    )
    session.add(template)
    await session.flush()
    audit.record(
        session, "reply_template.created", principal=principal, object_type="reply_template",
        object_id=template.id, details={"title": template.title},
    )  # fmt: skip
    return template


async def update(
    session: AsyncSession,
    principal: Principal,
    template: ReplyTemplate,
    changes: dict[str, Any],
    known_categories: set[str],
) -> ReplyTemplate:
    """Apply the given fields, checked as a whole, and audit what changed."""
    texts = changes.get("texts", template.texts)
    categories = changes.get("categories", template.categories)
    check(principal.organisation.municipality, texts, categories, known_categories)
    changed = sorted(k for k, v in changes.items() if getattr(template, k) != v)
    for key, value in changes.items():
        setattr(template, key, value.strip() if key == "title" else value)
    if changed:
        template.version += 1
        template.updated_at = utcnow()
        audit.record(
            session, "reply_template.updated", principal=principal,
            object_type="reply_template", object_id=template.id, details={"fields": changed},
        )  # fmt: skip
    return template


async def delete(session: AsyncSession, principal: Principal, template: ReplyTemplate) -> None:
    """Remove a template (replies sent with it stay in the submissions' history)."""
    await session.delete(template)
    audit.record(
        session, "reply_template.deleted", principal=principal, object_type="reply_template",
        object_id=template.id, details={"title": template.title},
    )  # fmt: skip
