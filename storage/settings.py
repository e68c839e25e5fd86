"""Configuration: where the files live, the TOML config file, and IMAP passwords.

The config file is TOML, found at ``--config``, else ``$SUPPORTMAIL_CONFIG``, else
``config.toml`` in the platform's user config directory (``~/.config/supportmail/`` on Linux).
Data (cache, notes, outbox) lives in ``--data-dir``, else ``$SUPPORTMAIL_DATA``, else the platform's
user data directory (``~/.local/share/supportmail/`` on Linux). A missing config file is not an
error: it means "no accounts yet".

Validation is strict. Every mistake becomes one :class:`ConfigError` whose text is a single line
naming the file (with ``:LINE`` when the key's line can be found), the key and what is wrong, e.g.
``config.toml:7: accounts.support.port: must be an integer 1-65535, got 'abc'``. Unknown keys are
errors too, with a close-match hint (``unknown key 'prot' (did you mean 'port'?)``).

Example::

    default_account = "support"
    team_addresses = ["alice@example.com", "bob@example.com"]

    [accounts.support]
    host = "imap.example.com"
    username = "support@example.com"
    folders = ["INBOX", "Sent"]
    password_command = "pass show mail/support"

Top-level keys:

=================== ============ =========== ====================================================
key                 type         default     meaning
=================== ============ =========== ====================================================
``accounts``        table        (none)      one ``[accounts.NAME]`` table per mailbox; NAME is
                                             letters, digits, ``.``, ``_``, ``-``
``default_account`` string       first       the account used when ``--account`` is not given;
                                 account     must name one of the ``accounts``
``keymap``          string       "default"   key map: ``default``, ``vim``, ``emacs``, ``mutt``
                                             (or a file the keymap loader understands)
``team_addresses``  array of     []          the team's own people (lowercased); their mail is
                    strings                  never counted as a customer's
``poll_seconds``    integer      60          how often the TUI polls when the server has no IDLE
                                             (1-86400)
``bodies``          string       "all"       which messages' text ``sync`` mirrors into the
                                             cache: ``"all"``, ``"none"`` (fetched when a thread
                                             is opened), or a window of days such as
                                             ``"365 days"`` (1-100000); see docs/bodies.md
=================== ============ =========== ====================================================

Keys of an ``[accounts.NAME]`` table:

==================== =========== =========== ===================================================
key                  type        default     meaning
==================== =========== =========== ===================================================
``host``             string      (required)  IMAP server host name or IP address
``port``             integer     993 / 143   1-65535; 993 when ``tls = "implicit"``, else 143
``tls``              string      "implicit"  ``"implicit"`` (TLS from the start, port 993),
                                             ``"starttls"`` (upgrade, port 143) or ``"none"``
                                             (plaintext: only to a loopback host, i.e.
                                             127.0.0.0/8, ::1 or ``localhost``)
``username``         string      (required)  the IMAP login name
``folders``          array of    ["INBOX"]   the folders to read; add the team's Sent folder so
                     strings                 threads show both sides
``password_command`` string      (none)      a command printing the password on its first line
                                             of output, e.g. ``"pass show mail/support"``; run
                                             without a shell, 30 s time limit
``password_keyring`` boolean     false       read the password from the OS keyring, service
                                             ``supportmail``, user ``USERNAME@HOST``; store it
                                             with ``keyring set supportmail USERNAME@HOST``
``password_env``     string      (none)      name of an environment variable holding the password
``address``          string      (none)      the team's own address for this mailbox
``ca_file``          string      (none)      a PEM file of certificates to trust (self-signed
                                             servers); ``~`` is expanded and a relative path is
                                             relative to the config file's directory
``tls_fingerprint``  string      (none)      pin the server's certificate by its SHA-256:
                                             ``"sha256:AB:CD:..."`` (64 hex digits, colons and
                                             the ``sha256:`` prefix optional, any case); the
                                             connection is trusted iff the certificate matches
                                             (no CA or host name check); needs TLS; not
                                             together with ``ca_file``
``timeout``          number      30          connect/read timeout in seconds (0-3600, exclusive
                                             of 0)
``sent_folder``      string      "Sent"      where sent replies are filed (IMAP APPEND)
``signature``        string      (none)      text under every reply and forward (after ``-- ``)
``smtp``             table       (none)      ``[accounts.NAME.smtp]``: the server replies go
                                             through; keys in ``storage.smtp_config``
``bodies``           string      top level   this account's body mirror (same values as the
                                 ``bodies``  top-level ``bodies``, which it overrides)
==================== =========== =========== ===================================================

Exactly one of ``password_command``, ``password_keyring = true`` and ``password_env`` must be set.
The app never writes a password anywhere, and no error message contains one: a failing
``password_command`` is reported with its exit status only, never its output.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import shlex
import subprocess
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import platformdirs

from storage.hosts import is_loopback
from storage.imap.tlspin import FINGERPRINT_EXAMPLE, parse_fingerprint
from storage.sanitize import one_line

if TYPE_CHECKING:
    from storage.smtp_config import SmtpConfig

__all__ = [
    "PASSWORD_COMMAND_TIMEOUT",
    "AccountConfig",
    "BodiesSetting",
    "ConfigError",
    "PasswordError",
    "Settings",
    "config_path",
    "data_dir",
    "get_password",
    "load_settings",
]

APP_NAME = "supportmail"
KEYRING_SERVICE = "supportmail"
PASSWORD_COMMAND_TIMEOUT = 30.0

TlsMode = Literal["implicit", "starttls", "none"]
_TLS_MODES: tuple[TlsMode, ...] = ("implicit", "starttls", "none")

_TOP_KEYS = (
    "accounts",
    "default_account",
    "keymap",
    "team_addresses",
    "poll_seconds",
    "bodies",
)
_ACCOUNT_KEYS = (
    "host",
    "port",
    "tls",
    "username",
    "folders",
    "password_command",
    "password_keyring",
    "password_env",
    "address",
    "ca_file",
    "tls_fingerprint",
    "timeout",
    "sent_folder",
    "signature",
    "smtp",
    "bodies",
)
_PASSWORD_KEYS = ("password_command", "password_keyring", "password_env")

_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"at line (\d+), column \d+")
_BODIES_WINDOW = re.compile(r"\s*(\d{1,6})\s*days?\s*", re.IGNORECASE)
_BODIES_EXPECTED = '"all", "none" or a window of days such as "365 days"'
_BODIES_DAYS_MAX = 100_000


class ConfigError(Exception):
    """A mistake in the configuration; ``str()`` is one line: file, key and what is wrong.

    Raise it with a ready message (``ConfigError("path: what is wrong")``) or build it from parts
    with :meth:`at`; the parts stay available as ``file``, ``line`` (1-based or None), ``key``
    (dotted key path, or "") and ``problem``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        key: str = "",
        problem: str = "",
        line: int | None = None,
    ) -> None:
        super().__init__(one_line(message))
        self.file = file
        self.key = key
        self.problem = problem or one_line(message)
        self.line = line

    @classmethod
    def at(cls, file: str, key: str, problem: str, line: int | None = None) -> ConfigError:
        """``FILE[:LINE]: KEY: PROBLEM`` (the key part is left out when empty)."""
        where = f"{file}:{line}" if line is not None else file
        message = ": ".join([where, key, problem] if key else [where, problem])
        return cls(message, file=file, key=key, problem=problem, line=line)


class PasswordError(Exception):
    """A password could not be obtained; the one-line text never contains a password."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


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
        hint = _did_you_mean(str(wanted), list(self.accounts))
        raise ConfigError.at(file, "accounts", f"no account named {wanted!r}{hint}; known: {known}")


# --------------------------------------------------------------------------- locations


def config_path(cli_value: str | None = None) -> Path:
    """The config file: ``--config``, else ``$SUPPORTMAIL_CONFIG``, else the user config dir."""
    chosen = cli_value or os.environ.get("SUPPORTMAIL_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def data_dir(cli_value: str | None = None) -> Path:
    """The data directory: ``--data-dir``, else ``$SUPPORTMAIL_DATA``, else the user data dir."""
    chosen = cli_value or os.environ.get("SUPPORTMAIL_DATA")
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


# --------------------------------------------------------------------------- loading


def load_settings(path: Path) -> Settings:
    """Read and validate the config file; a missing file gives Settings with no accounts."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(None, {}, None, "default", (), 60)
    except OSError as exc:
        raise ConfigError.at(
            str(path), "", f"cannot read the file: {exc.strerror or exc}"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.at(str(path), "", f"not valid UTF-8 (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError.at(str(path), "", f"invalid TOML: {exc}", line) from None
    return _Validator(path, text).settings(data)


_T = TypeVar("_T")


class _Validator:
    """Turns the parsed TOML into Settings, raising ConfigError at the first mistake."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.bodies = BodiesSetting()
        """The top-level ``bodies``: the default of every account's."""

    # -- errors

    def error(self, table: Sequence[str], key: str | None, problem: str) -> ConfigError:
        parts = [*table, key] if key is not None else list(table)
        line = _find_line(self.lines, tuple(table), key)
        return ConfigError.at(str(self.path), _dotted(parts), problem, line)

    def check_keys(
        self, table: Sequence[str], data: Mapping[str, Any], known: Sequence[str]
    ) -> None:
        for key in data:
            if key not in known:
                hint = _did_you_mean(key, known)
                problem = f"unknown key {key!r}{hint}"
                line = _find_line(self.lines, tuple(table), key)
                raise ConfigError.at(str(self.path), _dotted(table), problem, line)

    # -- typed getters

    def get(
        self,
        table: Sequence[str],
        data: Mapping[str, Any],
        key: str,
        check: Callable[[Any], _T | None],
        expected: str,
        default: _T,
    ) -> _T:
        if key not in data:
            return default
        value = data[key]
        result = check(value)
        if result is None:
            raise self.error(table, key, f"must be {expected}, got {_show(value)}")
        return result

    def require(
        self,
        table: Sequence[str],
        data: Mapping[str, Any],
        key: str,
        check: Callable[[Any], _T | None],
        expected: str,
    ) -> _T:
        if key not in data:
            raise self.error(table, None, f"missing required key {key!r}")
        result = self.get(table, data, key, check, expected, None)
        assert result is not None  # get() raised if the check failed
        return result

    # -- top level

    def settings(self, data: dict[str, Any]) -> Settings:
        self.check_keys((), data, _TOP_KEYS)
        self.bodies = self.get((), data, "bodies", _bodies, _BODIES_EXPECTED, BodiesSetting())
        accounts = self.accounts(data.get("accounts", {}))
        default = self.get((), data, "default_account", _string, "a non-empty string", None)
        if default is not None and default not in accounts:
            known = ", ".join(accounts) or "none"
            hint = _did_you_mean(default, list(accounts))
            problem = f"no account named {default!r}{hint}; known accounts: {known}"
            raise self.error((), "default_account", problem)
        if default is None and accounts:
            default = next(iter(accounts))
        keymap = self.get((), data, "keymap", _string, "a non-empty string", "default")
        no_addresses: tuple[str, ...] = ()
        addresses = self.get(
            (), data, "team_addresses", _string_list, "an array of non-empty strings", no_addresses
        )
        poll = self.get((), data, "poll_seconds", _int_range(1, 86400), "an integer 1-86400", 60)
        return Settings(
            path=self.path,
            accounts=accounts,
            default_account=default,
            keymap=keymap,
            team_addresses=tuple(dict.fromkeys(a.lower() for a in addresses)),
            poll_seconds=poll,
            bodies=self.bodies,
        )

    def accounts(self, value: Any) -> dict[str, AccountConfig]:
        if not isinstance(value, dict):
            raise self.error((), "accounts", f"must be a table of accounts, got {_show(value)}")
        accounts: dict[str, AccountConfig] = {}
        for name, table in value.items():
            if not _ACCOUNT_NAME.fullmatch(name):
                problem = "account names may hold only letters, digits, '.', '_' and '-'"
                raise self.error(("accounts",), name, problem)
            if not isinstance(table, dict):
                problem = f"must be a table ([accounts.{name}]), got {_show(table)}"
                raise self.error(("accounts",), name, problem)
            accounts[name] = self.account(name, table)
        return accounts

    # -- one account

    def account(self, name: str, data: dict[str, Any]) -> AccountConfig:
        where = ("accounts", name)
        self.check_keys(where, data, _ACCOUNT_KEYS)
        host = self.require(
            where, data, "host", _host, "a host name or IP address (the port goes in `port`)"
        )
        username = self.require(where, data, "username", _string, "a non-empty string")
        implicit: TlsMode = "implicit"
        tls = self.get(where, data, "tls", _tls, '"implicit", "starttls" or "none"', implicit)
        if tls == "none" and not is_loopback(host):
            problem = (
                "plaintext login is only allowed to a loopback host; "
                'use tls = "implicit" or "starttls"'
            )
            raise self.error(where, "tls", problem)
        default_port = 993 if tls == "implicit" else 143
        port = self.get(
            where, data, "port", _int_range(1, 65535), "an integer 1-65535", default_port
        )
        folders = self.get(
            where, data, "folders", _folder_list, "a non-empty array of non-empty strings", None
        )
        if folders is not None and len(set(folders)) != len(folders):
            raise self.error(where, "folders", "lists the same folder twice")
        timeout = self.get(where, data, "timeout", _timeout, "a number of seconds 0-3600", 30.0)
        address = self.get(where, data, "address", _string, "a non-empty string", None)
        ca_file = self.get(where, data, "ca_file", _string, "a non-empty path", None)
        fingerprint = self.fingerprint(where, data, tls, ca_file)
        command, keyring, env = self.password_sources(where, data)
        smtp, sent_folder, signature = self.sending(where, data, username)
        bodies = self.get(where, data, "bodies", _bodies, _BODIES_EXPECTED, self.bodies)
        return AccountConfig(
            name=name,
            host=host,
            port=port,
            tls=tls,
            username=username,
            folders=folders if folders is not None else ("INBOX",),
            password_command=command,
            password_keyring=keyring,
            password_env=env,
            address=address,
            ca_file=self.resolve(ca_file) if ca_file is not None else None,
            timeout=timeout,
            tls_fingerprint=fingerprint,
            smtp=smtp,
            sent_folder=sent_folder,
            signature=signature,
            bodies=bodies,
        )

    def sending(
        self, where: tuple[str, str], data: Mapping[str, Any], username: str
    ) -> tuple[SmtpConfig | None, str, str | None]:
        """The answering keys: ``smtp`` (storage.smtp_config), ``sent_folder``, ``signature``."""
        from storage.smtp_config import parse_smtp

        smtp = parse_smtp(self, where, data["smtp"], username) if "smtp" in data else None
        sent = self.get(where, data, "sent_folder", _string, "a non-empty string", "Sent")
        signature = self.get(where, data, "signature", _text, "a string", None)
        return smtp, sent.strip(), signature

    def fingerprint(
        self, where: tuple[str, str], data: Mapping[str, Any], tls: TlsMode, ca_file: str | None
    ) -> str | None:
        expected = f"a SHA-256 certificate fingerprint ({FINGERPRINT_EXAMPLE})"
        value = self.get(where, data, "tls_fingerprint", _fingerprint, expected, None)
        if value is None:
            return None
        if tls == "none":
            raise self.error(where, "tls_fingerprint", 'needs tls = "implicit" or "starttls"')
        if ca_file is not None:
            problem = "set either ca_file or tls_fingerprint, not both (the pin replaces the CA)"
            raise self.error(where, "tls_fingerprint", problem)
        return value

    def password_sources(
        self, where: tuple[str, str], data: Mapping[str, Any]
    ) -> tuple[str | None, bool, str | None]:
        command = self.get(where, data, "password_command", _command, "a command line", None)
        keyring = self.get(where, data, "password_keyring", _bool, "true or false", False)
        env = self.get(where, data, "password_env", _env_name, "an environment variable name", None)
        chosen = [
            key
            for key, used in zip(
                _PASSWORD_KEYS, (command is not None, keyring, env is not None), strict=True
            )
            if used
        ]
        if not chosen:
            problem = (
                "no password source; set one of password_command, "
                "password_keyring = true or password_env"
            )
            raise self.error(where, None, problem)
        if len(chosen) > 1:
            problem = f"several password sources ({', '.join(chosen)}); keep exactly one"
            raise self.error(where, chosen[1], problem)
        return command, keyring, env

    def resolve(self, value: str) -> str:
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        return str(path)


# --------------------------------------------------------------------------- value checks
# Each returns the converted value, or None when the value is not acceptable.


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int_range(low: int, high: int) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return cast(int, value) if ok else None

    return check


def _timeout(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 < number <= 3600 else None


def _bodies(value: Any) -> BodiesSetting | None:
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word == "all":
        return BodiesSetting()
    if word == "none":
        return BodiesSetting(enabled=False)
    match = _BODIES_WINDOW.fullmatch(value)
    if match is None or not 1 <= int(match.group(1)) <= _BODIES_DAYS_MAX:
        return None
    return BodiesSetting(days=int(match.group(1)))


def _tls(value: Any) -> TlsMode | None:
    for mode in _TLS_MODES:
        if value == mode:
            return mode
    return None


def _host(value: Any) -> str | None:
    if not isinstance(value, str) or not value or any(not c.isprintable() for c in value):
        return None
    if any(c.isspace() or c in "/[]@" for c in value):
        return None
    if ":" in value and not _is_ip(value):
        return None  # "imap.example.com:993": the port goes in `port`
    return value


def _fingerprint(value: Any) -> str | None:
    return parse_fingerprint(value) if isinstance(value, str) else None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _string_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(_string(item) for item in value):
        return None
    return tuple(item.strip() for item in value)


def _folder_list(value: Any) -> tuple[str, ...] | None:
    items = _string_list(value)
    return items if items else None


def _command(value: Any) -> str | None:
    if _string(value) is None:
        return None
    try:
        argv = shlex.split(value)
    except ValueError:
        return None
    return cast(str, value) if argv else None


def _env_name(value: Any) -> str | None:
    return value if isinstance(value, str) and _ENV_NAME.fullmatch(value) else None


# --------------------------------------------------------------------------- message helpers


def _show(value: Any) -> str:
    """A short, one-line description of a TOML value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = repr(value)
        return shown if len(shown) <= 60 else shown[:57] + "...'"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dotted(parts: Sequence[str]) -> str:
    return ".".join(p if _BARE_KEY.fullmatch(p) else _quote(p) for p in parts)


def _quote(part: str) -> str:
    escaped = part.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


# --------------------------------------------------------------------------- line lookup
# A cheap scan of the file's lines: good for the usual "[table]" + "key = value" layout; anything
# fancier (inline tables, dotted keys) just gives no line number.


def _find_line(lines: Sequence[str], table: tuple[str, ...], key: str | None) -> int | None:
    current: tuple[str, ...] = ()
    header_line: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = _header(stripped)
            if current == table:
                header_line = number
                if key is None:
                    return number
            continue
        if key is not None and current == table and _assigns(stripped, key):
            return number
    return header_line


def _header(line: str) -> tuple[str, ...]:
    inner = line.split("]", 1)[0].lstrip("[")
    return tuple(part.strip().strip("\"'") for part in inner.split("."))


def _assigns(line: str, key: str) -> bool:
    name = line.split("=", 1)[0].strip().strip("\"'") if "=" in line else None
    return name == key


# --------------------------------------------------------------------------- passwords


def get_password(account: AccountConfig) -> str:
    """The account's password from its one configured source; PasswordError when unavailable."""
    sources = [
        account.password_command is not None,
        account.password_keyring,
        account.password_env is not None,
    ]
    if sum(sources) != 1:
        raise PasswordError(
            f"account {account.name!r} must have exactly one password source "
            "(password_command, password_keyring or password_env)"
        )
    if account.password_command is not None:
        return _password_from_command(account.name, account.password_command)
    if account.password_env is not None:
        return _password_from_env(account.name, account.password_env)
    return _password_from_keyring(account)


def _password_from_command(name: str, command: str) -> str:
    what = f"password_command for account {name!r}"
    try:
        argv = shlex.split(command)
    except ValueError:
        raise PasswordError(f"{what} is not a valid command line") from None
    if not argv:
        raise PasswordError(f"{what} is empty")
    argv[0] = os.path.expanduser(argv[0])
    program = argv[0]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=PASSWORD_COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise PasswordError(f"{what}: program {program!r} not found") from None
    except PermissionError:
        raise PasswordError(f"{what}: program {program!r} is not executable") from None
    except subprocess.TimeoutExpired:
        limit = f"{PASSWORD_COMMAND_TIMEOUT:g}"
        raise PasswordError(f"{what} did not finish within {limit} s") from None
    except OSError as exc:
        raise PasswordError(f"{what}: cannot run {program!r}: {exc.strerror}") from None
    if done.returncode != 0:
        raise PasswordError(f"{what} failed with exit status {done.returncode}")
    return _first_line(done.stdout, what)


def _first_line(output: bytes, what: str) -> str:
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise PasswordError(f"{what} printed something that is not UTF-8") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise PasswordError(f"{what} printed nothing on its first line of output")
    return lines[0]


def _password_from_env(name: str, variable: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise PasswordError(
            f"environment variable {variable} (password_env of account {name!r}) is not set"
        )
    if not value:
        raise PasswordError(
            f"environment variable {variable} (password_env of account {name!r}) is empty"
        )
    return value


def _password_from_keyring(account: AccountConfig) -> str:
    import keyring  # imported on use: loading the backends costs time at start-up
    import keyring.errors

    user = f"{account.username}@{account.host}"
    try:
        value = keyring.get_password(KEYRING_SERVICE, user)
    except keyring.errors.KeyringError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PasswordError(
            f"cannot read the OS keyring for account {account.name!r}: {reason}"
        ) from None
    if not value:
        command = shlex.join(["keyring", "set", KEYRING_SERVICE, user])
        raise PasswordError(
            f"no password in the OS keyring for account {account.name!r}; store one with: {command}"
        )
    return value
