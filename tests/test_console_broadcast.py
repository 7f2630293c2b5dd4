"""`buurt broadcast` and `buurt messages` through the real CLI, against a real server."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from console.cli import main
from tests.conftest import MemoryKeyring
from tests.live import LiveServer

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from tests.console_helpers import CommandLine


TEMPLATES = Path(__file__).resolve().parents[1] / "config" / "templates"


@pytest.fixture
def signed_in(live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine) -> str:
    cli.signed_in(live_server.url, "ocmw@mechelen.demo")
    return live_server.url


def broadcast_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["broadcast", *args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_dry_run_sends_nothing(signed_in: str, capsys: pytest.CaptureFixture[str]) -> None:
    title = f"Zitdag {uuid.uuid4().hex[:6]}"
    out = broadcast_json(
        capsys, "--title", title, "--body", "Elke dinsdag.", "--to", "Battel,heihoek", "--dry-run"
    )
    assert out["dry_run"] is True and out["message"] is None
    reach = out["reach"]
    assert [n["name"] for n in reach["neighbourhoods"]] == ["Battel", "Heihoek"]
    assert reach["total_households"] == 1300 + 1650
    assert 0 < reach["registered_households"] < reach["total_households"]
    assert main(["messages", "list", "--q", title, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    # Human output states the reach too.
    assert main(["broadcast", "--title", title, "--body", "x", "--to", "Battel", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "Reach:" in captured.out and "in 1 neighbourhood." in captured.out
    assert "nothing was sent" in captured.err


def test_publish_then_rerun_sends_once(signed_in: str, capsys: pytest.CaptureFixture[str]) -> None:
    title = f"Voedselbedeling {uuid.uuid4().hex[:6]}"
    args = ("--title", title, "--body", "Zaterdag van **10 tot 12 uur**.", "--to", "Arsenaal")
    first = broadcast_json(capsys, *args)
    again = broadcast_json(capsys, *args)
    assert first["message"]["state"] == "published"
    assert first["message"]["target_names"] == ["Arsenaal"]
    assert first["message"]["reach_registered"] == first["reach"]["registered_households"]
    assert again["message"]["id"] == first["message"]["id"]
    assert again["message"]["replayed"] is True and first["message"]["replayed"] is False
    assert again["idempotency_key"] == first["idempotency_key"]
    assert main(["messages", "list", "--q", title, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    # Other content is another message.
    other = broadcast_json(
        capsys, "--title", title + " (2)", "--body", "Anders.", "--to", "Arsenaal"
    )
    assert other["message"]["id"] != first["message"]["id"]


def test_explicit_key_with_other_content_is_refused(
    signed_in: str, capsys: pytest.CaptureFixture[str]
) -> None:
    key = f"cron-{uuid.uuid4()}"
    broadcast_json(capsys, "--title", "Eén", "--body", "a", "--to", "all", "--idempotency-key", key)
    code = main(
        ["broadcast", "--title", "Twee", "--body", "b", "--to", "all", "--idempotency-key", key]
    )
    assert code == 4
    assert "already used for a different message" in capsys.readouterr().err


def test_message_file_schedule_show_and_withdraw(
    signed_in: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (TEMPLATES / "alert.md").read_text().replace('to = "all"', 'to = ["Nekkerspoel"]')
    path = tmp_path / "alert.md"
    path.write_text(text.replace("Hou ramen", f"Hou ramen {uuid.uuid4().hex[:4]}"))
    out = broadcast_json(capsys, "--file", str(path), "--schedule", "2031-05-01 07:30")
    message = out["message"]
    assert message["state"] == "scheduled" and message["kind"] == "alert"
    assert message["alert"] == {"urgency": "high"}
    assert set(message["title"]) == {"nl", "en"} and "ventilatie" in message["body"]["nl"]
    # JSON says the municipality's time with its offset (07:30 in Brussels is 05:30 UTC).
    assert message["scheduled_at"] == "2031-05-01T07:30:00+02:00"
    assert main(["messages", "show", str(message["id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == message["id"]
    assert main(["messages", "withdraw", str(message["id"])]) == 0
    assert "withdrawn" in capsys.readouterr().err
    assert main(["messages", "list", "--state", "withdrawn", "--json"]) == 0
    assert message["id"] in [m["id"] for m in json.loads(capsys.readouterr().out)]


def test_templates_are_valid(signed_in: str, capsys: pytest.CaptureFixture[str]) -> None:
    for template in sorted(TEMPLATES.glob("*.md")):
        code = main(["broadcast", "--file", str(template), "--to", "Battel", "--dry-run"])
        assert code == 0, (template.name, capsys.readouterr().err)
        capsys.readouterr()


def test_exit_codes(signed_in: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Usage: a neighbourhood outside the agency, with a suggestion for a typo.
    assert main(["broadcast", "--title", "t", "--body", "b", "--to", "Ragheno"]) == 2
    assert "No neighbourhood called 'Ragheno'" in capsys.readouterr().err
    assert main(["broadcast", "--title", "t", "--body", "b", "--to", "Batel"]) == 2
    assert "Did you mean Battel?" in capsys.readouterr().err
    assert main(["broadcast", "--kind", "event", "--title", "t", "--body", "b", "--to", "all"]) == 2
    assert "An event needs a place" in capsys.readouterr().err
    assert main(["broadcast", "--title", "t", "--to", "all"]) == 2
    everyone = ["--to", "all"]
    assert (
        main(["broadcast", "--title", "t", "--body", "b", *everyone, "--schedule", "morgen"]) == 2
    )
    assert "YYYY-MM-DD HH:MM" in capsys.readouterr().err
    # Nobody chosen is not everybody: the sender says "all".
    assert main(["broadcast", "--title", "t", "--body", "b", "--dry-run"]) == 2
    assert "--to all" in capsys.readouterr().err
    assert main(["broadcast", "--title", "t", "--body", "b", "--to", "", "--dry-run"]) == 2
    capsys.readouterr()
    # Validation by the server: a time in the past.
    past = ["--schedule", "2020-01-01 10:00"]
    assert main(["broadcast", "--title", "t", "--body", "b", *everyone, *past]) == 4
    assert "future" in capsys.readouterr().err
    # Not found.
    assert main(["messages", "withdraw", "999999"]) == 4
    assert main(["--lang", "nl", "messages", "show", "999999"]) == 4
    assert "niet zichtbaar" in capsys.readouterr().err


def test_analyst_cannot_broadcast(
    live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    cli.signed_in(live_server.url, "analyst@mechelen.demo")
    assert main(["broadcast", "--title", "t", "--body", "b", "--to", "all"]) == 4
    assert "communicator or admin" in cli.output().err


def test_the_same_file_goes_out_again_the_next_day(
    signed_in: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daily cron of an unchanged text: once a day, never twice the same day."""
    import console.commands.broadcast as broadcast

    title = f"Afvalkalender {uuid.uuid4().hex[:6]}"
    args = ("--title", title, "--body", "Morgen: papier.", "--to", "Arsenaal")
    today = broadcast_json(capsys, *args)
    retried = broadcast_json(capsys, *args)
    assert retried["message"]["id"] == today["message"]["id"] and retried["message"]["replayed"]

    real = broadcast.datetime

    class Tomorrow(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return real.now(tz) + timedelta(days=1)

    monkeypatch.setattr(broadcast, "datetime", Tomorrow)
    tomorrow = broadcast_json(capsys, *args)
    assert tomorrow["message"]["id"] != today["message"]["id"]
    assert tomorrow["message"]["replayed"] is False
    assert tomorrow["idempotency_key"] != today["idempotency_key"]


def test_message_files_are_read_strictly_and_the_dry_run_says_when(
    signed_in: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def file(front: str, body: str = "<!-- nl -->\nTekst.\n") -> str:
        path = tmp_path / f"m{uuid.uuid4().hex[:6]}.md"
        path.write_text(f'+++\n{front}\n[title]\nnl = "Titel"\n+++\n{body}')
        return str(path)

    # A typo in a key: refused, naming the key and the nearest one, nothing sent.
    typo = file('shedule = "2027-12-24 06:00"')
    assert main(["broadcast", "--file", typo, "--dry-run"]) == 2
    said = capsys.readouterr().err
    assert "unknown key 'shedule'" in said and "Did you mean 'schedule'?" in said
    # A language we do not write in: refused, not folded into the Dutch text.
    german = file('to = ["Battel"]', "<!-- nl -->\nTekst.\n<!-- de -->\nText.\n")
    assert main(["broadcast", "--file", german, "--dry-run"]) == 2
    assert "unknown language marker <!-- de -->" in capsys.readouterr().err
    # No front matter at all.
    bare = tmp_path / "bare.md"
    bare.write_text("Alleen tekst.\n")
    assert main(["broadcast", "--file", str(bare), "--dry-run"]) == 2
    assert "has no front matter" in capsys.readouterr().err
    # The dry run says when it would go out; a past time fails it as it fails the real run.
    now = file('to = ["Battel"]')
    assert main(["broadcast", "--file", now, "--dry-run"]) == 0
    assert "It would be published now." in capsys.readouterr().err
    later = file('to = ["Battel"]\nschedule = "2030-01-02 06:00"')
    assert main(["broadcast", "--file", later, "--dry-run"]) == 0
    assert (
        "It would be scheduled for 2 Jan 2030 06:00 (Europe/Brussels)." in capsys.readouterr().err
    )
    assert broadcast_json(capsys, "--file", later, "--dry-run")["publishes"].startswith(
        "2030-01-02T06:00:00+01:00"
    )
    past = file('to = ["Battel"]\nschedule = "2020-01-02 06:00"')
    assert main(["broadcast", "--file", past, "--dry-run"]) == 4
    assert "has passed" in capsys.readouterr().err
    assert main(["broadcast", "--file", past]) == 4
    capsys.readouterr()
    # A draft with a schedule: a sentence, not the server's field error.
    assert main(["broadcast", "--file", later, "--draft"]) == 2
    assert "A draft is not scheduled" in capsys.readouterr().err
