"""A canned IMAP server reply behind a real ``imaplib.IMAP4`` and ``ImapConnection``.

Used by ``test_header_stream.py`` and ``tests/bench/bench_parse.py``: imaplib's own reading code
runs on bytes held in memory, so the old and the new way of reading a header fetch can be run
on the same reply without a server.
"""

from __future__ import annotations

import imaplib
import io
import re
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from supportmail.storage.imap import HeaderRecord, ImapConnection, uid_sets


class CannedWire(imaplib.IMAP4):
    """imaplib's IMAP4 reading a canned server reply from memory instead of a socket."""

    def __init__(self, reply: bytes) -> None:  # no super().__init__: that would connect
        self.debug = 0
        self.state = "SELECTED"
        self.literal = None
        self.tagged_commands: dict[bytes, Any] = {}
        self.untagged_responses: dict[str, Any] = {}
        self.continuation_response = ""
        self.is_readonly = False
        self.tagnum = 0
        self._tls_established = False
        self._mode_ascii()
        self.tagpre = b"TEST"  # type: ignore[assignment]
        tagre = re.compile(rb"(?P<tag>TEST\d+) (?P<type>[A-Z]+) (?P<data>.*)", re.ASCII)
        self.tagre = tagre  # type: ignore[assignment]
        self._cmd_log_len = 10
        self._cmd_log_idx = 0
        self._cmd_log: dict[int, Any] = {}
        self.file = io.BufferedReader(io.BytesIO(reply))
        self.sent: list[bytes] = []

    def send(self, data: Any) -> None:
        self.sent.append(bytes(data))

    def shutdown(self) -> None:
        self.sent.append(b"<shutdown>")


def connection(reply: bytes, pending: Sequence[bytes] = ()) -> ImapConnection:
    """A connection (CONDSTORE, INBOX selected) whose server says ``reply``; the tags in
    ``pending`` are commands of other callers still waiting for their completion."""
    conn = ImapConnection("127.0.0.1", 143, "none", "user", "secret-pw")
    wire = CannedWire(reply)
    for tag in pending:
        wire.tagged_commands[tag] = None
    conn._client = SimpleNamespace(_imap=wire, shutdown=lambda: None)
    conn._selected = "INBOX"
    conn._condstore = True
    return conn


def old_fetch_headers(
    conn: ImapConnection, uids: Sequence[int], fields: Sequence[str]
) -> list[HeaderRecord]:
    """``fetch_headers`` before the streaming reader: imaplib reads the reply, then one group
    per message (imaplib ends each response with its trailing bytes) is parsed."""
    section = f"HEADER.FIELDS ({' '.join(f.upper() for f in fields)})"
    items = f"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[{section}] MODSEQ)"
    records: dict[int, HeaderRecord] = {}
    for uid_set in uid_sets(uids):
        data = conn._uid_fetch("fetching headers", uid_set, items)
        groups: list[list[Any]] = [[]]
        for element in data:
            groups[-1].append(element)
            if isinstance(element, bytes):
                groups.append([])
        for group in groups:
            for record in conn._header_records(group) if group else ():
                records[record.uid] = record
    conn._forget_untagged()
    return [records[uid] for uid in dict.fromkeys(uids) if uid in records]
