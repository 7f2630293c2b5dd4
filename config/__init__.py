"""buurt's data, not code: the demo dataset, default console settings, message templates.

Read it with `config.files()` so it works from an installed wheel as well as a checkout.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files as _files
from importlib.resources.abc import Traversable
from typing import Any


def files() -> Traversable:
    """The root of the config data, wherever the package is installed."""
    return _files(__name__)


def topics() -> dict[str, dict[str, str]]:
    """The fixed vocabulary of post topics: code -> {language: label}."""
    return dict(load_toml("topics.toml")["topics"])


def statuses() -> dict[str, dict[str, str]]:
    """A submission's statuses as residents read them: code -> {language: label}."""
    return dict(load_toml("statuses.toml")["statuses"])


def load_toml(relative_path: str) -> dict[str, Any]:
    """Parse one TOML file of the config data, e.g. `demo/dataset.toml`."""
    node = files()
    for part in relative_path.split("/"):
        node = node / part
    return tomllib.loads(node.read_text(encoding="utf-8"))
