"""Secrets: argon2 password hashes, random bearer tokens stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Token prefixes tell the kind of a token at a glance (and to secret scanners).
ACCESS_PREFIX = "bat_"
REFRESH_PREFIX = "brt_"
API_PREFIX = "bpt_"

# A valid hash to verify against when the account does not exist, so that a wrong email
# takes as long as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with `hasher` from now on. For the test suite, which signs in
    hundreds of times: argon2 at its cheapest there, its full cost everywhere else (a
    server meeting a cheaper hash upgrades it at the next sign-in, `needs_rehash`)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant-ish time, also when there is no account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    """A new random bearer token with a kind prefix (256 bits of randomness)."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token. Tokens are random, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode()).hexdigest()
