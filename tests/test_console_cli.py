"""`buurt login | logout | whoami | profiles` through the real CLI, on a real server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli import main
from tests.conftest import DEMO_PASSWORD, MemoryKeyring
from tests.live import LiveServer
from tests.pgserver import free_port

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from tests.console_helpers import CommandLine


def test_login_whoami_logout_with_a_keyring(
    live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    assert cli.login(live_server.url, "officer@mechelen.demo") == 0
    assert "Signed in to" in cli.output().err
    # The refresh token went to the keyring; the config file holds no secret.
    stored = json.loads(memory_keyring.entries[("buurt", "default")])
    assert stored["refresh_token"].startswith("brt_")
    config_text = (cli.home / "config" / "config.toml").read_text()
    assert "officer@mechelen.demo" in config_text and live_server.url in config_text
    assert "brt_" not in config_text and "bat_" not in config_text
    assert not (cli.home / "data" / "credentials").exists()

    assert main(["whoami", "--json"]) == 0
    who = json.loads(cli.output().out)
    assert who["email"] == "officer@mechelen.demo"
    assert who["organisation"] == "Stad Mechelen"
    assert set(who["roles"]) == {"analyst", "communicator", "moderator"}
    assert who["server"] == live_server.url and "keyring" in who["credential"]

    assert main(["whoami"]) == 0
    human = cli.output().out
    assert "Lotte Peeters" in human and "keyring" in human

    assert main(["logout"]) == 0
    assert ("buurt", "default") not in memory_keyring.entries
    cli.output()
    assert main(["whoami"]) == 3
    assert "not signed in" in cli.output().err


def test_no_keyring_falls_back_to_a_private_file_with_one_warning(
    live_server: LiveServer, no_keyring: None, cli: CommandLine
) -> None:
    assert cli.login(live_server.url, "analyst@mechelen.demo") == 0
    err = cli.output().err
    assert "No system keyring is available" in err
    path = cli.home / "data" / "credentials" / "default.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["refresh_token"].startswith("brt_")
    # Signing in again: the file is there already, so no second warning.
    assert cli.login(live_server.url, "analyst@mechelen.demo") == 0
    assert "No system keyring" not in cli.output().err
    assert main(["whoami", "--json"]) == 0
    assert str(path) in json.loads(cli.output().out)["credential"]
    # Every command after: no warning; whoami says where the sign-in is kept.
    for command in (["whoami"], ["messages", "list"], ["stats"]):
        assert main(command) == 0, command
        assert "No system keyring" not in cli.output().err, command
    assert main(["whoami"]) == 0
    assert str(path) in cli.output().out
    assert main(["logout"]) == 0
    assert not path.exists()
    # Signed out and in again: the profile was told already.
    cli.output()
    assert cli.login(live_server.url, "analyst@mechelen.demo") == 0
    assert "No system keyring" not in cli.output().err
    # Another profile is told once, too.
    other = ["--profile", "other"]
    assert cli.login(live_server.url, "analyst@mechelen.demo", DEMO_PASSWORD, *other) == 0
    assert "No system keyring" in cli.output().err
    assert main([*other, "logout"]) == 0
    assert cli.login(live_server.url, "analyst@mechelen.demo", DEMO_PASSWORD, *other) == 0
    assert "No system keyring" not in cli.output().err


def test_wrong_password_exits_3_with_a_sentence(
    live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    code = cli.login(live_server.url, "moderator@mechelen.demo", "wrong-password")
    assert code == 3
    err = cli.output().err
    assert err.strip() == "error: The email address or the password is not right."
    assert memory_keyring.entries == {}


def test_unreachable_server_exits_6(memory_keyring: MemoryKeyring, cli: CommandLine) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert cli.login(url, "someone@city.example", "pw", "--lang", "nl") == 6
    err = cli.output().err
    assert "is niet bereikbaar" in err and "Traceback" not in err


def test_profiles_and_api_token_override(
    live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    assert cli.login(live_server.url, "officer@mons.demo", DEMO_PASSWORD, "--profile", "mons") == 0
    assert (
        cli.login(live_server.url, "officer@denhaag.demo", DEMO_PASSWORD, "--profile", "haag") == 0
    )
    cli.output()
    assert main(["profiles", "--json"]) == 0
    profiles = {p["name"]: p for p in json.loads(cli.output().out)}
    assert set(profiles) == {"mons", "haag"}
    assert profiles["mons"]["default"] is True  # the first one made
    assert main(["--profile", "haag", "whoami", "--json"]) == 0
    assert json.loads(cli.output().out)["organisation"] == "Gemeente Den Haag"
    assert main(["whoami", "--json"]) == 0
    assert json.loads(cli.output().out)["organisation"] == "Ville de Mons"

    # A script's API token (BUURT_TOKEN, BUURT_URL) wins over the stored sign-in.
    import httpx

    access = httpx.post(
        f"{live_server.url}/v1/auth/token",
        json={"email": "officer@mons.demo", "password": DEMO_PASSWORD},
    ).json()["access_token"]
    token = httpx.post(
        f"{live_server.url}/v1/tokens",
        json={"name": "cron", "scopes": ["stats:read"]},
        headers={"Authorization": f"Bearer {access}"},
    ).json()["token"]
    cli.monkeypatch.setenv("BUURT_TOKEN", token)
    cli.monkeypatch.setenv("BUURT_URL", live_server.url)
    assert main(["--profile", "haag", "whoami", "--json"]) == 0
    who = json.loads(cli.output().out)
    assert who["token_scopes"] == ["stats:read"] and who["credential"] == "BUURT_TOKEN"
    assert who["organisation"] == "Ville de Mons"


def test_broken_config_names_file_and_line(cli: CommandLine) -> None:
    path = cli.home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('theme = "textual-dark"\ncolour = "blue"\n')
    assert main(["profiles"]) == 2
    err = cli.output().err
    assert "colour" in err and f"{path}, line 2" in err
    path.write_text('[profiles.x]\nurl = "http://a"\ntoken = "secret"\n')
    assert main(["profiles"]) == 2
    assert f"{path}, line 3" in cli.output().err
    path.write_text("[profiles\nurl=")
    assert main(["profiles"]) == 2
    err = cli.output().err
    assert str(path) in err and "line 1" in err and "Traceback" not in err


def test_entry_point_in_dutch(console_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURT_TOKEN")}
    env.update(
        BUURT_CONFIG_DIR=str(console_home / "config"),
        BUURT_DATA_DIR=str(console_home / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )

    def buurt(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).parent / "buurt"), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    result = buurt("--lang", "nl", "whoami")
    assert result.returncode == 3
    assert result.stderr.strip() == "fout: U bent niet aangemeld. Voer eerst `buurt login` uit."
    usage = buurt("--lang", "fr", "nonsense")
    assert usage.returncode == 2 and "choix invalide" in usage.stderr


def test_a_damaged_stored_sign_in_says_so_and_login_replaces_it(
    live_server: LiveServer, no_keyring: None, cli: CommandLine
) -> None:
    credentials = cli.home / "data" / "credentials"
    credentials.mkdir(parents=True)
    (credentials / "default.json").write_text("{not json")
    assert main(["--url", live_server.url, "whoami"]) == 3
    said = cli.output().err
    assert "cannot be read" in said and "buurt login" in said and "Traceback" not in said
    assert cli.login(live_server.url, "analyst@mechelen.demo") == 0
    cli.output()
    assert main(["whoami", "--json"]) == 0
    assert json.loads(cli.output().out)["email"] == "analyst@mechelen.demo"


def test_exit_codes_5_conflict_and_7_rate_limited(
    own_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    assert cli.login(own_server.url, "officer@mechelen.demo") == 0
    cli.output()
    assert (
        main(["broadcast", "--title", "Ontwerp", "--body", "x", "--to", "all", "--draft", "--json"])
        == 0
    )
    draft = json.loads(cli.output().out)["message"]
    # Withdrawing a draft conflicts with its state: 5.
    assert main(["messages", "withdraw", str(draft["id"])]) == 5
    assert "current state" in cli.output().err
    # Wrong passwords until the server says wait: 7, with when to try again.
    codes = [cli.login(own_server.url, "analyst@mechelen.demo", "wrong") for _ in range(6)]
    assert codes[:5] == [3] * 5 and codes[5] == 7
    assert "Try again in" in cli.output().err


def test_output_into_a_closed_pipe_ends_quietly(
    live_server: LiveServer, console_home: Path
) -> None:
    """`buurt messages list --json | head`: the reader goes away, no traceback follows."""
    import asyncio

    from console.api.client import ApiClient

    async def token() -> str:
        async with ApiClient(live_server.url) as client:
            await client.sign_in("officer@mechelen.demo", DEMO_PASSWORD)
            return str(client.auth.state.access_token)

    env = {**os.environ, "BUURT_URL": live_server.url, "BUURT_TOKEN": asyncio.run(token())}
    for command in (["messages", "list", "--json"], ["stats", "--json"]):
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "buurt"), *command],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # like `head` that has read what it wanted
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=30) == 0, stderr
        assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_lists_speak_the_language_asked(
    live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    """`messages list` and `submissions list` follow --lang for titles and labels alike, and
    name categories as the TUI does; --json keeps the codes and every language."""
    import uuid

    cli.monkeypatch.setenv("COLUMNS", "200")
    assert cli.login(live_server.url, "officer@mechelen.demo") == 0
    mark = uuid.uuid4().hex[:6]
    body = {"nl": "Tekst.", "en": "Text."}
    title = {"nl": f"Wegenwerken {mark}", "en": f"Roadworks {mark}"}
    draft = ["broadcast", "--title", title["nl"], "--body", body["nl"], "--to", "all"]
    assert main([*draft, "--draft", "--json"]) == 0
    made = json.loads(cli.output().out)["message"]
    from console.session import resolve

    async def add_english() -> None:
        async with resolve(url=live_server.url).client() as client:
            message = await client.message(made["id"])
            content = {**message.content(), "title": title, "body": body}
            await client.edit_message(message.id, content, version=message.version, state="draft")

    import asyncio

    asyncio.run(add_english())
    assert main(["--lang", "en", "messages", "list", "--q", mark]) == 0
    out = cli.output().out
    assert f"Roadworks {mark}" in out and "Draft" in out and "Wegenwerken" not in out
    assert main(["--lang", "nl", "messages", "list", "--q", mark]) == 0
    out = cli.output().out
    assert f"Wegenwerken {mark}" in out and "Klad" in out and "Roadworks" not in out
    assert main(["--lang", "fr", "messages", "list", "--q", mark, "--json"]) == 0
    assert json.loads(cli.output().out)[0]["title"] == title

    args = ["submissions", "list", "--category", "street-light", "--limit", "3"]
    assert main(["--lang", "nl", *args]) == 0
    out = cli.output().out
    assert "Defecte straatverlichting" in out and "street-light" not in out
    assert main(["--lang", "en", *args]) == 0
    assert "Broken street light" in cli.output().out
    assert main(["--lang", "nl", *args, "--json"]) == 0
    listed = json.loads(cli.output().out)
    assert {s["category"]["code"] for s in listed} == {"street-light"}
    assert main(["--lang", "fr", "submissions", "show", str(listed[0]["id"])]) == 0
    assert "Éclairage public en panne" in cli.output().out
