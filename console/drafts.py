"""Local autosave of the message being composed: nothing typed is lost to a quit, a crash or
a lost connection. One file per profile in the data dir, written atomically."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from console.composing import Draft
from console.private_files import write_private


class DraftUnreadable(Exception):
    """The autosaved draft could not be read; its file was kept at `path`."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


class DraftStore:
    """Keeps the one unsent draft of a profile."""

    def __init__(self, data_dir: Path, profile: str) -> None:
        self.path = data_dir / "drafts" / f"{profile}.json"

    def save(self, draft: Draft) -> None:
        """Write the draft (0600: it may hold an unpublished announcement)."""
        draft.saved_at = datetime.now().astimezone().isoformat(timespec="seconds")
        write_private(self.path, json.dumps(draft.to_json(), ensure_ascii=False))

    def load(self) -> Draft | None:
        """The saved draft, if there is one worth offering back. One that cannot be read is
        moved aside (never deleted: it is someone's text) and reported as DraftUnreadable."""
        if not self.path.exists():
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            draft = Draft.from_json(data) if isinstance(data, dict) else None
            if draft is None:
                raise ValueError("not a draft")
        except (OSError, ValueError, TypeError):
            kept = self.path.with_suffix(".damaged.json")
            try:
                self.path.replace(kept)
            except OSError:
                kept = self.path
            raise DraftUnreadable(kept) from None
        return draft if not draft.is_empty() else None

    def clear(self) -> None:
        """Forget the draft (it was sent or saved to the server, or discarded)."""
        self.path.unlink(missing_ok=True)
