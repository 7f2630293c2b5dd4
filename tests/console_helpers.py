"""What the console's command-line tests share: `buurt` run in-process, with an empty home.

tests/conftest.py names this module in its `pytest_plugins`, so its fixtures reach every test
and pytest rewrites its asserts.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.cli import main
from tests.conftest import DEMO_PASSWORD


@dataclass
class CommandLine:
    """`buurt` in this process: the console's home, what it reads on standard input and
    what it wrote. The keyring is the test's choice (`memory_keyring` or `no_keyring`)."""

    home: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def login(self, url: str, email: str, password: str = DEMO_PASSWORD, *options: str) -> int:
        """`buurt login` with the password on standard input; answers the exit code."""
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        return main(["--url", url, *options, "login", "--email", email, "--password-stdin"])

    def signed_in(self, url: str, email: str) -> None:
        """Sign in (it must work), and forget what signing in wrote."""
        assert self.login(url, email) == 0, self.output().err
        self.output()

    def output(self) -> pytest.CaptureResult[str]:
        """What the commands wrote since the last time this was asked."""
        return self.capsys.readouterr()


@pytest.fixture
def cli(
    console_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CommandLine:
    """`buurt` run in-process with an empty config and data dir."""
    return CommandLine(console_home, monkeypatch, capsys)
