"""The one facade the CLI and the TUI call. Below this line: IMAP, sqlite, TinyDB. Above: no I/O.

Who calls what:

==========================  ====================================================================
``Service.open(...)``       a configured account (cache + userdb in ``DATA_DIR/ACCOUNT``)
``Service.open_demo(...)``  the bundled mailbox (``DATA_DIR/demo``), same cache/thread/tag code
``sync()`` / ``push()``     pull + push, or only push the outbox (``tag --push``); one sync at a
                            time (a call while one runs shares the next one:
                            ``storage.sync.coalesce``)
``live(on_event)``          the live mirror: IDLE/STATUS watcher + debounced syncs
                            (``storage.sync.live``, ``storage.imap.watcher``)
``on_server(work)``         ``work(conn)`` on the interactive session (searches, replies' IMAP work)
``list_threads(query)``     the thread list (sanitised ``ThreadSummary`` unless ``raw=True``)
``search_server(text)``     IMAP SEARCH in every folder -> the cached threads (``query.roots``)
``thread(ref)``             one thread with bodies (fetched on demand with ``BODY.PEEK`` on the
                            interactive session: it never waits behind a sync)
``edit_tags(ref, +, -)``    durable in the outbox, applied to the cache, pushed by the next sync
``note`` / ``set_note``     private notes, local only, keyed by the thread's root Message-ID
``note_file(ref)``          the note as a private temp file for ``$EDITOR``, saved back on exit
``notes()``                 every note, then the unmatched ones (thread not in the cache): kept
``parked_edits()``          tag edits whose thread left the server: kept, pushed if it returns
``claim_window()``          the TUI's one-window-per-account lock (``storage.instance``)
``mark_read(ref, read)``    explicit ``\\Seen`` changes, through the outbox like tag edits
``tags()``                  the catalog plus tags found on the server, with thread counts
``tag_catalog``             describe/rename/delete tags; the catalog shared through the server
``attachments``             save/open a message's attachments (fetched on demand), its links
``report`` / ``voice``      insight over the cache (``storage.insight``): counts, spikes, trends,
``bugs_by_reach``           bugs ranked by customers, top feature requests with quotes,
``digest`` / ``skim``       what customers wrote since a time (or since the last skim)
``save_quote`` / ``quotes`` customers' words you keep (local only); ``voice`` shows them first
``day_start`` / ``day_*``   the customer day: untagged threads oldest first, progress, summary
==========================  ====================================================================

Every method returns frozen values from ``storage.models``; errors a user can cause come out as
``ServiceError`` with one line.

Threads: every method may be called from any thread. The cache and the userdb lock their own
writes; the network goes through three persistent sessions (``storage.imap.sessions``: sync,
interactive, watch), each with its own lock, so a push or a thread being opened never waits for a
sync; syncs are serialised here (``_syncs``). A UI needs no lock of its own.

The class is split by responsibility into facades over one shared state (``core``): ``mirror``,
``threads``, ``tags``, ``notes``, ``quotes``, ``insight``, ``customer_day``; ``facade`` combines
them into ``Service``, with the parts it holds as attributes: ``answering`` (``answers``),
``replying`` (``replies``, built on ``drafting`` and ``delivery``), ``tag_catalog`` and
``attachments``; ``api`` names each facade's methods as a ``typing.Protocol`` (the test doubles
implement them); ``errors`` holds ``ServiceError`` and its kin, ``note_entry`` ``NoteEntry``
and ``parked_edit`` ``ParkedEdit`` (exported lazily: a first screen lists neither).
"""

from typing import TYPE_CHECKING

from supportmail.storage.lazy import lazy_exports
from supportmail.storage.service.core import CACHE_FILE, USERDB_FILE
from supportmail.storage.service.errors import (
    CatalogInputError,
    ServiceError,
    UnknownMessageError,
)
from supportmail.storage.service.facade import Service

if TYPE_CHECKING:
    from supportmail.storage.service.note_entry import NoteEntry
    from supportmail.storage.service.parked_edit import ParkedEdit

__all__ = [
    "CACHE_FILE",
    "USERDB_FILE",
    "CatalogInputError",
    "NoteEntry",
    "ParkedEdit",
    "Service",
    "ServiceError",
    "UnknownMessageError",
]

__getattr__ = lazy_exports(__name__, {"NoteEntry": "note_entry", "ParkedEdit": "parked_edit"})
