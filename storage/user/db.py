"""The user's own database: tag catalog, private notes, the outbox of tag edits, small settings.

This is what people author and must never lose, so it lives in a small, human-readable TinyDB
JSON file with a storage that is safe against crashes and against a second supportmail process:

* **Atomic writes.** :class:`AtomicJSONStorage` never rewrites the file in place (TinyDB's stock
  ``JSONStorage`` does, and a crash mid-write leaves half a file). It serialises to
  ``<path>.tmp-<pid>`` in the same directory, fsyncs it, links the current good file to
  ``<path>.bak``, ``os.replace``-s the temp file over ``<path>`` and fsyncs the directory. Files
  are mode 0600, a directory it creates 0700. A full disk leaves the previous file untouched.
* **Recovery.** A file that is empty or not a TinyDB JSON document is moved aside to
  ``<path>.corrupt-<timestamp>`` and the ``.bak`` restored (or a fresh database started when the
  ``.bak`` is unusable too); :attr:`UserDB.recovered` then holds one line saying so.
* **One writer at a time.** Every public method of :class:`UserDB` runs under an exclusive
  ``fcntl.flock`` on ``<path>.lock`` (waiting at most 10 s) and re-reads the file inside the lock,
  so a CLI ``tag`` and a running TUI never lose each other's edits. ``<path>.lock.wait`` keeps
  the waiting fair, so a loop of writes in one process cannot starve another into the timeout.
  Within one locked call the storage keeps the document in memory and writes it once at the end
  (one fsync per call); it never caches across calls.

Tables: ``catalog`` (name, kind, description, shortcut, color, updated, writer, deleted: see
``storage.user.catalog``; a deleted tag stays as a tombstone so the deletion reaches teammates),
``notes`` (account, root, text, updated),
``outbox`` (account, thread_root, keyword, add, message_ids, seq, created), ``settings``
(key, value), ``quotes`` (id, account, root, message_id, text, who_name, who_addr, when, created:
passages of customers' messages you kept), ``activity`` (account, root, what, tag, kind, at: what
you did, for the customer-day summary; the last :data:`ACTIVITY_DAYS` days and at most
:data:`ACTIVITY_MAX` entries) and ``meta`` (schema version, next outbox sequence number, next
quote id).
"""

from __future__ import annotations

from supportmail.storage.user.catalog_store import CatalogStore
from supportmail.storage.user.journal import QuotesAndActivity
from supportmail.storage.user.notes import NotesAndSettings
from supportmail.storage.user.tag_outbox import TagOutbox

__all__ = ["UserDB"]


class UserDB(CatalogStore, NotesAndSettings, TagOutbox, QuotesAndActivity):
    """The user's TinyDB file; every public method is one locked, re-reading call.

    Safe to share between threads of one process and between processes (see the module
    docstring). ``recovered`` holds one line when a damaged file was moved aside.
    """
