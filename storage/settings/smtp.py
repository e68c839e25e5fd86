"""The ``[accounts.NAME.smtp]`` table: where replies are sent, validated like the rest of the
config (one ``ConfigError`` line naming file, key and problem).

Its keys, with ``sent_folder`` and ``signature`` on the account itself, are in the schema
(``storage.settings.schema``) and docs/configuration.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from supportmail.storage.hosts import is_loopback
from supportmail.storage.settings import schema as k

if TYPE_CHECKING:
    from supportmail.storage.settings.loading import Validator

__all__ = ["SMTP_KEYS", "SmtpConfig", "parse_smtp"]

SmtpTls = Literal["implicit", "starttls", "none"]

SMTP_KEYS = k.names(k.SMTP)
_DEFAULT_PORTS: dict[str, int] = {"implicit": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """One validated ``[accounts.NAME.smtp]`` table. Password fields all unset: use the IMAP
    account's source."""

    host: str
    port: int
    tls: SmtpTls
    username: str
    password_command: str | None
    password_keyring: bool
    password_env: str | None
    ca_file: str | None
    timeout: float

    @property
    def own_password_source(self) -> bool:
        return (
            self.password_command is not None
            or self.password_keyring
            or self.password_env is not None
        )


def parse_smtp(
    v: Validator, account: tuple[str, str], value: Any, imap_username: str
) -> SmtpConfig:
    """Validate the ``smtp`` value of an account table (``v`` is the settings validator)."""
    where = (*account, "smtp")
    if not isinstance(value, Mapping):
        raise v.error(account, "smtp", "must be a table ([accounts.NAME.smtp])")
    v.check_keys(where, value, SMTP_KEYS)
    host = v.require(where, value, k.SMTP_HOST)
    tls: SmtpTls = v.get(where, value, k.SMTP_TLS, "implicit")
    if tls == "none" and not is_loopback(host):
        problem = (
            'plaintext SMTP is only allowed to a loopback host; use tls = "implicit" or "starttls"'
        )
        raise v.error(where, "tls", problem)
    port = v.get(where, value, k.SMTP_PORT, _DEFAULT_PORTS[tls])
    username = imap_username
    if "username" in value:
        raw = value["username"]
        if not isinstance(raw, str):
            raise v.error(where, "username", "must be a string")
        username = raw.strip()
    command = v.get(where, value, k.SMTP_PASSWORD_COMMAND, None)
    keyring = v.get(where, value, k.SMTP_PASSWORD_KEYRING, False)
    env = v.get(where, value, k.SMTP_PASSWORD_ENV, None)
    chosen = [
        key
        for key, used in (
            ("password_command", command is not None),
            ("password_keyring", keyring),
            ("password_env", env is not None),
        )
        if used
    ]
    if len(chosen) > 1:
        problem = f"several password sources ({', '.join(chosen)}); keep exactly one"
        raise v.error(where, chosen[1], problem)
    ca_file = v.get(where, value, k.SMTP_CA_FILE, None)
    timeout = v.get(where, value, k.SMTP_TIMEOUT, 30.0)
    return SmtpConfig(
        host=host,
        port=port,
        tls=tls,
        username=username,
        password_command=command,
        password_keyring=keyring,
        password_env=env,
        ca_file=v.existing_file(where, "ca_file", ca_file),
        timeout=timeout,
    )
