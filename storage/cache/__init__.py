"""The local message cache: stdlib sqlite3 (WAL) + FTS5. Rebuildable; deleting it loses only time.

What it holds, per account (the tables are in :mod:`storage.cache.schema`):

* ``folders``   one row per configured folder: UIDVALIDITY, HIGHESTMODSEQ after the last complete
                sync, whether the server stores keywords there (``\\*`` in PERMANENTFLAGS);
* ``messages``  one row per (folder, uid): decoded envelope, flags/keywords, MODSEQ, thread root;
* ``bodies``    readable text and attachment list of each message mirrored by a sync
                (``storage.sync.bodies``) or fetched when its thread was opened;
* ``threads``   one row per thread: aggregates the thread list needs (dates, counts, keywords,
                participants), rebuilt after a sync and patched after a tag edit, so listing 250k
                messages is an indexed query, not a scan;
* ``fts``       FTS5 (trigram tokenizer: substring search that works for German compounds and
                Chinese) over subject, people and the bodies fetched so far, in its own file
                attached as ``search`` (see :mod:`storage.cache.searchindex`).

:class:`Cache` is composed of one part per concern, each a module of this package:

* :mod:`~storage.cache.core`: connections and transactions (every part builds on it);
* :mod:`~storage.cache.messages`: folders, message rows and flags;
* :mod:`~storage.cache.bodies` (+ :mod:`~storage.cache.bodystore`): bodies;
* :mod:`~storage.cache.threadtable` (+ :mod:`~storage.cache.threadstore`): threading and the
  ``threads`` rows;
* :mod:`~storage.cache.search` (+ :mod:`~storage.cache.searchindex`,
  :mod:`~storage.cache.searchpage`, :mod:`~storage.cache.subjectcount`): thread lists, counts
  and full-text search;
* :mod:`~storage.cache.lookups`: one thread by root, id or Message-ID, and its messages;
* :mod:`~storage.cache.reportrows`: what the reports read;
* :mod:`~storage.cache.rows`: the row types and column codecs the parts share.

Nothing here talks to the network or knows about Textual.
"""

from __future__ import annotations

from supportmail.storage.cache.bodies import BodyStore
from supportmail.storage.cache.lookups import ThreadLookups
from supportmail.storage.cache.messages import MessageStore
from supportmail.storage.cache.reportrows import ReportQueries
from supportmail.storage.cache.rows import (
    FolderState,
    MessageRow,
    PreparedRows,
    ThreadRow,
    prepare_rows,
)
from supportmail.storage.cache.search import ThreadSearch
from supportmail.storage.cache.threadtable import ThreadTable

__all__ = [
    "Cache",
    "FolderState",
    "MessageRow",
    "PreparedRows",
    "ThreadRow",
    "prepare_rows",
]


class Cache(MessageStore, BodyStore, ThreadTable, ThreadSearch, ThreadLookups, ReportQueries):
    """The sqlite cache. One instance per process, used by the UI thread and workers; see
    :class:`storage.cache.core.CacheCore` for how threads share its connections."""
