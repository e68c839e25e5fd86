"""Sharing the tag catalog through the IMAP server: pull, merge per tag, push when different.

Where the document lives:

* **IMAP METADATA** (RFC 5464) where the server offers it: the entry
  ``/shared/vendor/supportmail/catalog`` on the account's first folder (the team's mailbox).
  ``/shared``, not ``/private``: a private entry is per login, so teammates who reach the team
  mailbox with their own logins (ACL-shared folders) would each see only their own catalog; a
  shared entry is one value for everyone who can see the mailbox, and on a single team login the
  two behave the same. The first folder, not INBOX: in an ACL-shared setup each user's INBOX is
  their own.
* **A folder** otherwise (no METADATA, or the server refuses the entry, e.g. attributes are not
  enabled or the value is too big): one message in ``Supportmail/Catalog`` (the server's
  hierarchy separator), replaced by APPEND-new-then-expunge-old. Only the messages that were read
  and merged are expunged, so two teammates pushing at once leave two messages, which the next
  sync merges back into one.

No server announces a change of either to a client in IDLE on another folder, so the live
mirror's watcher asks between two IDLEs (:class:`CatalogProbe`: the entry's digest, or the
folder's STATUS) and syncs when the answer changed.

METADATA has no conditional write, so two pushes at the same moment keep only the later value;
nothing is lost for long: each side keeps its own entries, sees that the server lacks them on its
next sync, and pushes the merge again. Every edit carries its own time, so the merge
(``storage.user.catalog.merge``) gives the same catalog on every machine whatever the order.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from supportmail.storage.imap import ImapConnection, ImapError
from supportmail.storage.user.catalog import CatalogEntry, decode_document, encode_document
from supportmail.storage.user.db import UserDB

__all__ = [
    "CATALOG_HEADER",
    "METADATA_CAPABILITY",
    "METADATA_ENTRY",
    "CatalogProbe",
    "CatalogSync",
    "FolderStore",
    "MetadataStore",
    "choose_store",
    "sync_catalog",
]

_log = logging.getLogger(__name__)

METADATA_CAPABILITY = "METADATA"
METADATA_ENTRY = "/shared/vendor/supportmail/catalog"
METADATA_MAX = 60_000
"""Bytes above which the document goes to the folder instead (servers cap entry sizes)."""
FOLDER_PARTS = ("Supportmail", "Catalog")
CATALOG_HEADER = "X-Supportmail-Catalog"


@dataclass(frozen=True, slots=True)
class CatalogSync:
    """What one catalog sync did."""

    where: str
    """``metadata`` or the folder's name."""
    pulled: int
    """Tags in the server's copy."""
    pushed: bool
    """Whether the merged catalog was written back."""


class _Store(Protocol):
    where: str

    def read(self) -> dict[str, CatalogEntry]: ...

    def write(self, document: bytes) -> None: ...


class MetadataStore:
    """The catalog as one METADATA entry on ``mailbox``."""

    where = "metadata"

    def __init__(self, conn: ImapConnection, mailbox: str) -> None:
        self.conn = conn
        self.mailbox = mailbox

    def read(self) -> dict[str, CatalogEntry]:
        """The server's entries (empty when there is none yet); ``ImapError`` when the server
        refuses the entry."""
        value = self.conn.get_metadata(
            self.mailbox, METADATA_ENTRY, action="reading the shared catalog"
        )
        if value is None:
            return {}
        return decode_document(value) or {}

    def write(self, document: bytes) -> None:
        if len(document) > METADATA_MAX:
            raise ImapError(f"the catalog ({len(document)} bytes) is too big for METADATA")
        self.conn.set_metadata(
            self.mailbox, METADATA_ENTRY, document, action="storing the shared catalog"
        )


class FolderStore:
    """The catalog as one message in a dedicated folder."""

    def __init__(self, conn: ImapConnection, folder: str) -> None:
        self.conn = conn
        self.where = folder
        self._read_uids: list[int] = []

    def read(self) -> dict[str, CatalogEntry]:
        conn = self.conn
        try:
            conn.select(self.where)
        except ImapError as exc:
            if "does not exist" in str(exc):
                self._read_uids = []
                return {}
            raise
        uids = conn.uids()
        copies: list[dict[str, CatalogEntry]] = []
        read: list[int] = []
        for uid, raw in sorted(conn.fetch_whole(uids).items()):
            entries = _document_of(raw)
            if entries is not None:
                copies.append(entries)
                read.append(uid)
        self._read_uids = read
        merged: dict[str, CatalogEntry] = {}
        for copy in copies:
            for name, entry in copy.items():
                held = merged.get(name)
                if held is None or entry.version > held.version:
                    merged[name] = entry
        return merged

    @property
    def copies_read(self) -> int:
        """How many catalog messages the last ``read`` merged (more than one: two pushes met;
        the next ``write`` leaves one)."""
        return len(self._read_uids)

    def write(self, document: bytes) -> None:
        conn = self.conn
        conn.append(self.where, _catalog_message(document), flags=("\\Seen",))
        if not self._read_uids:
            return
        conn.select(self.where)
        conn.delete_messages(self._read_uids, action="removing the old catalog message")
        self._read_uids = []


def _catalog_message(document: bytes) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "supportmail tag catalog (do not edit)"
    msg["From"] = "supportmail <supportmail@localhost>"
    msg[CATALOG_HEADER] = "1"
    msg.set_content(document.decode("ascii"), subtype="plain", cte="quoted-printable")
    return msg.as_bytes(policy=email.policy.SMTP)


def _document_of(raw: bytes) -> dict[str, CatalogEntry] | None:
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if CATALOG_HEADER not in msg:
            return None
        payload = msg.get_payload(decode=True)
    except Exception:  # a damaged message in the folder: not ours to read
        _log.warning("shared catalog: unreadable message in the catalog folder", exc_info=True)
        return None
    if not isinstance(payload, bytes):
        return None
    return decode_document(payload)


def _folder_name(conn: ImapConnection) -> str:
    """``Supportmail/Catalog`` in the server's personal namespace: ``INBOX.Supportmail.Catalog``
    on Courier (NAMESPACE ``(("INBOX." "."))``, which refuses folders outside it); without
    NAMESPACE, with the delimiter LIST names."""
    try:
        namespaces = conn.personal_namespaces()
    except ImapError:
        namespaces = []
    if namespaces:
        prefix, delimiter = namespaces[0]
        return prefix + (delimiter or "/").join(FOLDER_PARTS)
    delimiter = conn.hierarchy_delimiter() or "/"
    return delimiter.join(FOLDER_PARTS)


def choose_store(conn: ImapConnection, mailbox: str) -> tuple[_Store, dict[str, CatalogEntry]]:
    """The store (METADATA on ``mailbox`` if the server offers it and lets us read the entry,
    else the folder) and the catalog read from it."""
    if METADATA_CAPABILITY in conn.capabilities:
        store = MetadataStore(conn, mailbox)
        try:
            return store, store.read()
        except ImapError as exc:
            if not conn.connected:
                raise
            _log.info("shared catalog: METADATA refused (%s); using the folder", exc)
    folder = FolderStore(conn, _folder_name(conn))
    return folder, folder.read()


class CatalogProbe:
    """What changes when anyone changes the shared catalog, read cheaply: the digest of the
    METADATA entry on ``mailbox`` where :func:`choose_store` would use it, else the catalog
    folder's STATUS (``(folder, None)`` while it does not exist). The watcher calls it on its
    persistent session between two IDLEs; the folder's name is looked up once per connection.
    Raises ``ImapConnectionLost`` when the connection drops."""

    def __init__(self, mailbox: str) -> None:
        self.mailbox = mailbox
        self._folder: tuple[int, str] | None = None

    def __call__(self, conn: ImapConnection) -> tuple[object, ...]:
        if METADATA_CAPABILITY in conn.capabilities:
            try:
                value = conn.get_metadata(
                    self.mailbox, METADATA_ENTRY, action="reading the shared catalog"
                )
            except ImapError:
                if not conn.connected:
                    raise
            else:
                return ("metadata", hashlib.sha256(value).hexdigest() if value else None)
        if self._folder is None or self._folder[0] != id(conn):
            self._folder = (id(conn), _folder_name(conn))
        folder = self._folder[1]
        try:
            found = conn.status(folder)
        except ImapError:
            if not conn.connected:
                raise
            return (folder, None)
        return (folder, found.get("MESSAGES"), found.get("UIDNEXT"), found.get("UIDVALIDITY"))


def sync_catalog(conn: ImapConnection, userdb: UserDB, mailbox: str) -> CatalogSync:
    """Pull the server's catalog, merge it into the userdb per tag, push the merge back when the
    server's copy differs. Raises ``ImapError`` (the local catalog is then unchanged)."""
    store, remote = choose_store(conn, mailbox)
    merged = userdb.merge_catalog(remote)
    pushed = False
    if _differs(merged, remote) or (isinstance(store, FolderStore) and store.copies_read > 1):
        document = encode_document(merged)
        try:
            store.write(document)
        except ImapError as exc:
            if not isinstance(store, MetadataStore) or not conn.connected:
                raise
            _log.info("shared catalog: METADATA write refused (%s); using the folder", exc)
            folder = FolderStore(conn, _folder_name(conn))
            folder.read()
            folder.write(document)
            store = folder
        pushed = True
    return CatalogSync(where=store.where, pulled=len(remote), pushed=pushed)


def _differs(merged: Mapping[str, CatalogEntry], remote: Mapping[str, CatalogEntry]) -> bool:
    return dict(merged) != dict(remote)
