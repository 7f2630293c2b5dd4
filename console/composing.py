"""A city message being composed, shared by the compose screen and `buurt broadcast`:
its content, message files, local times, and the idempotency key derived from it."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from console.formats import zone
from console.i18n import N_, _

KIND_LABELS = {
    "announcement": N_("Announcement"),
    "event": N_("Event"),
    "survey": N_("Survey"),
    "call_for_ideas": N_("Call for ideas"),
    "citizen_budget": N_("Citizen budget"),
    "alert": N_("Alert"),
}
KINDS = tuple(KIND_LABELS)
STATE_LABELS = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "published": N_("Published"),
    "withdrawn": N_("Withdrawn"),
}
# Which block of kind-specific fields a kind needs.
KIND_FIELD = {
    "event": "event",
    "survey": "survey",
    "call_for_ideas": "budget",
    "citizen_budget": "budget",
    "alert": "alert",
}
REQUIRED_FIELDS = {
    "event": ("place", "starts_at", "ends_at"),
    "survey": ("questions", "closes_at"),
    "call_for_ideas": ("deadline",),
    "citizen_budget": ("budget_eur", "deadline"),
    "alert": ("urgency",),
}
MISSING_FIELDS = {
    "event": N_("An event needs a place, a start and an end time."),
    "survey": N_("A survey needs at least one question and a closing time."),
    "call_for_ideas": N_("A call for ideas needs a deadline."),
    "citizen_budget": N_("A citizen budget needs an amount and a deadline."),
    "alert": N_("An alert needs an urgency."),
}
LANGUAGES = ("nl", "fr", "en")
LANG_MARKER = re.compile(rf"^<!--\s*({'|'.join(LANGUAGES)})\s*-->\s*$", re.MULTILINE)
# Any marker that looks like a language, to refuse one we do not know (`<!-- de -->`).
ANY_LANG_MARKER = re.compile(r"^<!--\s*([A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?)\s*-->\s*$", re.MULTILINE)
# What a message file's front matter may hold.
FILE_KEYS = ("kind", "to", "schedule", "language", "title", "event", "survey", "budget", "alert")


class ComposeError(ValueError):
    """Input that cannot make a message; the text is a sentence for people. `field` names
    what is wrong, when one thing is: `title:nl`, `body:nl`, `targets`, `schedule`, or a
    kind's field as `event.place`, `survey.questions`, `budget.deadline`..."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Draft:
    """Everything typed so far; saved locally as it is typed."""

    kind: str = "announcement"
    title: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    targets: str | list[int] = "all"
    details: dict[str, Any] = field(default_factory=dict)
    # The kind-specific fields as typed in the compose screen (restored as typed).
    fields: dict[str, str] = field(default_factory=dict)
    schedule: str = ""  # local date-time as typed, "YYYY-MM-DD HH:MM"
    message_id: int | None = None  # set when editing a server message
    version: int | None = None
    saved_at: str = ""
    # This draft's intent to publish: part of its Idempotency-Key, so a retry of this draft
    # never publishes twice, and the same text composed again later is a new message.
    intent: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def is_empty(self) -> bool:
        return not any(v.strip() for v in [*self.title.values(), *self.body.values()])

    def languages(self) -> list[str]:
        """Languages with a title or a body."""
        return sorted(
            lang
            for lang in set(self.title) | set(self.body)
            if self.title.get(lang, "").strip() or self.body.get(lang, "").strip()
        )

    def content(self) -> dict[str, Any]:
        """The message as the API takes it; raises ComposeError naming what is missing."""
        languages = self.languages()
        if not languages:
            first = next(iter(self.title), None)
            raise ComposeError(
                _("Write a title and a text in at least one language."),
                f"title:{first}" if first else None,
            )
        for lang in languages:
            if not self.title.get(lang, "").strip():
                raise ComposeError(
                    _("The title in {lang} is empty.").format(lang=lang), f"title:{lang}"
                )
            if not self.body.get(lang, "").strip():
                raise ComposeError(
                    _("The text in {lang} is empty.").format(lang=lang), f"body:{lang}"
                )
        if isinstance(self.targets, list) and not self.targets:
            raise ComposeError(_("Choose at least one neighbourhood."), "targets")
        data: dict[str, Any] = {
            "kind": self.kind,
            "title": {lang: self.title[lang].strip() for lang in languages},
            "body": {lang: self.body[lang] for lang in languages},
            "targets": self.targets,
        }
        needed = KIND_FIELD.get(self.kind)
        if needed:
            block = self.details.get(needed) or {}
            missing = [k for k in REQUIRED_FIELDS[self.kind] if block.get(k) in (None, "", [])]
            if missing:
                raise ComposeError(_(MISSING_FIELDS[self.kind]), f"{needed}.{missing[0]}")
            data[needed] = block
        return data


def parse_local_time(text: str, timezone: str) -> datetime:
    """`2026-12-01 06:00` in the municipality's zone (or an ISO time with offset)."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ComposeError(
            _("Write the time as YYYY-MM-DD HH:MM, for example 2026-12-01 06:00.")
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(timezone))
    return parsed


def idempotency_key(
    scope: str, content: dict[str, Any], action: str, when: datetime | None, intent: str
) -> str:
    """A key derived from what is sent and the intent it belongs to (a draft in the TUI, a
    day's run of a script): a retry of one intent sends nothing new, a new intent does."""
    canonical = json.dumps(
        {
            "scope": scope,
            "content": content,
            "action": action,
            "at": when.isoformat() if when else None,
            "intent": intent,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return "buurt-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


@dataclass
class MessageFile:
    """A message written as markdown with a TOML front matter (see config/templates/)."""

    settings: dict[str, Any]
    bodies: dict[str, str]


def read_message_file(path: Path, default_language: str) -> MessageFile:
    """Parse `+++` TOML front matter, then the body; `<!-- nl -->` lines split languages."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ComposeError(
            _("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    settings: dict[str, Any] = {}
    if not text.startswith("+++"):
        raise ComposeError(
            _(
                "{path}: this file has no front matter: it starts with a +++ block holding at "
                "least the [title] (see config/templates/)."
            ).format(path=path)
        )
    end = text.find("\n+++", 3)
    if end == -1:
        raise ComposeError(_("{path}: the front matter has no closing +++.").format(path=path))
    try:
        settings = tomllib.loads(text[3:end])
    except tomllib.TOMLDecodeError as exc:
        raise ComposeError(
            _("{path}: the front matter is not valid TOML: {error}").format(path=path, error=exc)
        ) from None
    text = text[end + 4 :]
    for key in settings:
        # A typo (`shedule`) must not pass silently: the real run would publish at once.
        if key not in FILE_KEYS:
            near = difflib.get_close_matches(key, FILE_KEYS, n=1)
            hint = _(" Did you mean '{near}'?").format(near=near[0]) if near else ""
            raise ComposeError(
                _("{path}: unknown key '{key}' in the front matter.").format(path=path, key=key)
                + hint
            )
    for lang in ANY_LANG_MARKER.findall(text):
        if lang not in LANGUAGES:
            raise ComposeError(
                _("{path}: unknown language marker <!-- {lang} -->; use nl, fr or en.").format(
                    path=path, lang=lang
                )
            )
    bodies: dict[str, str] = {}
    parts = LANG_MARKER.split(text)
    if len(parts) == 1:
        if text.strip():
            bodies[str(settings.get("language", default_language))] = text.strip() + "\n"
    else:
        if parts[0].strip():
            bodies[str(settings.get("language", default_language))] = parts[0].strip() + "\n"
        for lang, body in zip(parts[1::2], parts[2::2], strict=True):
            bodies[lang] = body.strip() + "\n"
    return MessageFile(settings=settings, bodies=bodies)


# -- survey questions as text ----------------------------------------------------------------
#
# One question per line, in the message's first language; a line that starts with spaces
# and a language code gives the same question in another language:
#
#     Do you feel at home here? | Yes | No
#       fr: Vous sentez-vous chez vous ? | Oui | Non
#     [multiple 2] What is missing? | Green | Benches | Play space
#     [scale] How satisfied are you with the street lights?
#     [open] What would you change?
#
# The mark in brackets says the type: one choice (none), several (`[multiple]`, at most N),
# a scale from 1 to 5 (`[scale]`), words (`[open]`).
QUESTION_TYPES = ("single", "multiple", "scale", "open")
TYPE_MARK = re.compile(r"^\[\s*(single|multiple|scale|open)(?:\s+(\d{1,2}))?\s*\]\s*", re.I)
TRANSLATION_LINE = re.compile(r"^\s+([A-Za-z]{2})\s*:\s*(.*)$")


def _parts(line: str) -> list[str]:
    return [p.strip() for p in line.split("|") if p.strip()]


def parse_questions(text: str, languages: list[str]) -> list[dict[str, Any]]:
    """The survey's questions from their text (see above), each in every one of `languages`
    (the first is the one the question lines are in)."""
    questions: list[dict[str, Any]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        translated = TRANSLATION_LINE.match(raw)
        if translated:
            _add_translation(questions, translated, languages)
        else:
            questions.append(_question(raw.strip(), len(questions) + 1, languages[0]))
    _check_every_language(questions, languages)
    return questions


def _add_translation(
    questions: list[dict[str, Any]], translated: re.Match[str], languages: list[str]
) -> None:
    """A language line ("  fr: question | choice | …") into the question above it."""
    lang, rest = translated.group(1).lower(), translated.group(2)
    if not questions:
        raise ComposeError(_("A language line (“fr: …”) goes under the question it translates."))
    if lang not in languages:
        raise ComposeError(
            _("{lang} is not a language of this message ({languages}).").format(
                lang=lang, languages=", ".join(languages)
            )
        )
    question = questions[-1]
    parts = _parts(rest)
    if len(parts) != 1 + len(question["choices"]):
        raise ComposeError(
            _("The {lang} line of question {n} needs the question and its {count} choices.").format(
                lang=lang, n=len(questions), count=len(question["choices"])
            )
        )
    question["question"][lang] = parts[0]
    for choice, label in zip(question["choices"], parts[1:], strict=True):
        choice[lang] = label


def _question(line: str, n: int, first: str) -> dict[str, Any]:
    """Question `n` from its line in the `first` language: its type mark, text and choices."""
    kind, most = "single", None
    mark = TYPE_MARK.match(line)
    if mark:
        kind = mark.group(1).lower()
        most = int(mark.group(2)) if mark.group(2) else None
        line = line[mark.end() :]
    parts = _parts(line)
    if not parts:
        raise ComposeError(_("Question {n} has no text.").format(n=n))
    if kind in ("single", "multiple") and len(parts) < 3:
        raise ComposeError(
            _("Question {n} needs at least two choices: Question? | choice | choice").format(n=n)
        )
    if kind in ("scale", "open") and len(parts) > 1:
        raise ComposeError(_("Question {n} is answered without choices; remove them.").format(n=n))
    question: dict[str, Any] = {
        "type": kind,
        "question": {first: parts[0]},
        "choices": [{first: label} for label in parts[1:]],
    }
    if most is not None:
        if kind != "multiple" or not 1 <= most <= len(parts) - 1:
            raise ComposeError(
                _("Question {n}: [multiple N] takes at most as many as there are choices.").format(
                    n=n
                )
            )
        question["max_choices"] = most
    return question


def _check_every_language(questions: list[dict[str, Any]], languages: list[str]) -> None:
    for n, question in enumerate(questions, start=1):
        for lang in languages[1:]:
            if lang not in question["question"]:
                raise ComposeError(
                    _("Question {n} has no {lang} text: add a line “  {lang}: …” under it.").format(
                        n=n, lang=lang
                    )
                )


def format_questions(questions: list[dict[str, Any]], languages: list[str]) -> str:
    """The text of saved questions, to edit them again (the inverse of parse_questions)."""
    lines = []
    for question in questions:
        have = [lang for lang in languages if lang in question["question"]] or list(
            question["question"]
        )
        first, others = have[0], have[1:]
        kind = question.get("type", "single")
        mark = ""
        if kind == "multiple":
            most = question.get("max_choices")
            mark = f"[multiple {most}] " if most else "[multiple] "
        elif kind in ("scale", "open"):
            mark = f"[{kind}] "
        choices = question.get("choices", [])
        lines.append(
            mark + " | ".join([question["question"][first], *(c.get(first, "") for c in choices)])
        )
        for lang in others:
            texts = [question["question"][lang], *(c.get(lang, "") for c in choices)]
            lines.append(f"  {lang}: " + " | ".join(texts))
    return "\n".join(lines)
