"""The systemd units in deploy/ run commands that `buurt-server` takes, with the options
the README promises (the proxy is the only one believed about the client's address)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from server.cli import build_parser

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def commands() -> list[list[str]]:
    found = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text().splitlines():
            key, _, value = line.partition("=")
            if not key.startswith("Exec") or "buurt-server" not in value:
                continue
            words = shlex.split(value.replace("$$", "$").replace("%%", "%"))
            if words[:2] == ["/bin/sh", "-c"]:
                words = shlex.split(re.sub(r"^exec ", "", words[2]))
            start = next(i for i, w in enumerate(words) if w.endswith("/buurt-server"))
            found.append(words[start + 1 :])
    return found


def test_the_units_commands_parse() -> None:
    parsed = {tuple(args[:1]): build_parser().parse_args(args) for args in commands()}
    assert set(parsed) == {("serve",), ("migrate",), ("backup",)}
    serve = parsed[("serve",)]
    assert serve.forwarded_allow_ips == "127.0.0.1" and serve.host == "127.0.0.1"
    assert parsed[("migrate",)].check is True
    assert str(parsed[("backup",)].file).startswith("/var/backups/buurt/buurt-")
