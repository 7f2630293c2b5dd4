"""Every user-facing string of the console is in the Dutch and French catalogs, compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "console" / "locale"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sr]|%[sr]")


def source_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=[("console/**.py", "python")],
        keywords=KEYWORDS,
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_extraction_finds_the_strings() -> None:
    messages = source_messages()
    assert len(messages) > 80
    assert "Sign in to buurt" in messages


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_catalog_is_complete_and_compiled(language: str) -> None:
    with open(LOCALE / language / "LC_MESSAGES" / "buurt.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    missing = []
    for message in source_messages():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or entry.fuzzy:
            missing.append(key)
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            missing.append(key)
            continue
        ids = message if isinstance(message, tuple) else (message,)
        for translated in strings:
            assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(ids[0])), (
                f"{language}: placeholders differ in {key!r} -> {translated!r}"
            )
    assert not missing, f"{language} catalog lacks: {missing}"
    # The compiled catalog (what ships) says the same as the source catalog.
    with open(LOCALE / language / "LC_MESSAGES" / "buurt.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in catalog:
        if not entry.id or isinstance(entry.id, tuple):
            continue
        assert compiled.gettext(entry.id) == entry.string, (
            f"{language}: buurt.mo is stale for {entry.id!r}; run `make catalogs`"
        )


def test_switching_language_changes_strings() -> None:
    from console.i18n import _, choose_language, set_language

    assert set_language("nl") == "nl" and _("Sign in") == "Aanmelden"
    assert set_language("fr_BE.UTF-8") == "fr" and _("Sign in") == "Se connecter"
    assert set_language("de") == "en" and _("Sign in") == "Sign in"
    assert choose_language(None, "nl_BE", "fr") == "nl"


def test_french_puts_a_no_break_space_before_colons_and_question_marks() -> None:
    """French typography: « Lieu : … », « Publier maintenant ? », never "Lieu:" and never a
    colon that wraps onto its own line."""
    with open(LOCALE / "fr" / "LC_MESSAGES" / "buurt.po", "rb") as handle:
        catalog = read_po(handle, locale="fr")
    loose = re.compile(r"(?:^|[^\u00a0\u202f])[:;?!](?=\s|$)")
    wrong = []
    for entry in catalog:
        if not entry.id:
            continue
        for text in entry.string if isinstance(entry.string, tuple) else (entry.string,):
            if loose.search(text.replace("://", "")):
                wrong.append(text)
    assert not wrong, wrong
