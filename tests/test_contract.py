"""The console and the server speak one vocabulary: every problem type the server can answer
has a sentence of its own in en, nl and fr, and the console's models and words match the
server's OpenAPI document (field names, types, enum values)."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from console import composing, results
from console.api import models
from console.api.errors import SENTENCES, SENTENCES_WITH_FIELDS, describe
from console.api.vocabulary import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS, STATUSES
from console.commands import participation, submissions
from console.i18n import set_language
from console.inbox import NEXT_STATUSES
from console.screens import assign
from console.screens import results as results_screen
from server.app import create_app
from server.problems import PROBLEM_TYPES
from server.settings import Settings

LANGUAGES = ("en", "nl", "fr")
# A body for the sentences that say what the problem names, as the server sends it.
BODIES: dict[str, dict[str, Any]] = {
    "invalid-token": {"expired": True},
    "missing-role": {"missing_roles": ["admin"]},
    "missing-scope": {"missing_scopes": ["messages:write"]},
    "unknown-parameter": {"parameters": ["neighbourhoods"]},
    "rate-limited": {"retry_after": 30},
    "validation": {},
    "invalid-template": {"placeholder": "naam"},
    "neighbourhood-not-allowed": {"neighbourhood_names": ["Nekkerspoel"]},
    "invalid-transition": {"current_status": "resolved", "allowed": ["in_progress"]},
    "over-budget": {"total_eur": 125000, "budget_eur": 100000},
}


def sentence(slug: str, language: str) -> str:
    set_language(language)
    status = PROBLEM_TYPES[slug][0]
    body = {"type": f"/problems/{slug}", "status": status, **BODIES.get(slug, {})}
    try:
        return describe(status, slug, body)
    finally:
        set_language("en")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_every_problem_type_has_a_sentence_in_every_language(slug: str, language: str) -> None:
    assert slug in SENTENCES or slug in SENTENCES_WITH_FIELDS, f"no sentence for {slug}"
    said = sentence(slug, language)
    fallback = "The server refused the request"
    assert said and not said.startswith(fallback)
    if language != "en":
        assert said != sentence(slug, "en"), f"{slug} is not translated in {language}"


def test_the_sentences_name_only_problem_types_the_server_has() -> None:
    assert set(SENTENCES) | set(SENTENCES_WITH_FIELDS) <= set(PROBLEM_TYPES)
    assert not set(SENTENCES) & set(SENTENCES_WITH_FIELDS)


def test_sentences_say_what_the_problem_names() -> None:
    assert sentence("over-budget", "en") == (
        "The chosen proposals cost €125,000 together; the budget is €100,000."
    )
    assert sentence("over-budget", "fr") == (
        "Les propositions choisies coûtent ensemble 125\u202f000 €\u00a0; le budget est de "
        "100\u202f000 €."
    )
    assert sentence("invalid-transition", "nl") == (
        "Een melding die opgelost is, kan alleen nog worden: In behandeling."
    )


# -- the models against the OpenAPI document ---------------------------------------------------

# Each console model and the server's component schema it reads.
SCHEMAS: dict[type[BaseModel], str] = {
    models.Tokens: "TokenResponse",
    models.Municipality: "MunicipalityOut",
    models.Organisation: "OrganisationOut",
    models.Me: "MeOut",
    models.Neighbourhood: "NeighbourhoodOut",
    models.NeighbourhoodReach: "NeighbourhoodReach",
    models.Reach: "ReachOut",
    models.Message: "MessageOut",
    models.Category: "CategoryOut",
    models.Staff: "StaffOut",
    models.HistoryEntry: "EntryOut",
    models.SubmissionCounts: "SubmissionCounts",
    models.Submission: "SubmissionOut",
    models.SubmissionDetail: "SubmissionDetail",
    models.AssigneeLoad: "AssigneeLoad",
    models.DepartmentLoad: "DepartmentLoad",
    models.Workload: "Workload",
    models.ReplyTemplate: "TemplateOut",
    models.FilledReply: "FilledReply",
    models.Suggestion: "SuggestionOut",
    models.BulkItem: "BulkResult",
    models.BulkOutcome: "BulkOut",
    models.ChoiceResult: "ChoiceResult",
    models.QuestionResult: "QuestionResult",
    models.NeighbourhoodResult: "NeighbourhoodResult",
    models.DayCount: "DayCount",
    models.ProposalResult: "ProposalResult",
    models.Results: "Results",
    models.Proposal: "ProposalOut",
    models.OpenAnswer: "OpenAnswerOut",
}
# The statistics answer without a response model, so the document has no schema for these
# yet; the test below fails when one appears, to be added above.
UNPUBLISHED = {"Overview", "NeighbourhoodStats", "SeriesPoint", "TimeSeries"}
# Fields the client sets itself, never read from the server.
CONSOLE_ONLY = {("Message", "replayed")}

# Every enum the document publishes for a field the console reads, and the console's words
# for it: the words must cover every value the server can send.
SUBMISSION_WORDS = {
    "status": STATUS_LABELS,
    "priority": PRIORITY_LABELS,
    "kind": submissions.KINDS,
    "channel": CHANNEL_LABELS,
}
# A count the server holds back shows as these (console.results.count says each).
HELD_BACK = ("< 5", "hidden")
ENUM_WORDS: dict[tuple[str, str], Any] = {
    **{("SubmissionOut", field): words for field, words in SUBMISSION_WORDS.items()},
    **{("SubmissionDetail", field): words for field, words in SUBMISSION_WORDS.items()},
    ("SubmissionCounts", "by_status"): STATUS_LABELS,
    ("CategoryOut", "kind"): submissions.KINDS,
    ("EntryOut", "kind"): ("created", "change", "reply", "note"),
    ("OrganisationOut", "kind"): ("municipality", "agency"),
    ("MessageOut", "kind"): composing.KIND_LABELS,
    ("MessageOut", "state"): composing.STATE_LABELS,
    ("MessageOut", "targets"): ("all",),
    ("Results", "kind"): composing.KIND_LABELS,
    ("QuestionResult", "type"): results.KIND_LABELS,
    ("ProposalOut", "state"): results_screen.STATE_NAMES,
    ("FilledReply", "language"): composing.LANGUAGES,
    ("MeOut", "roles"): assign.ROLE_LABELS,
    ("StaffOut", "roles"): assign.ROLE_LABELS,
    ("TemplateOut", "status"): STATUS_LABELS,
    **{(name, "count"): HELD_BACK for name in ("ChoiceResult", "DayCount", "Results")},
    ("NeighbourhoodResult", "count"): HELD_BACK,
    ("QuestionResult", "answered"): HELD_BACK,
    ("ProposalResult", "votes"): HELD_BACK,
}
# Scopes are not named to people: the console only asks whether one is there (models.Me,
# checked against the document's scopes below).
NOT_NAMED = {("MeOut", "token_scopes")}
# Words the console writes (choices of a command or a form) and the request field they go to.
REQUEST_WORDS: dict[tuple[str, str], Any] = {
    ("SubmissionCreate", "channel"): CHANNEL_LABELS,
    ("SubmissionChange", "status"): STATUSES,
    ("SubmissionChange", "priority"): submissions.PRIORITIES,
    ("MessageCreate", "kind"): composing.KINDS,
    ("SurveyQuestion", "type"): composing.QUESTION_TYPES,
    ("ProposalOut", "state"): participation.STATES,
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The server's OpenAPI document, built in-process (no database is opened for it)."""
    database = Path(tmp_path_factory.mktemp("contract")) / "buurt.db"
    return create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}")).openapi()


def components(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return components(document)[ref.rsplit("/", 1)[-1]] if ref else schema


def alternatives(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The shapes a value may take (anyOf / oneOf unfolded)."""
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        for branch in branches:
            yield from alternatives(branch)
    else:
        yield schema


def enum_values(document: dict[str, Any], schema: dict[str, Any]) -> set[str] | None:
    """The values an enum-valued field (or its items, or its keys) may take, else None."""
    found: set[str] = set()
    for branch in alternatives(schema):
        branch = resolve(document, branch)
        for inner in (branch, branch.get("items") or {}, branch.get("propertyNames") or {}):
            inner = resolve(document, inner)
            found |= {str(v) for v in inner.get("enum") or ()}
            if "const" in inner:
                found.add(str(inner["const"]))
    return found or None


def accepts(annotation: Any, schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Why a console field typed `annotation` could not read a value of `schema` ([] if it
    can read every shape the schema allows)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any or schema == {}:
        return []
    if origin in (Union, types.UnionType):
        refusals: list[str] = []
        for branch in alternatives(schema):
            if all(accepts(arg, branch, document) for arg in args):
                refusals.append(f"{annotation} cannot read {branch}")
        return refusals
    refusals = []
    for branch in alternatives(schema):
        refusals += _accepts_one(annotation, origin, args, branch, document)
    return refusals


def _accepts_one(
    annotation: Any, origin: Any, args: tuple[Any, ...], branch: dict[str, Any], document: Any
) -> list[str]:
    kind, fmt = branch.get("type"), branch.get("format")
    if "$ref" in branch:
        target = branch["$ref"].rsplit("/", 1)[-1]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            name = SCHEMAS.get(annotation)
            return [] if name == target else [f"{annotation.__name__} reads {target}"]
        if origin is dict or annotation is dict:
            return []
        if annotation is str and resolve(document, branch).get("type") == "string":
            return []  # a string enum
        return [f"{annotation} cannot read {target}"]
    simple = {
        int: {"integer"},
        float: {"number", "integer"},
        str: {"string"},
        bool: {"boolean"},
        type(None): {"null"},
    }
    if annotation in (dt.datetime, dt.date):
        wanted = "date-time" if annotation is dt.datetime else "date"
        return [] if kind == "string" and fmt == wanted else [f"{annotation} from {branch}"]
    if annotation in simple:
        if annotation is str and fmt in ("date-time", "date"):
            return []
        return [] if kind in simple[annotation] else [f"{annotation.__name__} from {branch}"]
    if origin is list:
        if kind != "array":
            return [f"list from {branch}"]
        return accepts(args[0], branch.get("items") or {}, document)
    if origin is dict or annotation is dict:
        if kind != "object":
            return [f"dict from {branch}"]
        values = branch.get("additionalProperties")
        if args and isinstance(values, dict):
            return accepts(args[1], values, document)
        return []
    return [f"no rule for {annotation}"]


@pytest.mark.parametrize("model", list(SCHEMAS), ids=lambda m: m.__name__)
def test_console_model_reads_the_server_schema(
    model: type[BaseModel], document: dict[str, Any]
) -> None:
    schema = components(document)[SCHEMAS[model]]
    properties, required = schema["properties"], set(schema.get("required", ()))
    refusals = []
    for name, field in model.model_fields.items():
        if (model.__name__, name) in CONSOLE_ONLY:
            continue
        if name not in properties:
            refusals.append(f"{name}: not in {SCHEMAS[model]}")
            continue
        if field.is_required() and name not in required:
            refusals.append(f"{name}: required here, optional on the server")
        refusals += [
            f"{name}: {why}" for why in accepts(field.annotation, properties[name], document)
        ]
    assert not refusals, f"{model.__name__} drifted from {SCHEMAS[model]}: {refusals}"


def test_every_model_of_the_console_is_checked(document: dict[str, Any]) -> None:
    mirrors = {
        cls
        for cls in vars(models).values()
        if isinstance(cls, type)
        and issubclass(cls, models.ApiModel)
        and cls not in (models.ApiModel, models.Page)
    }
    assert {cls.__name__ for cls in mirrors - set(SCHEMAS)} == UNPUBLISHED
    assert not UNPUBLISHED & set(components(document))


def test_console_words_cover_every_enum_of_the_document(document: dict[str, Any]) -> None:
    """Every enum the server publishes on a schema the console reads has the console's
    words, and they cover each value (a status the console could not name is drift)."""
    unnamed, uncovered = [], []
    for model, schema_name in SCHEMAS.items():
        properties = components(document)[schema_name]["properties"]
        for field in model.model_fields:
            values = enum_values(document, properties.get(field, {}))
            if values is None or (schema_name, field) in NOT_NAMED:
                continue
            words = ENUM_WORDS.get((schema_name, field))
            if words is None:
                unnamed.append(f"{schema_name}.{field}: {sorted(values)}")
            elif missing := values - set(words):
                uncovered.append(f"{schema_name}.{field}: {sorted(missing)}")
    assert not unnamed, f"enums with no console words: {unnamed}"
    assert not uncovered, f"values the console cannot name: {uncovered}"


@pytest.mark.parametrize("key", list(REQUEST_WORDS), ids="-".join)
def test_console_writes_only_words_the_server_takes(
    key: tuple[str, str], document: dict[str, Any]
) -> None:
    schema_name, field = key
    values = enum_values(document, components(document)[schema_name]["properties"][field])
    assert values, f"{schema_name}.{field} is not published as an enum"
    assert set(REQUEST_WORDS[key]) == values


def test_next_statuses_speak_of_every_status() -> None:
    assert set(NEXT_STATUSES) == set(STATUSES) == set(STATUS_LABELS)
    assert {s for targets in NEXT_STATUSES.values() for s in targets} <= set(STATUSES)


def test_held_back_counts_are_said() -> None:
    set_language("nl")
    try:
        assert [results.count(value) for value in HELD_BACK] == ["< 5", "verborgen"]
    finally:
        set_language("en")


def test_the_scopes_the_console_checks_are_the_servers(document: dict[str, Any]) -> None:
    """With every scope and role the server knows, the console allows all it offers; with
    none, nothing (a scope the console checks under another name would never be there)."""
    me = components(document)["MeOut"]["properties"]
    scopes = enum_values(document, me["token_scopes"])
    roles = enum_values(document, me["roles"]) or set(assign.ROLE_LABELS)
    assert scopes
    base = {
        "id": 1, "email": "a@b.example", "name": "A", "language": "nl",
        "organisation": {"id": 1, "slug": "o", "name": "O", "kind": "municipality",
                         "municipality": {"id": 1, "slug": "m", "name": "M", "languages": ["nl"],
                                          "timezone": "Europe/Brussels", "total_households": 1}},
    }  # fmt: skip
    allowed = models.Me.model_validate(
        {**base, "roles": sorted(roles), "token_scopes": sorted(scopes)}
    )
    refused = models.Me.model_validate({**base, "roles": sorted(roles), "token_scopes": []})
    grants = ("may_write_messages", "may_triage", "may_manage_templates", "may_read_inbox")
    assert all(getattr(allowed, grant) for grant in grants)
    assert not any(getattr(refused, grant) for grant in grants)


def test_a_bulk_change_says_why_items_failed_in_the_console_language() -> None:
    from console.screens.inbox import bulk_outcome_text

    problem = {"type": "/problems/invalid-transition", "status": 422}
    outcome = models.BulkOutcome.model_validate(
        {
            "results": [
                {"id": 3, "ok": True, "version": 2, "status": 200},
                {"id": 4, "ok": False, "status": 422, "problem": {**problem, **BODIES[
                    "invalid-transition"]}},
            ],
            "succeeded": 1,
            "failed": 1,
        }
    )  # fmt: skip
    set_language("nl")
    try:
        text = bulk_outcome_text(outcome)
    finally:
        set_language("en")
    assert text == (
        "1 gewijzigd · 1 niet gewijzigd (#4: Een melding die opgelost is, kan alleen nog "
        "worden: In behandeling.)"
    )
