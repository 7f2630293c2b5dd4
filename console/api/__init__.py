"""The console's only way to the server: a typed async client and its errors."""

from console.api.client import ApiClient
from console.api.errors import ApiError, ProblemError, Unreachable

__all__ = ["ApiClient", "ApiError", "ProblemError", "Unreachable"]
