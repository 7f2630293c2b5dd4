"""A CSV the server makes, saved in the current folder from a screen's export key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from textual.app import App

from console.api.errors import ApiError
from console.i18n import _


async def save_csv(app: App[Any], request: Awaitable[str], destination: Path) -> None:
    """Write the CSV the request answers to `destination`, then tell the person where it
    went, or why it did not."""
    try:
        text = await request
        # Written off the event loop: a slow disk never freezes the screen.
        await asyncio.to_thread(destination.write_text, text, encoding="utf-8")
    except (ApiError, OSError) as error:
        reason = error.message if isinstance(error, ApiError) else str(error)
        app.notify(_("Not exported: {reason}").format(reason=reason), severity="error")
        return
    app.notify(_("Saved as {path}").format(path=destination))
