"""The ``[accounts.NAME.smtp]`` table: where replies are sent, validated like the rest of the
config (one ``ConfigError`` line naming file, key and problem).

==================== =========== ============ ================================================
key                  type        default      meaning
==================== =========== ============ ================================================
``host``             string      (required)   SMTP server host name or IP address
``port``             integer     465 / 587 /  1-65535; 465 with ``tls = "implicit"``, 587 with
                                 25           ``"starttls"``, 25 with ``"none"``
``tls``              string      "implicit"   ``"implicit"``, ``"starttls"`` or ``"none"``
                                              (plaintext: only to a loopback host, the IMAP
                                              rule)
``username``         string      the IMAP     the SMTP login name; ``""`` logs in not at all
                                 username     (a relay on localhost)
``password_command`` ...         the IMAP     one of password_command, password_keyring,
``password_keyring``             account's    password_env, as for IMAP; none of them: the
``password_env``                 source       IMAP account's password source
``ca_file``          string      (none)       PEM certificates to trust (self-signed servers)
``timeout``          number      30           connect/read timeout in seconds
==================== =========== ============ ================================================

Keys on the account itself: ``sent_folder`` (default ``"Sent"``: where a copy of each sent
message is filed with IMAP APPEND) and ``signature`` (text put under every reply and forward,
after a ``-- `` line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from storage.hosts import is_loopback

if TYPE_CHECKING:
    from storage.settings import _Validator

__all__ = ["SMTP_KEYS", "SmtpConfig", "parse_smtp"]

SmtpTls = Literal["implicit", "starttls", "none"]

SMTP_KEYS = (
    "host",
    "port",
    "tls",
    "username",
    "password_command",
    "password_keyring",
    "password_env",
    "ca_file",
    "timeout",
)
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
    v: _Validator, account: tuple[str, str], value: Any, imap_username: str
) -> SmtpConfig:
    """Validate the ``smtp`` value of an account table (``v`` is the settings validator)."""
    from storage.settings import (
        _bool,
        _command,
        _env_name,
        _host,
        _int_range,
        _string,
        _timeout,
        _tls,
    )

    where = (*account, "smtp")
    if not isinstance(value, Mapping):
        raise v.error(account, "smtp", "must be a table ([accounts.NAME.smtp])")
    v.check_keys(where, value, SMTP_KEYS)
    host = v.require(where, value, "host", _host, "a host name or IP address")
    tls: SmtpTls = v.get(where, value, "tls", _tls, '"implicit", "starttls" or "none"', "implicit")
    if tls == "none" and not is_loopback(host):
        problem = (
            'plaintext SMTP is only allowed to a loopback host; use tls = "implicit" or "starttls"'
        )
        raise v.error(where, "tls", problem)
    port = v.get(
        where, value, "port", _int_range(1, 65535), "an integer 1-65535", _DEFAULT_PORTS[tls]
    )
    username = imap_username
    if "username" in value:
        raw = value["username"]
        if not isinstance(raw, str):
            raise v.error(where, "username", "must be a string")
        username = raw.strip()
    command = v.get(where, value, "password_command", _command, "a command line", None)
    keyring = v.get(where, value, "password_keyring", _bool, "true or false", False)
    env = v.get(where, value, "password_env", _env_name, "an environment variable name", None)
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
    ca_file = v.get(where, value, "ca_file", _string, "a non-empty path", None)
    timeout = v.get(where, value, "timeout", _timeout, "a number of seconds 0-3600", 30.0)
    return SmtpConfig(
        host=host,
        port=port,
        tls=tls,
        username=username,
        password_command=command,
        password_keyring=keyring,
        password_env=env,
        ca_file=v.resolve(ca_file) if ca_file is not None else None,
        timeout=timeout,
    )
