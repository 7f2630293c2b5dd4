"""What the console last saw of the server, kept so that the next start draws at once.

A signed-in start used to wait for two round trips (who am I, then the figures) before the
dashboard showed a number. Now it shows the account and the figures of the last session,
marked with the time they were read, while fresh ones are asked for in the background.
One file per profile in the data dir, 0600 (it names the person signed in), tied to the
server and the account; gone at sign-out. Counts and city content only, never tokens.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from console.api.models import Me, Message, Overview, Page, SubmissionCounts
from console.private_files import write_private

VERSION = 1
# When they were read, the overview, the inbox counts (None for who may not read it), the
# recent messages.
Figures = tuple[datetime, Overview, SubmissionCounts | None, Page[Message]]


class LastSeen:
    """The last account and dashboard figures of one profile on one server."""

    def __init__(self, data_dir: Path, profile: str, url: str) -> None:
        self.path = data_dir / "last-seen" / f"{profile}.json"
        self.url = url.rstrip("/")

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return {}
        return data if data.get("url") == self.url else {}

    def _write(self, data: dict[str, Any]) -> None:
        data.update(version=VERSION, url=self.url)
        # A quicker next start is not worth an error in front of anyone.
        with contextlib.suppress(OSError):
            write_private(self.path, json.dumps(data, ensure_ascii=False))

    def me(self) -> Me | None:
        """The account last signed in on this profile and server."""
        try:
            return Me.model_validate(self._read()["me"])
        except (KeyError, TypeError, ValidationError):
            return None

    def keep_me(self, me: Me) -> None:
        """Remember the account; figures of another account are dropped."""
        data = self._read()
        if data.get("me", {}).get("id") != me.id:
            data = {}
        data["me"] = me.model_dump(mode="json")
        self._write(data)

    def figures(self, period: str) -> Figures | None:
        """The dashboard's last figures for a period, with the time they were read."""
        try:
            kept = self._read()["figures"][period]
            return (
                datetime.fromisoformat(kept["at"]),
                Overview.model_validate(kept["overview"]),
                SubmissionCounts.model_validate(kept["counts"]) if kept["counts"] else None,
                Page[Message].model_validate(kept["messages"]),
            )
        except (KeyError, TypeError, ValueError, ValidationError):
            return None

    def keep_figures(
        self,
        period: str,
        overview: Overview,
        counts: SubmissionCounts | None,
        messages: Page[Message],
    ) -> None:
        """Remember the figures the dashboard just read (for the account remembered)."""
        data = self._read()
        if "me" not in data:
            return
        data.setdefault("figures", {})[period] = {
            "at": datetime.now(UTC).isoformat(),
            "overview": overview.model_dump(mode="json"),
            "counts": counts.model_dump(mode="json") if counts else None,
            "messages": messages.model_dump(mode="json"),
        }
        self._write(data)

    def clear(self) -> None:
        """Forget it all (sign-out)."""
        self.path.unlink(missing_ok=True)
