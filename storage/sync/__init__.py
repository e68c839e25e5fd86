"""The sync engine: pull new mail and flag changes, keep pending edits on top, push the outbox,
mirror the bodies; and what keeps an open window current.

One sync of an account (:class:`SyncEngine`, ``engine``), in order:

1. **Pull** every configured folder (``headers``): SELECT; on a UIDVALIDITY change drop the
   folder's cache rows (notes and outbox edits are keyed by Message-ID, so nothing the user wrote
   is lost); drop UIDs that vanished; fetch the headers of UIDs the cache lacks **newest first**
   in chunks, committing each chunk (an interrupted first sync resumes where it stopped); fetch
   flag changes (``flags``) with CONDSTORE (``CHANGEDSINCE``) when the server has it, else diff
   all flags.
2. **Pending wins** (``pushes``): every edit still in the outbox is applied to the cache again,
   so a pulled keyword never overrides a local edit the server has not confirmed.
3. **Thread** the account again when messages came or went, and refresh the changed threads' rows.
4. **Push** the outbox (``pushes``): per edit and folder ``UID STORE +FLAGS.SILENT`` /
   ``-FLAGS.SILENT`` with the one keyword (never a full flag replace, so teammates' tags
   survive); an edit leaves the outbox only after the server said OK for every folder that holds
   the thread. Folders whose server cannot store keywords keep their edits local.
5. **Bodies** (``bodies``, ``bodystructure``): the body mirror fetches the readable text of every
   message that has none yet within the ``bodies`` window, newest first, in chunks (after the
   push, so tag edits go out first; not with ``bodies_since=None``).

A dropped connection is retried with backoff (``base``); every step is idempotent, so a retry
resumes. Progress is reported through a plain callback; nothing here knows the UI.

Around the engine: ``coalesce`` (one sync at a time; calls made meanwhile share the next run),
``foreground`` (the mirror yields to key presses) and ``live`` (the live mirror: the IDLE
watcher's changes become debounced syncs).

Nothing is imported here, so loading a small part (``coalesce`` and ``foreground``, which the
service needs at start-up) does not load the engine; import from the modules themselves, e.g.
``from storage.sync.engine import SyncEngine``.
"""
