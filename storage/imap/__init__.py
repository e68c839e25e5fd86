"""The IMAP layer: one connection (login, folders, search, fetch, store, IDLE), the persistent
sessions the service keeps, the watcher that hears the server change, and server quirks.

``ImapConnection`` is built on IMAPClient for connecting, TLS, LOGIN, SELECT, LIST and IDLE. The
bulk commands (all UIDs, all flags, header batches, bodies, stores) go through the command layer
of IMAPClient's underlying ``imaplib`` connection and are parsed here, because IMAPClient cannot
express ``1:*`` (its ``fetch("1:*")`` raises ValueError) and its response parser is slow for
tens of thousands of messages.

Modules:

* ``connection`` - ``ImapConnection``, composed of ``core`` (state, error translation, raw
  commands), ``login``, ``folders``, ``search``, ``fetch``, ``store`` and ``idle``;
* ``stream`` - reading a FETCH reply off the wire; ``fetchparse`` - the general FETCH parser;
* ``syntax`` - UID sets, INTERNALDATE, quoting; ``records``, ``errors`` - what callers get;
* ``tlspin`` - certificate pinning by fingerprint;
* ``sessions`` - one persistent connection per purpose (sync, interactive, watch);
* ``watcher`` - IDLE on INBOX, STATUS of the other folders, reconnect with backoff;
* ``quirks`` - what sync says about Cyrus's keyword limit and Courier's ``INBOX.`` folders.

Errors: every socket, TLS, ``imaplib`` and IMAPClient exception leaves this package as one of
the ``ImapError`` classes (``storage.imap.errors``) with a one-line message that never contains
the password. Nothing here ever sets ``\\Seen`` implicitly: headers and bodies are fetched with
``BODY.PEEK``. Flags are returned without the session flag ``\\Recent``.

The names below are what the rest of the code imports from ``storage.imap``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportmail.storage.lazy import lazy_exports

if TYPE_CHECKING:
    from supportmail.storage.imap.connection import ImapConnection
    from supportmail.storage.imap.errors import (
        ImapAuthError,
        ImapConnectionLost,
        ImapError,
        ImapRefused,
    )
    from supportmail.storage.imap.fetchparse import Value, parse_fetch
    from supportmail.storage.imap.records import FlagRecord, FolderStatus, HeaderRecord, TlsMode
    from supportmail.storage.imap.syntax import parse_internaldate, parse_uid_set, uid_sets

__all__ = [
    "FlagRecord",
    "FolderStatus",
    "HeaderRecord",
    "ImapAuthError",
    "ImapConnection",
    "ImapConnectionLost",
    "ImapError",
    "ImapRefused",
    "TlsMode",
    "Value",
    "parse_fetch",
    "parse_internaldate",
    "parse_uid_set",
    "uid_sets",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "ImapConnection": "connection",
        "ImapAuthError": "errors",
        "ImapConnectionLost": "errors",
        "ImapError": "errors",
        "ImapRefused": "errors",
        "Value": "fetchparse",
        "parse_fetch": "fetchparse",
        "FlagRecord": "records",
        "FolderStatus": "records",
        "HeaderRecord": "records",
        "TlsMode": "records",
        "parse_internaldate": "syntax",
        "parse_uid_set": "syntax",
        "uid_sets": "syntax",
    },
)
