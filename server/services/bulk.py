"""The same change for many submissions at once (the inbox's bulk action): each one
changed, or refused with its own problem, in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write
from server.models import ReplyTemplate, Submission
from server.principal import Principal
from server.schemas.submissions import SubmissionChange
from server.services import submissions, templates
from server.services.errors import DomainError, NotFound


async def change_many(
    session: AsyncSession,
    principal: Principal,
    ids: list[int],
    change: SubmissionChange,
    template_id: int | None,
) -> list[tuple[int, Submission | DomainError]]:
    """Apply `change` to each submission of `ids` (and, with `template_id`, a public reply
    from that template filled in for each): per id, the submission changed or the error
    that refused it (that one is left as it was). Commits."""
    await begin_write(session)
    ids = list(dict.fromkeys(ids))
    # Every row locked up front, in id order, before any change is flushed: a flush takes
    # the stream's ordering lock, and waiting for a row while holding it would deadlock
    # with a single change that holds that row.
    locked = await submissions.lock_many(session, principal, ids)
    template = None
    if template_id is not None:
        template = await templates.get(session, principal, template_id)
    results: list[tuple[int, Submission | DomainError]] = []
    for submission_id in ids:
        try:
            async with session.begin_nested():
                sub = locked.get(submission_id)
                if sub is None:
                    raise NotFound("No such submission.")
                await submissions.apply_change(session, principal, sub, change)
                if template is not None:
                    _reply(session, principal, sub, template)
            results.append((submission_id, sub))
        except DomainError as error:
            results.append((submission_id, error))
    await session.commit()
    return results


def _reply(
    session: AsyncSession, principal: Principal, sub: Submission, template: ReplyTemplate
) -> None:
    """The template filled in for this one (its reference, category, language, status),
    sent as a public reply; refused where the template is not for its category."""
    if template.categories and sub.category.code not in template.categories:
        raise DomainError(
            "invalid-template",
            f"The template '{template.title}' is not for {sub.category.code}; nothing was changed.",
        )
    municipality = principal.organisation.municipality
    _language, text = templates.fill(template, sub, municipality, principal.account.name)
    submissions.write_text(
        session, principal, sub, "reply", text, details={"reply_template_id": template.id}
    )
