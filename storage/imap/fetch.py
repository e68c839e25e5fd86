"""Fetching from the selected folder: header batches, all flags (CHANGEDSINCE with CONDSTORE),
whole messages and any other items (the body mirror's BODYSTRUCTURE and body parts).

``fetch_headers`` is the single place that knows how header batches are fetched; it and
``fetch_whole`` read their reply off the socket themselves (``storage.imap.stream``) and hand
any response of an unusual shape to the general FETCH parser (``storage.imap.fetchparse``).
Nothing here sets ``\\Seen``: headers and bodies are fetched with ``BODY.PEEK``.
"""

from __future__ import annotations

import imaplib
from collections.abc import Callable, Sequence
from typing import Any

from supportmail.storage.imap.core import ConnectionCore
from supportmail.storage.imap.errors import ImapError
from supportmail.storage.imap.fetchparse import (
    FetchParseError,
    Value,
    as_bytes,
    as_flags,
    as_int,
    flag_record,
    header_record,
    parse_fetch,
    salvaged_records,
)
from supportmail.storage.imap.records import FlagRecord, HeaderRecord
from supportmail.storage.imap.stream import (
    WHOLE_ITEMS,
    HeaderStream,
    RawFetch,
    fast_header_record,
    fast_whole,
    group_header_record,
)
from supportmail.storage.imap.syntax import HEADER_FIELD, server_line, uid_sets

__all__ = ["Fetch"]


class Fetch(ConnectionCore):
    """FETCH of headers, flags, whole messages and arbitrary items."""

    def fetch_headers(self, uids: Sequence[int], fields: Sequence[str]) -> list[HeaderRecord]:
        """Flags, INTERNALDATE, size and the named header fields (all headers if ``fields`` is
        empty) of ``uids``, in the order given; UIDs that no longer exist are left out. Never
        sets ``\\Seen``."""
        self._require_selected()
        for field in fields:
            if not HEADER_FIELD.match(field):
                raise ImapError(f"{field!r} is not a header field name")
        section = f"HEADER.FIELDS ({' '.join(f.upper() for f in fields)})" if fields else "HEADER"
        items = f"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[{section}]"
        items += " MODSEQ)" if self._condstore else ")"
        records: dict[int, HeaderRecord] = {}
        for uid_set in uid_sets(uids):
            for entry in self._stream_headers(uid_set, items):
                if isinstance(entry, HeaderRecord):
                    records[entry.uid] = entry
                    continue
                for record in self._header_records(entry):
                    records[record.uid] = record
        self._forget_untagged()
        return [records[uid] for uid in dict.fromkeys(uids) if uid in records]

    def _stream_headers(
        self,
        uid_set: str,
        items: str,
        action: str = "fetching headers",
        fast: Callable[[RawFetch], Any] | None = None,
    ) -> list[Any]:
        """Run one ``UID FETCH`` and read its reply straight off the socket: what ``fast``
        makes of each message of the common shape (a header record by default, looked up when
        called so a test can replace it), imaplib's
        ``[(text, literal), ..., trailer]`` for any other FETCH response (NO raises, except
        for messages expunged meanwhile)."""
        wire = self._wire()
        self._forget_untagged()
        with self._translated(action):
            tag = wire._command("UID", "FETCH", uid_set, items)
            stream = HeaderStream(wire, tag, fast or fast_header_record)
            try:
                typ, text = stream.run()
            except imaplib.IMAP4.abort as exc:
                raise imaplib.IMAP4.abort(f"command: UID => {exc}") from None
            except imaplib.IMAP4.error as exc:
                raise imaplib.IMAP4.error(f"command: UID => {exc}") from None
            if typ == "BAD":
                raise imaplib.IMAP4.error(f"UID command error: {typ} {[text]}")
        message = server_line(text, self._password)
        if typ != "OK" and "EXPUNGEISSUED" not in message.upper():
            raise ImapError(f"{action} failed: {message}")
        return stream.entries

    def _header_records(self, group: Sequence[Any]) -> list[HeaderRecord]:
        fast = group_header_record(group)
        if fast is not None:
            return [fast]
        try:
            items = parse_fetch(group)
        except (FetchParseError, ValueError, IndexError, TypeError) as exc:
            return salvaged_records(group, exc)
        parsed = (header_record(item) for item in items)
        return [record for record in parsed if record is not None]

    def _parsed(self, action: str, data: Sequence[Any]) -> list[dict[bytes, Value]]:
        with self._translated(action):
            return parse_fetch(data)

    def fetch_flags(self, changedsince: int | None = None) -> list[FlagRecord]:
        """Flags (and mod-sequences) of every message in the selected folder, by UID; with
        ``changedsince`` only of messages whose flags changed after that mod-sequence."""
        self._require_selected()
        if changedsince is not None and not self._condstore:
            raise ImapError("the server does not support CONDSTORE, so CHANGEDSINCE is unavailable")
        items = "(UID FLAGS MODSEQ)" if self._condstore else "(UID FLAGS)"
        modifiers = f"(CHANGEDSINCE {int(changedsince)})" if changedsince is not None else ""
        data = self._uid_fetch("fetching flags", "1:*", items, modifiers)
        self._forget_untagged()
        records: dict[int, FlagRecord] = {}
        slow: list[Any] = []
        for line in data:
            record = flag_record(line) if isinstance(line, bytes) else None
            if record is None:
                slow.append(line)
            else:
                records[record.uid] = record
        for item in self._parsed("fetching flags", slow):
            uid = as_int(item.get(b"UID"))
            if uid is not None and b"FLAGS" in item:
                records[uid] = FlagRecord(
                    uid, as_flags(item[b"FLAGS"]), as_int(item.get(b"MODSEQ"))
                )
        return [records[uid] for uid in sorted(records)]

    def fetch_body(self, uid: int) -> bytes | None:
        """The whole raw message (``BODY.PEEK[]``, so ``\\Seen`` is not set); None if it is gone."""
        self._require_selected()
        data = self._uid_fetch("fetching a message", str(int(uid)), "(UID BODY.PEEK[])")
        self._forget_untagged()
        for item in self._parsed("fetching a message", data):
            if as_int(item.get(b"UID")) == uid and b"BODY[]" in item:
                return as_bytes(item[b"BODY[]"])
        return None

    def fetch_whole(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The whole raw messages (``BODY.PEEK[]``, so ``\\Seen`` is not set) of ``uids`` by
        UID, read off the wire as ``fetch_headers`` reads headers; UIDs that no longer exist
        are left out."""
        self._require_selected()
        action = "fetching messages"
        out: dict[int, bytes] = {}
        for uid_set in uid_sets(uids):
            for entry in self._stream_headers(uid_set, WHOLE_ITEMS, action, fast_whole):
                if isinstance(entry, tuple):
                    out[entry[0]] = entry[1]
                    continue
                for item in self._parsed(action, entry):
                    uid, data = as_int(item.get(b"UID")), as_bytes(item.get(b"BODY[]"))
                    if uid is not None and data is not None:
                        out[uid] = data
        self._forget_untagged()
        return out

    def fetch_items(self, uids: Sequence[int], items: str) -> list[dict[bytes, Value]]:
        """``UID FETCH`` of ``items`` (e.g. ``"(UID BODYSTRUCTURE)"``) for ``uids``: one dict of
        parsed items per message (keys upper-cased, as :func:`parse_fetch`); messages that no
        longer exist are left out. The body mirror (``storage.sync.bodies``) reads through this."""
        self._require_selected()
        out: list[dict[bytes, Value]] = []
        for uid_set in uid_sets(uids):
            data = self._uid_fetch("fetching messages", uid_set, items)
            self._forget_untagged()
            out.extend(self._parsed("fetching messages", data))
            del data
        return out
