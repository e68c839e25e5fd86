"""Writing: keyword and ``\\Seen`` STOREs (silent, one flag at a time, never any other flag),
APPEND (creating the folder when the server says TRYCREATE; the UID from APPENDUID) and removing
messages (``\\Deleted``, then EXPUNGE)."""

from __future__ import annotations

import imaplib
import re
from collections.abc import Sequence

from supportmail.storage.imap.core import ConnectionCore
from supportmail.storage.imap.syntax import check_keyword, uid_sets

__all__ = ["Store"]

_SEEN = "\\Seen"
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


class Store(ConnectionCore):
    """STORE of keywords and the read mark, APPEND, and removing messages."""

    def store_keyword(self, uids: Sequence[int], keyword: str, add: bool) -> None:
        """Add (``+FLAGS.SILENT``) or remove (``-FLAGS.SILENT``) one keyword on ``uids``; other
        flags are never touched. The server's refusal raises ``ImapError`` with its text."""
        check_keyword(keyword)
        self._store(uids, keyword, add, f"storing keyword {keyword}")

    def set_seen(self, uids: Sequence[int], seen: bool) -> None:
        """Mark messages read (``seen=True``) or unread."""
        self._store(uids, _SEEN, seen, "marking messages read" if seen else "marking unread")

    def append(
        self, folder: str, raw: bytes, flags: Sequence[str] = (_SEEN,)
    ) -> tuple[int, int] | None:
        """APPEND a message to ``folder`` (created when the server says TRYCREATE); returns
        (UIDVALIDITY, UID) from the server's APPENDUID (UIDPLUS), or None without it."""
        client = self._client_or_fail()
        action = f"filing a copy in {folder}"
        with self._translated(action):
            try:
                response = client.append(folder, raw, flags=tuple(flags))
            except imaplib.IMAP4.error as exc:
                if isinstance(exc, imaplib.IMAP4.abort) or "TRYCREATE" not in str(exc).upper():
                    raise
                client.create_folder(folder)
                response = client.append(folder, raw, flags=tuple(flags))
        text = response if isinstance(response, bytes) else str(response).encode()
        found = _APPENDUID.search(text)
        return (int(found.group(1)), int(found.group(2))) if found else None

    def delete_messages(self, uids: Sequence[int], *, action: str = "removing messages") -> None:
        """Remove ``uids`` from the selected folder: ``\\Deleted``, then ``UID EXPUNGE`` of those
        UIDs (UIDPLUS), else ``EXPUNGE``, which also removes every other message already marked
        ``\\Deleted`` there. A refusal raises ``ImapError`` ("``action`` failed: ...")."""
        for uid_set in uid_sets(uids):
            result = self._command(action, "UID", "STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)")
            self._forget_untagged()
            self._check_ok(action, result)
            if "UIDPLUS" in self._capabilities:
                result = self._command(action, "UID", "EXPUNGE", uid_set)
            else:
                result = self._command(action, "EXPUNGE")
            self._forget_untagged()
            self._check_ok(action, result)

    def _store(self, uids: Sequence[int], flag: str, add: bool, action: str) -> None:
        self._require_selected()
        command = "+FLAGS.SILENT" if add else "-FLAGS.SILENT"
        for uid_set in uid_sets(uids):
            result = self._command(action, "UID", "STORE", uid_set, command, f"({flag})")
            self._forget_untagged()
            self._check_ok(action, result)

    # -- waiting --------------------------------------------------------------------------------
