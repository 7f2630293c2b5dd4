"""The console's only way to the server: a typed async client and its errors."""

import sys

# httpx imports its own command line (click, rich, pygments) when it is imported, unless
# that fails; it is not ours to run, and it cost every `buurt` command ~50 ms of start-up.
# A None entry makes Python refuse that one import, and httpx goes on without it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from console.api.client import ApiClient  # noqa: E402
from console.api.errors import ApiError, ProblemError, Unreachable  # noqa: E402

__all__ = ["ApiClient", "ApiError", "ProblemError", "Unreachable"]
