"""Search on the server: what ``threads --search TEXT --server`` and the TUI's server search run.

The local search reads the cache's FTS index, which holds the bodies the mirror brought; mail
outside the ``bodies`` window (or before the mirror reached it) is found only by the server.
Here every configured folder is searched with ``UID SEARCH``, one ``TEXT`` key per word (a
message matches when every word is in its headers or body, as the local search requires every
word), and the UIDs found are mapped to the cached messages and their threads.

On the wire
    * ESEARCH (RFC 4731) where the server offers it: ``UID SEARCH RETURN (ALL) ...`` answers
      with a compact UID set; otherwise the plain ``* SEARCH`` list
      (``ImapConnection.uid_search`` chooses).
    * A word of printable ASCII goes as a quoted string. Any other word goes as a literal
      after ``CHARSET UTF-8`` (RFC 3501 section 6.4.4). imaplib sends one literal per command,
      so each non-ASCII word is one command (with every ASCII word beside it) and the UID sets
      are intersected.
    * Folders of more than ``SINGLE_MAX`` messages are searched by UID ranges, so that no reply
      line reaches imaplib's 1 MB limit.

Mapping
    A UID means a cached message only while the folder's UIDVALIDITY is the one the cache
    holds; under another UIDVALIDITY (or in a folder never synced) every match counts as
    unknown. Messages the cache has but has not threaded yet count as unknown too: a sync
    lists them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportmail.storage.models import ServerSearch

if TYPE_CHECKING:
    from supportmail.storage.cache import Cache
    from supportmail.storage.imap import ImapConnection

__all__ = [
    "SINGLE_MAX",
    "FolderHits",
    "Search",
    "commands",
    "resolve",
    "roots_of_uids",
    "search_folders",
]

SINGLE_MAX = 50_000
"""Folders with up to this many messages are searched in one command."""
SPAN = 50_000
"""UIDs per command in bigger folders: a plain ``* SEARCH`` line of 50,000 UIDs stays below 1 MB."""

Search = tuple[tuple[str, ...], bytes | None]
"""One ``UID SEARCH``: its search keys (the last may await the literal) and the literal."""


@dataclass(frozen=True, slots=True)
class FolderHits:
    """What the server matched in one folder."""

    folder: str
    uidvalidity: int
    uids: tuple[int, ...]


def _quotable(word: str) -> bool:
    return all(" " < c <= "~" for c in word)


def _quoted(word: str) -> str:
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def commands(words: Sequence[str]) -> list[Search]:
    """The searches whose UID sets, intersected, are the messages holding every word."""
    plain = tuple(k for w in words if _quotable(w) for k in ("TEXT", _quoted(w)))
    others = [w for w in words if not _quotable(w)]
    if not others:
        return [(plain, None)]
    return [((*plain, "TEXT"), w.encode("utf-8")) for w in others]


def _ranges(exists: int, uidnext: int) -> list[str | None]:
    """UID ranges to search a folder by (None: the whole folder at once)."""
    if exists <= SINGLE_MAX:
        return [None]
    return [f"UID {lo}:{min(lo + SPAN - 1, uidnext)}" for lo in range(1, uidnext + 1, SPAN)]


def _search_folder(
    conn: ImapConnection, words: Sequence[str], exists: int, uidnext: int
) -> set[int]:
    found: set[int] | None = None
    for keys, literal in commands(words):
        uids: set[int] = set()
        for span in _ranges(exists, uidnext):
            criteria = [*([span] if span else []), *keys]
            charset = "UTF-8" if literal is not None else None
            uids.update(conn.uid_search(criteria, charset=charset, literal=literal))
        found = uids if found is None else found & uids
    return found or set()


def search_folders(
    conn: ImapConnection, folders: Sequence[str], words: Sequence[str]
) -> tuple[list[FolderHits], list[str]]:
    """Search every folder on an open connection: (hits per folder, folders the server does
    not have). Any other failure raises ``ImapError``."""
    from supportmail.storage.imap import ImapAuthError, ImapConnectionLost, ImapError, ImapRefused

    hits: list[FolderHits] = []
    missing: list[str] = []
    for folder in folders:
        try:
            status = conn.select(folder)
        except (ImapConnectionLost, ImapRefused, ImapAuthError):
            raise
        except ImapError:
            missing.append(folder)  # "does not exist" or "cannot select": nothing to search
            continue
        uids = _search_folder(conn, words, status.exists, status.uidnext)
        hits.append(FolderHits(folder, status.uidvalidity, tuple(sorted(uids))))
    return hits, missing


def roots_of_uids(
    db: sqlite3.Connection, account: str, folder: str, uids: Sequence[int]
) -> tuple[set[str], int]:
    """(thread roots of the cached, threaded messages among ``uids``, how many those are)."""
    roots: set[str] = set()
    known = 0
    for start in range(0, len(uids), 10_000):
        part = json.dumps(list(uids[start : start + 10_000]))
        for (root,) in db.execute(
            "SELECT m.thread_root FROM json_each(?) j JOIN messages m"
            " ON m.account=? AND m.folder=? AND m.uid=j.value WHERE m.thread_root IS NOT NULL",
            (part, account, folder),
        ):
            roots.add(root)
            known += 1
    return roots, known


def resolve(
    cache: Cache,
    account: str,
    text: str,
    hits: Sequence[FolderHits],
    missing: Sequence[str],
    *,
    esearch: bool,
) -> ServerSearch:
    """Map the server's hits to cached threads (see the module docstring)."""
    roots: set[str] = set()
    messages = unknown = 0
    for hit in hits:
        messages += len(hit.uids)
        state = cache.folder(account, hit.folder)
        if state is None or state.uidvalidity != hit.uidvalidity:
            unknown += len(hit.uids)
            continue
        found, known = cache.roots_of_uids(account, hit.folder, hit.uids)
        roots |= found
        unknown += len(hit.uids) - known
    return ServerSearch(
        text=text,
        roots=frozenset(roots),
        messages=messages,
        unknown=unknown,
        folders=tuple(h.folder for h in hits),
        missing_folders=tuple(missing),
        esearch=esearch,
    )
