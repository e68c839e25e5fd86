"""Searching the selected folder: all its UIDs (ESEARCH in chunks, or a UID FETCH without it),
``UID SEARCH`` with criteria built by ``storage.serversearch``, which messages carry a keyword,
which still exist, and the messages with a Message-ID."""

from __future__ import annotations

import re
from collections.abc import Sequence

from supportmail.storage.imap.core import ConnectionCore
from supportmail.storage.imap.syntax import check_keyword, parse_uid_set, uid_sets

__all__ = ["Search"]

_ESEARCH_SINGLE_MAX = 50_000
"""Up to this many messages one ``UID SEARCH RETURN (ALL)`` reply stays far below imaplib's 1 MB
line limit even when no two UIDs are adjacent (11 bytes per UID)."""
_ESEARCH_SPAN = 100_000
"""UID span per ``UID SEARCH`` chunk in big folders: at most 50,000 isolated UIDs per reply."""


class Search(ConnectionCore):
    """UID listings and UID SEARCH in the selected folder."""

    def uids(self) -> list[int]:
        """All UIDs of the selected folder, ascending (works on folders of any size)."""
        self._require_selected()
        if "ESEARCH" not in self._capabilities:
            return self._uids_by_fetch()
        count, low, high = self._esearch_bounds()
        if count == 0:
            return []
        if count <= _ESEARCH_SINGLE_MAX:
            return self._esearch_all("ALL")
        found: list[int] = []
        for start in range(low, high + 1, _ESEARCH_SPAN):
            found += self._esearch_all(f"UID {start}:{min(start + _ESEARCH_SPAN - 1, high)}")
        return sorted(set(found))

    def _esearch(self, returns: str, criteria: str) -> bytes:
        self._forget_untagged()
        result = self._command("UID SEARCH", "UID", "SEARCH", "RETURN", returns, criteria)
        self._check_ok("UID SEARCH", result)
        lines = [line for line in self._untagged("ESEARCH") if isinstance(line, bytes)]
        return lines[-1] if lines else b""

    def _esearch_bounds(self) -> tuple[int, int, int]:
        line = self._esearch("(MIN MAX COUNT)", "ALL")
        values = dict(re.findall(rb"\b(MIN|MAX|COUNT) (\d+)", line.upper()))
        count = int(values.get(b"COUNT", 0))
        return count, int(values.get(b"MIN", 1)), int(values.get(b"MAX", 0))

    def _esearch_all(self, criteria: str) -> list[int]:
        match = re.search(rb"\bALL ([0-9:,]+)", self._esearch("(ALL)", criteria))
        return parse_uid_set(match.group(1).decode()) if match else []

    def _uids_by_fetch(self) -> list[int]:
        """Without ESEARCH: one ``UID FETCH 1:* (UID)``; the reply has one short line per message,
        so imaplib's 1 MB line limit never applies."""
        data = self._uid_fetch("UID FETCH", "1:*", "(UID)")
        found = {
            int(match.group(1))
            for line in data
            if isinstance(line, bytes) and (match := re.search(rb"UID (\d+)", line))
        }
        return sorted(found)

    def uid_search(
        self, criteria: Sequence[str], *, charset: str | None = None, literal: bytes | None = None
    ) -> list[int]:
        """``UID SEARCH`` in the selected folder; the matching UIDs, ascending. ``criteria`` are
        search keys already in IMAP syntax (atoms, quoted strings: ``storage.serversearch``
        builds them, never from raw user text); ``literal`` follows them as an IMAP literal
        (imaplib sends one per command, last), e.g. the value of a final ``TEXT``. With
        ESEARCH (RFC 4731) the reply is ``RETURN (ALL)``'s compact UID set, else the plain
        ``* SEARCH`` list; either must stay below imaplib's 1 MB line (the caller bounds the
        UID range of big folders)."""
        self._require_selected()
        esearch = "ESEARCH" in self._capabilities
        args = ["UID", "SEARCH", *(["RETURN", "(ALL)"] if esearch else [])]
        args += [*(["CHARSET", charset] if charset else []), *criteria]
        wire = self._wire()
        self._forget_untagged()
        wire.literal = literal
        try:
            result = self._command("UID SEARCH", *args)
        finally:
            wire.literal = None
        self._check_ok("UID SEARCH", result)
        if esearch:
            lines = [line for line in self._untagged("ESEARCH") if isinstance(line, bytes)]
            match = re.search(rb"\bALL ([0-9:,]+)", lines[-1]) if lines else None
            return parse_uid_set(match.group(1).decode()) if match else []
        found = {
            int(uid)
            for line in self._untagged("SEARCH")
            if isinstance(line, bytes)
            for uid in line.split()
            if uid.isdigit()
        }
        return sorted(found)

    def keyword_carriers(self, uids: Sequence[int], keyword: str) -> list[int]:
        """Which of ``uids`` (selected folder) carry ``keyword``, by the server's SEARCH."""
        check_keyword(keyword)
        client = self._client_or_fail()
        self._require_selected()
        found: set[int] = set()
        with self._translated(f"searching for keyword {keyword}"):
            for uid_set in uid_sets(uids):
                found.update(
                    int(uid) for uid in client.search(["UID", uid_set, "KEYWORD", keyword])
                )
        self._forget_untagged()
        return sorted(found)

    def present(self, uids: Sequence[int]) -> list[int]:
        """Which of ``uids`` (selected folder) still exist on the server (``UID SEARCH UID``):
        a ``UID STORE`` on expunged UIDs is answered OK and changes nothing."""
        client = self._client_or_fail()
        self._require_selected()
        found: set[int] = set()
        with self._translated("looking up messages"):
            for uid_set in uid_sets(uids):
                found.update(int(uid) for uid in client.search(["UID", uid_set]))
        self._forget_untagged()
        return sorted(found)

    def search_message_id(self, message_id: str) -> list[int]:
        """UIDs in the selected folder whose Message-ID header contains ``message_id``."""
        client = self._client_or_fail()
        self._require_selected()
        with self._translated("searching by Message-ID"):
            found = client.search(["HEADER", "Message-ID", message_id.strip("<>")])
        self._forget_untagged()
        return sorted(int(uid) for uid in found)
