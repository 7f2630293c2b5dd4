"""Console configuration: `config.toml` in the platformdirs config dir, with profiles.

A profile is one server (and usually one municipality): its URL and the email last used.
Secrets never go in this file; see `console.credentials`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from platformdirs import user_config_dir, user_data_dir

import config as config_data
from console.i18n import _
from console.private_files import write_private

KNOWN_TOP = {"default_profile", "language", "theme", "profiles", "keys", "default_url"}
KNOWN_PROFILE = {"url", "email", "language"}
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the line."""


def config_dir() -> Path:
    """Where config.toml lives (`BUURT_CONFIG_DIR` overrides, for tests and odd setups)."""
    return Path(os.environ.get("BUURT_CONFIG_DIR") or user_config_dir("buurt", appauthor=False))


def data_dir() -> Path:
    """Where drafts, the demo database and (without a keyring) credentials live."""
    return Path(os.environ.get("BUURT_DATA_DIR") or user_data_dir("buurt", appauthor=False))


@dataclass
class Profile:
    """One server to talk to."""

    name: str
    url: str
    email: str | None = None
    language: str | None = None

    def to_toml(self) -> dict[str, str]:
        data = {"url": self.url}
        if self.email:
            data["email"] = self.email
        if self.language:
            data["language"] = self.language
        return data


@dataclass
class ConsoleConfig:
    """Defaults from the package, overridden by the user's config.toml."""

    path: Path
    default_profile: str | None = None
    language: str | None = None
    theme: str = "textual-dark"
    default_url: str = "http://127.0.0.1:8000"
    keys: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def profile(self, name: str | None) -> Profile | None:
        """The named profile, else the default one, else None."""
        wanted = name or self.default_profile
        if wanted:
            return self.profiles.get(wanted)
        if len(self.profiles) == 1:
            return next(iter(self.profiles.values()))
        return None

    def upsert_profile(self, profile: Profile, *, make_default: bool = False) -> None:
        """Add or replace a profile; the first one becomes the default."""
        if not PROFILE_NAME.match(profile.name):
            raise ConfigError(_("A profile name may hold letters, digits, '.', '_' and '-' only."))
        self.profiles[profile.name] = profile
        if make_default or not self.default_profile:
            self.default_profile = profile.name

    def save(self) -> None:
        """Write config.toml (never a secret in it)."""
        data: dict[str, Any] = {}
        if self.default_profile:
            data["default_profile"] = self.default_profile
        if self.language:
            data["language"] = self.language
        data["theme"] = self.theme
        if self.keys:
            data["keys"] = dict(self.keys)
        data["profiles"] = {name: p.to_toml() for name, p in sorted(self.profiles.items())}
        write_private(self.path, tomli_w.dumps(data))


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[+\s*)?[\"']?{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _unknown(path: Path, text: str, key: str, where: str | None = None) -> ConfigError:
    line = _line_of(text, key)
    place = _("{path}, line {line}").format(path=path, line=line) if line else str(path)
    if where:
        return ConfigError(
            _("Unknown setting '{key}' in profile '{profile}' ({place}).").format(
                key=key, profile=where, place=place
            )
        )
    return ConfigError(_("Unknown setting '{key}' ({place}).").format(key=key, place=place))


def load_config(path: Path | None = None) -> ConsoleConfig:
    """Read defaults and the user's config.toml; a broken file is a ConfigError."""
    path = path or config_dir() / "config.toml"
    defaults = config_data.load_toml("console/defaults.toml")
    cfg = ConsoleConfig(
        path=path,
        theme=defaults.get("theme", "textual-dark"),
        language=defaults.get("language") or None,
        default_url=defaults.get("default_url", "http://127.0.0.1:8000"),
        keys=dict(defaults.get("keys", {})),
    )
    if not path.exists():
        return cfg
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("The config file {path} is not valid TOML: {error}").format(path=path, error=exc)
        ) from None
    for key in data:
        if key not in KNOWN_TOP:
            raise _unknown(path, text, key)
    cfg.default_profile = data.get("default_profile") or None
    cfg.language = data.get("language") or cfg.language
    cfg.theme = data.get("theme", cfg.theme)
    cfg.default_url = data.get("default_url", cfg.default_url)
    user_keys = data.get("keys", {})
    if not isinstance(user_keys, dict):
        raise _unknown(path, text, "keys")
    cfg.keys.update({str(k): str(v) for k, v in user_keys.items()})
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(_("'profiles' must be a table ({path}).").format(path=path))
    for name, raw in profiles.items():
        if not isinstance(raw, dict):
            raise _unknown(path, text, name)
        for key in raw:
            if key not in KNOWN_PROFILE:
                raise _unknown(path, text, key, where=name)
        if "url" not in raw:
            line = _line_of(text, f"profiles.{name}")
            raise ConfigError(
                _("Profile '{profile}' has no url ({path}, line {line}).").format(
                    profile=name, path=path, line=line or "?"
                )
            )
        cfg.profiles[name] = Profile(
            name=name, url=raw["url"], email=raw.get("email"), language=raw.get("language")
        )
    if cfg.default_profile and cfg.default_profile not in cfg.profiles:
        raise ConfigError(
            _("The default profile '{profile}' is not defined ({path}, line {line}).").format(
                profile=cfg.default_profile, path=path, line=_line_of(text, "default_profile")
            )
        )
    return cfg
