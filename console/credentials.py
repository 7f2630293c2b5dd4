"""Where a profile's sign-in is kept: the system keyring, or a 0600 file when there is none.

On a headless server keyring picks its fail backend (or raises NoKeyringError); then the
credential goes to `<data dir>/credentials/<profile>.json`, readable by the user only, and the
user is warned once per profile, when that file is first made (a mark beside it remembers,
through sign-outs and sign-ins again). Never in the config file.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from console.api.errors import ApiError
from console.i18n import _
from console.private_files import write_private

if TYPE_CHECKING:
    from console.api.auth import TokenState

SERVICE = "buurt"


@dataclass
class Credential:
    """A sign-in: the refresh token, and the current access token while it lasts."""

    url: str
    refresh_token: str
    access_token: str | None = None
    access_expires_at: float | None = None

    def tokens(self) -> TokenState:
        """The tokens as the API client holds them (it judges the access token's expiry)."""
        from console.api.auth import TokenState

        return TokenState(self.access_token, self.refresh_token, self.access_expires_at)


@dataclass
class Saved:
    """Where a credential went, and the one-time warning to show, if any."""

    location: str
    warning: str | None = None


def keyring_usable() -> bool:
    """False on machines with no real keyring (the fail backend, or priority below zero)."""
    # keyring is imported where it is used: importing it and finding its backend take
    # 0.1-0.4 s here, and a credential kept in a file never needs it (`buurt whoami`).
    import keyring
    from keyring.backends import fail
    from keyring.errors import KeyringError

    try:
        backend = keyring.get_keyring()
    except KeyringError:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    try:
        return float(backend.priority) > 0
    except Exception:
        return False


class UnreadableCredential(ApiError):
    """A stored sign-in that is there but cannot be read (damaged, or no permission)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            _(
                "Your stored sign-in ({where}) cannot be read ({reason}). Sign in again "
                "(`buurt login`) to replace it."
            ).format(where=where, reason=reason)
        )


class CredentialStore:
    """Keeps one credential per profile."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.directory = data_dir / "credentials"

    def _file(self, profile: str) -> Path:
        return self.directory / f"{profile}.json"

    def where(self, profile: str) -> str:
        """A person-readable place the profile's credential is (or would be) kept."""
        if self._file(profile).exists() or not keyring_usable():
            return _("file {path} (readable only by you)").format(path=self._file(profile))
        return _("system keyring (service '{service}')").format(service=SERVICE)

    def save(self, profile: str, credential: Credential) -> Saved:
        """Store the credential; falls back to the 0600 file when no keyring works."""
        blob = json.dumps(asdict(credential))
        if keyring_usable():
            import keyring
            from keyring.errors import KeyringError

            try:
                keyring.set_password(SERVICE, profile, blob)
            except KeyringError:
                pass
            else:
                self._file(profile).unlink(missing_ok=True)
                return Saved(self.where(profile))
        return self._save_file(profile, blob)

    def _warned(self, profile: str) -> Path:
        """The mark that this profile was told its sign-in is kept in a file."""
        return self.directory / f"{profile}.warned"

    def _save_file(self, profile: str, blob: str) -> Saved:
        path = self._file(profile)
        first_time = not path.exists() and not self._warned(profile).exists()
        # Created 0600 from the start: the token is never readable by others, not even briefly.
        write_private(path, blob)
        warning = None
        if first_time:
            write_private(self._warned(profile), "")
            warning = _(
                "No system keyring is available, so your sign-in is kept in {path}, "
                "readable only by you. Anyone with access to your account can use it."
            ).format(path=path)
        return Saved(self.where(profile), warning)

    def load(self, profile: str) -> Credential | None:
        """The stored credential of a profile, if any; one that is there but cannot be read
        is an `UnreadableCredential` (not a silent "not signed in")."""
        blob: str | None = None
        path = self._file(profile)
        if path.exists():
            try:
                blob = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise UnreadableCredential(self.where(profile), str(error)) from None
        elif keyring_usable():
            import keyring
            from keyring.errors import KeyringError

            try:
                blob = keyring.get_password(SERVICE, profile)
            except KeyringError as error:
                raise UnreadableCredential(self.where(profile), str(error)) from None
        if not blob:
            return None
        try:
            credential = Credential(**json.loads(blob))
        except (ValueError, TypeError):
            raise UnreadableCredential(self.where(profile), _("not a stored sign-in")) from None
        if not isinstance(credential.refresh_token, str) or not isinstance(credential.url, str):
            raise UnreadableCredential(self.where(profile), _("not a stored sign-in"))
        return credential

    def delete(self, profile: str) -> None:
        """Forget the profile's credential everywhere it may be."""
        self._file(profile).unlink(missing_ok=True)
        if keyring_usable():
            import keyring
            from keyring.errors import KeyringError

            with contextlib.suppress(KeyringError):
                keyring.delete_password(SERVICE, profile)
