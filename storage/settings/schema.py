"""The config file's schema: one table of every key (section, name, type, default, meaning) with
the check that validates its value and the words of its error.

The loader (``storage.settings.loading``, ``storage.settings.smtp``) validates through these
entries, and ``supportmail.storage.settings.reference`` renders them as docs/configuration.md, so
the reference cannot drift from what the loader accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

from supportmail.storage.imap.tlspin import FINGERPRINT_EXAMPLE
from supportmail.storage.settings import values
from supportmail.storage.settings.model import BodiesSetting, TlsMode

__all__ = ["ACCOUNT", "SCHEMA", "SMTP", "TOP", "Key", "names"]

_T = TypeVar("_T")

TOP = ""
ACCOUNT = "accounts.NAME"
SMTP = "accounts.NAME.smtp"


class Key(NamedTuple, Generic[_T]):
    """One config key: where it goes, what it holds, and how its value is checked (a named
    tuple: the schema loads before the window's first frame)."""

    section: str
    """``TOP``, ``ACCOUNT`` or ``SMTP``."""
    name: str
    type: str
    """The TOML type, as the reference shows it."""
    default: str
    """The default, as the reference shows it (``(none)``, ``(required)``, a value)."""
    meaning: str
    """One line for the reference (Markdown)."""
    check: Callable[[Any], _T | None]
    """The value converted, or None when it is not acceptable."""
    expected: str
    """What the value must be: the error says ``must be EXPECTED, got VALUE``."""


_HOST_EXPECTED = "a host name or IP address"
_TLS_EXPECTED = '"implicit", "starttls" or "none"'
_TIMEOUT_EXPECTED = "a number of seconds 0-3600"
_NON_EMPTY = "a non-empty string"

# -- the top level

ACCOUNTS = Key[dict[str, Any]](
    TOP,
    "accounts",
    "table",
    "(none)",
    "one `[accounts.NAME]` table per mailbox; NAME is letters, digits, `.`, `_`, `-`",
    values.table,
    "a table of accounts",
)
DEFAULT_ACCOUNT = Key[str](
    TOP,
    "default_account",
    "string",
    "the first account",
    "the account used when `--account` is not given; must name one of the `accounts`",
    values.string,
    _NON_EMPTY,
)
KEYMAP = Key[str](
    TOP,
    "keymap",
    "string",
    '"default"',
    "key map: `default`, `vim`, `emacs`, `mutt` (or a file the keymap loader understands)",
    values.string,
    _NON_EMPTY,
)
TEAM_ADDRESSES = Key[tuple[str, ...]](
    TOP,
    "team_addresses",
    "array of strings",
    "[]",
    "the team's own people (lowercased); their mail is never counted as a customer's",
    values.string_list,
    "an array of non-empty strings",
)
POLL_SECONDS = Key[int](
    TOP,
    "poll_seconds",
    "integer",
    "60",
    "how often the window and `watch` poll a server without IDLE (1-86400)",
    values.int_range(1, 86400),
    "an integer 1-86400",
)
BODIES = Key[BodiesSetting](
    TOP,
    "bodies",
    "string",
    '"all"',
    'which messages\' text `sync` mirrors into the cache: `"all"`, `"none"` (fetched when a'
    ' thread is opened), or a window of days such as `"365 days"` (1-100000); see'
    " [bodies.md](bodies.md)",
    values.bodies,
    values.BODIES_EXPECTED,
)

# -- one account

HOST = Key[str](
    ACCOUNT,
    "host",
    "string",
    "(required)",
    "IMAP server host name or IP address",
    values.host,
    f"{_HOST_EXPECTED} (the port goes in `port`)",
)
PORT = Key[int](
    ACCOUNT,
    "port",
    "integer",
    "993 / 143",
    '1-65535; 993 when `tls = "implicit"`, else 143',
    values.int_range(1, 65535),
    "an integer 1-65535",
)
TLS = Key[TlsMode](
    ACCOUNT,
    "tls",
    "string",
    '"implicit"',
    '`"implicit"` (TLS from the start, port 993), `"starttls"` (upgrade, port 143) or `"none"`'
    " (plaintext: only to a loopback host: 127.0.0.0/8, ::1, `localhost`, `*.localhost`)",
    values.tls,
    _TLS_EXPECTED,
)
USERNAME = Key[str](
    ACCOUNT, "username", "string", "(required)", "the IMAP login name", values.string, _NON_EMPTY
)
FOLDERS = Key[tuple[str, ...]](
    ACCOUNT,
    "folders",
    "array of strings",
    '["INBOX"]',
    "the folders to read; add the team's Sent folder so threads show both sides",
    values.folder_list,
    "a non-empty array of non-empty strings",
)
PASSWORD_COMMAND = Key[str](
    ACCOUNT,
    "password_command",
    "string",
    "(none)",
    'a command printing the password on its first line of output, e.g. `"pass show'
    ' mail/support"`; run without a shell, 30 s time limit',
    values.command,
    "a command line",
)
PASSWORD_KEYRING = Key[bool](
    ACCOUNT,
    "password_keyring",
    "boolean",
    "false",
    "read the password from the OS keyring, service `supportmail`, user `USERNAME@HOST`; store"
    " it with `keyring set supportmail USERNAME@HOST`",
    values.boolean,
    "true or false",
)
PASSWORD_ENV = Key[str](
    ACCOUNT,
    "password_env",
    "string",
    "(none)",
    "name of an environment variable holding the password",
    values.env_name,
    "an environment variable name",
)
ADDRESS = Key[str](
    ACCOUNT,
    "address",
    "string",
    "(none)",
    "the team's own address for this mailbox",
    values.string,
    _NON_EMPTY,
)
CA_FILE = Key[str](
    ACCOUNT,
    "ca_file",
    "string",
    "(none)",
    "a PEM file of certificates to trust (self-signed servers); `~` is expanded and a relative"
    " path is relative to the config file's directory; a missing file is a config error",
    values.string,
    "a non-empty path",
)
TLS_FINGERPRINT = Key[str](
    ACCOUNT,
    "tls_fingerprint",
    "string",
    "(none)",
    'pin the server\'s certificate by its SHA-256: `"sha256:AB:CD:..."` (64 hex digits, colons'
    " and the `sha256:` prefix optional, any case); the connection is trusted iff the"
    " certificate matches (no CA or host name check); needs TLS; not together with `ca_file`",
    values.fingerprint,
    f"a SHA-256 certificate fingerprint ({FINGERPRINT_EXAMPLE})",
)
TIMEOUT = Key[float](
    ACCOUNT,
    "timeout",
    "number",
    "30",
    "connect/read timeout in seconds (0-3600, exclusive of 0)",
    values.timeout,
    _TIMEOUT_EXPECTED,
)
SENT_FOLDER = Key[str](
    ACCOUNT,
    "sent_folder",
    "string",
    '"Sent"',
    "where a copy of each sent reply or forward is filed (IMAP APPEND)",
    values.string,
    _NON_EMPTY,
)
SIGNATURE = Key[str](
    ACCOUNT,
    "signature",
    "string",
    "(none)",
    "text under every reply and forward (after a `-- ` line)",
    values.text,
    "a string",
)
SMTP_TABLE = Key[dict[str, Any]](
    ACCOUNT,
    "smtp",
    "table",
    "(none)",
    "`[accounts.NAME.smtp]`: the server replies go through (its keys below); without it the"
    " account cannot send",
    values.table,
    "a table ([accounts.NAME.smtp])",
)
ACCOUNT_BODIES = Key[BodiesSetting](
    ACCOUNT,
    "bodies",
    "string",
    "the top-level `bodies`",
    "this account's body mirror (same values as the top-level `bodies`, which it overrides)",
    values.bodies,
    values.BODIES_EXPECTED,
)

# -- an account's SMTP server

SMTP_HOST = Key[str](
    SMTP,
    "host",
    "string",
    "(required)",
    "SMTP server host name or IP address",
    values.host,
    _HOST_EXPECTED,
)
SMTP_PORT = Key[int](
    SMTP,
    "port",
    "integer",
    "465 / 587 / 25",
    '1-65535; 465 with `tls = "implicit"`, 587 with `"starttls"`, 25 with `"none"`',
    values.int_range(1, 65535),
    "an integer 1-65535",
)
SMTP_TLS = Key[TlsMode](
    SMTP,
    "tls",
    "string",
    '"implicit"',
    '`"implicit"`, `"starttls"` or `"none"` (plaintext: only to a loopback host, the IMAP rule)',
    values.tls,
    _TLS_EXPECTED,
)
SMTP_USERNAME = Key[str](
    SMTP,
    "username",
    "string",
    "the IMAP username",
    'the SMTP login name; `""` logs in not at all (a relay on localhost)',
    values.text,
    "a string",
)
SMTP_PASSWORD_COMMAND = Key[str](
    SMTP,
    "password_command",
    "string",
    "(none)",
    "as for IMAP; with none of the three password keys, the IMAP account's password source is used",
    values.command,
    "a command line",
)
SMTP_PASSWORD_KEYRING = Key[bool](
    SMTP, "password_keyring", "boolean", "false", "as for IMAP", values.boolean, "true or false"
)
SMTP_PASSWORD_ENV = Key[str](
    SMTP,
    "password_env",
    "string",
    "(none)",
    "as for IMAP",
    values.env_name,
    "an environment variable name",
)
SMTP_CA_FILE = Key[str](
    SMTP,
    "ca_file",
    "string",
    "(none)",
    "PEM certificates to trust (self-signed servers); a missing file is a config error",
    values.string,
    "a non-empty path",
)
SMTP_TIMEOUT = Key[float](
    SMTP,
    "timeout",
    "number",
    "30",
    "connect/read timeout in seconds",
    values.timeout,
    _TIMEOUT_EXPECTED,
)

SCHEMA: tuple[Key[Any], ...] = (
    ACCOUNTS,
    DEFAULT_ACCOUNT,
    KEYMAP,
    TEAM_ADDRESSES,
    POLL_SECONDS,
    BODIES,
    HOST,
    PORT,
    TLS,
    USERNAME,
    FOLDERS,
    PASSWORD_COMMAND,
    PASSWORD_KEYRING,
    PASSWORD_ENV,
    ADDRESS,
    CA_FILE,
    TLS_FINGERPRINT,
    TIMEOUT,
    SENT_FOLDER,
    SIGNATURE,
    SMTP_TABLE,
    ACCOUNT_BODIES,
    SMTP_HOST,
    SMTP_PORT,
    SMTP_TLS,
    SMTP_USERNAME,
    SMTP_PASSWORD_COMMAND,
    SMTP_PASSWORD_KEYRING,
    SMTP_PASSWORD_ENV,
    SMTP_CA_FILE,
    SMTP_TIMEOUT,
)
"""Every key the config file may hold, in the reference's order."""


def names(section: str) -> tuple[str, ...]:
    """The keys a section may hold (anything else is an unknown key)."""
    return tuple(key.name for key in SCHEMA if key.section == section)
