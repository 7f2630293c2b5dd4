"""The translation layer: every user-facing string goes through `_()` (gettext, domain `buurt`).

Catalogs live in `console/locale/<lang>/LC_MESSAGES/buurt.po`, compiled to `.mo` by
`make catalogs` (babel) and shipped in the wheel. `N_()` marks a string for extraction where
it must be translated later (key binding descriptions, for instance).
"""

from __future__ import annotations

import gettext
import os
from importlib.resources import files

DOMAIN = "buurt"
LANGUAGES = ("en", "nl", "fr")
DEFAULT_LANGUAGE = "en"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def _load(language: str) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    catalog = files("console") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with catalog.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def normalise(language: str | None) -> str | None:
    """`nl_BE.UTF-8` -> `nl`; None when it is not one of ours."""
    if not language:
        return None
    code = language.split(".")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else None


def language_from_environment() -> str | None:
    """The first of ours in LANGUAGE, LC_ALL, LC_MESSAGES, LANG (as gettext looks)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for candidate in os.environ.get(var, "").split(":"):
            found = normalise(candidate)
            if found:
                return found
    return None


def choose_language(*preferences: str | None) -> str:
    """The first usable language of the preferences (e.g. --lang, profile, config), then
    the environment's, then English."""
    for preference in preferences:
        found = normalise(preference)
        if found:
            return found
    return language_from_environment() or DEFAULT_LANGUAGE


def set_language(language: str) -> str:
    """Switch the process to `language`; returns the language in effect."""
    global _translation, _language
    code = normalise(language) or DEFAULT_LANGUAGE
    _translation = _load(code)
    _language = code
    return code


def current_language() -> str:
    """The language strings are translated to right now."""
    return _language


def _(message: str) -> str:
    """Translate a message to the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count."""
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


# What the console calls the languages a municipality speaks (wrapped in `_()` where shown).
LANGUAGE_NAMES = {"nl": N_("Dutch"), "fr": N_("French"), "en": N_("English"), "de": N_("German")}
