"""Who is calling: a signed-in staff member or a script's API token, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass

from server.models import Organisation, StaffAccount
from server.schemas.vocabulary import SCOPES, Scope

# What a signed-in person's roles allow, in the vocabulary of API token scopes. A token can
# never carry a scope that its owner's roles do not give.
ROLE_SCOPES: dict[str, frozenset[Scope]] = {
    "admin": frozenset(SCOPES),
    "communicator": frozenset({"messages:read", "messages:write", "stats:read"}),
    "moderator": frozenset(
        {"messages:read", "submissions:read", "submissions:write", "stats:read"}
    ),
    "analyst": frozenset({"messages:read", "stats:read", "submissions:read"}),
}


def scopes_for_roles(roles: frozenset[str] | set[str] | list[str]) -> frozenset[str]:
    """All scopes the given roles allow."""
    allowed: set[str] = set()
    for role in roles:
        allowed |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(allowed)


@dataclass(frozen=True)
class Principal:
    """The caller of a request, resolved from its bearer token."""

    account: StaffAccount
    organisation: Organisation
    roles: frozenset[str]
    # None for a person signed in with a password; the token's scopes for a script.
    scopes: frozenset[str] | None
    session_id: int | None = None
    api_token_id: int | None = None
    client_address: str | None = None

    @property
    def is_api_token(self) -> bool:
        """True when a script calls with an API token."""
        return self.scopes is not None

    def may(self, *roles: str, scopes: tuple[str, ...] = ()) -> bool:
        """Whether the caller holds one of `roles` and, with an API token, one of `scopes`
        (the same rule as the routes': for what the live stream may carry)."""
        if not self.roles.intersection(roles):
            return False
        return self.scopes is None or bool(self.scopes.intersection(scopes))
