"""Files only their owner reads: the console's config, credentials, drafts, last-seen data.

They hold server addresses, e-mail addresses, unpublished announcements and sign-ins, so
their folders are created 0700 and the files 0600 from the first byte (never readable by
others, not even briefly), and written whole (a crash leaves the old file, not half a new).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter (created, or tightened if it exists).
    Folders made on the way (the data dir above `credentials/`) are the owner's too."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        # mkdir's mode is masked by the umask.
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable and writable by its owner only."""
    private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)  # an older .tmp left by a crash keeps its mode otherwise
    tmp.replace(path)
