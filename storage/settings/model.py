"""The validated configuration as frozen data: :class:`Settings` (the whole file),
:class:`AccountConfig` (one ``[accounts.NAME]`` table) and :class:`BodiesSetting` (the ``bodies``
key)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from supportmail.storage.settings.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from supportmail.storage.settings.smtp import SmtpConfig

__all__ = ["TLS_MODES", "AccountConfig", "BodiesSetting", "Settings", "TlsMode"]

TlsMode = Literal["implicit", "starttls", "none"]
TLS_MODES: tuple[TlsMode, ...] = ("implicit", "starttls", "none")


@dataclass(frozen=True, slots=True)
class BodiesSetting:
    """The ``bodies`` key: which messages' readable text a sync mirrors into the cache."""

    enabled: bool = True
    """False for ``"none"``: bodies are fetched only when a thread is opened."""
    days: int | None = None
    """Only messages dated within this many days (``"365 days"``); None: all of them."""

    def __str__(self) -> str:
        if not self.enabled:
            return "none"
        return "all" if self.days is None else f"{self.days} days"


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One ``[accounts.NAME]`` table, validated, with defaults filled in."""

    name: str
    host: str
    port: int
    tls: TlsMode
    username: str
    folders: tuple[str, ...]
    password_command: str | None
    password_keyring: bool
    password_env: str | None
    address: str | None
    ca_file: str | None
    timeout: float
    tls_fingerprint: str | None = None
    """The pinned certificate's SHA-256 in the canonical ``sha256:AB:CD:...`` form."""
    smtp: SmtpConfig | None = None
    """Where replies are sent (``[accounts.NAME.smtp]``); None: this account cannot send."""
    sent_folder: str = "Sent"
    signature: str | None = None
    bodies: BodiesSetting = BodiesSetting()
    """This account's ``bodies`` (else the top-level one)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole validated config file (or the defaults when there is no file)."""

    path: Path | None
    accounts: dict[str, AccountConfig]
    default_account: str | None
    keymap: str
    team_addresses: tuple[str, ...]
    poll_seconds: int
    bodies: BodiesSetting = BodiesSetting()
    """The top-level ``bodies`` (every account without its own ``bodies`` has this one)."""

    def account(self, name: str | None) -> AccountConfig:
        """The account called ``name``, or the default account when ``name`` is None."""
        file = str(self.path) if self.path is not None else "no config file"
        if not self.accounts:
            raise ConfigError.at(file, "accounts", "no account is configured")
        wanted = name if name is not None else self.default_account
        if wanted is not None and wanted in self.accounts:
            return self.accounts[wanted]
        known = ", ".join(self.accounts)
        hint = did_you_mean(str(wanted), list(self.accounts))
        raise ConfigError.at(file, "accounts", f"no account named {wanted!r}{hint}; known: {known}")
