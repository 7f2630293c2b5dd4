"""The console's only way to the server: a typed async client (`console.api.client`) and its
errors (`console.api.errors`).

Nothing is imported here: a command that needs only the errors (`buurt --help` registers
every command) does not wait for the client's httpx, asyncio and pydantic models.
"""

import os
import sys

# httpx imports its own command line (click, rich, pygments) when it is imported, unless
# that fails; it is not ours to run, and it cost every `buurt` command ~50 ms of start-up.
# A None entry makes Python refuse that one import, and httpx goes on without it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

# pydantic looks for plugins in the entry points of every installed distribution when it
# builds its first model (50-150 ms here, before the first figure or `whoami`'s answer);
# the console uses none (a value the user set is kept).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
