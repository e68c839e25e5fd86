"""The push half of a sync: the outbox's tag edits to the server, and pending edits kept on top.

Per edit and folder ``UID STORE +FLAGS.SILENT`` / ``-FLAGS.SILENT`` with the one keyword (never
a full flag replace, so teammates' tags survive); an edit leaves the outbox only after the server
said OK for every folder that holds the thread, and only once every configured folder finished
its first pull (until then the cache may know a thread only in part). Folders whose server cannot
store keywords keep their edits local. :meth:`Pusher.reapply_pending` applies every edit still in
the outbox to the cache again, so a pulled keyword never overrides a local edit.

An edit none of whose messages is cached after a run that pulled every configured folder (each
past its first pull, none missing: the server no longer has the thread) is *parked*
(``UserDB.outbox_park``): kept, no longer pending, said once in the summary. When one of its
messages comes back (the same Message-ID in a later pull) it is unparked and pushed. A push
without a pull (``tag --push``, the window's push after an edit) trusts the cache less: it asks
the server which of the UIDs still exist (a ``UID STORE`` on expunged UIDs is answered OK), and
an edit none of whose messages exists stays pending for the next sync to park.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from supportmail.storage.imap import ImapConnectionLost, ImapError, quirks
from supportmail.storage.models import LOCAL_FOLDER, SyncProgress
from supportmail.storage.sync.base import EngineBase, Tally
from supportmail.storage.tags import SEEN
from supportmail.storage.user.records import OutboxEdit

__all__ = ["Pusher"]

log = logging.getLogger(__name__)


class Pusher(EngineBase):
    """Pushes an account's outbox; keeps its pending edits on top in the cache."""

    def reapply_pending(self) -> set[str]:
        """Apply every outbox edit to the cache again: a pending local edit beats a pulled flag."""
        roots: set[str] = set()
        for edit in self.userdb.outbox(self.account, parked=None):
            roots |= self.cache.apply_keyword(
                self.account, self._targets(edit), edit.keyword, edit.add
            )
        return roots

    def _targets(self, edit: OutboxEdit) -> set[str]:
        """The messages an edit applies to: those it named plus the thread's current messages."""
        targets = set(edit.message_ids)
        targets.update(self.cache.thread_message_ids(self.account, edit.thread_root))
        return targets

    def _first_pull_done(self, tally: Tally) -> bool:
        """Every configured folder (that the server has) finished its first pull. Until then
        the cache may know a thread only in part, and an edit must stay in the outbox so the
        next complete sync reaches the rest of the thread."""
        for folder in self.folders:
            if folder in tally.missing:
                continue
            state = self.cache.folder(self.account, folder)
            if state is None or state.highestmodseq is None:
                return False
        # Messages stored but not threaded yet (a killed sync) may belong to the edited thread.
        return not self.cache.has_unthreaded(self.account)

    def _nobody_carries(self, uids: Iterable[int], keyword: str) -> bool:
        """Whether no message of ``uids`` (selected folder) carries ``keyword`` on the server."""
        try:
            return not self._conn().keyword_carriers(sorted(uids), keyword)
        except ImapConnectionLost:
            raise
        except ImapError:
            return False

    def _push(self, tally: Tally) -> None:
        edits = self.userdb.outbox(self.account, parked=None)
        complete = self._first_pull_done(tally)
        # Only a run that just pulled every configured folder knows a thread is gone.
        settled = complete and tally.pulled and not tally.missing
        for n, edit in enumerate(edits, 1):
            self._progress(SyncProgress(folder="", phase="push", done=n - 1, total=len(edits)))
            locations = self.cache.locations(self.account, self._targets(edit))
            if not locations:
                # Not on the server: the edit waits in the outbox, parked once a complete
                # pull shows that none of its messages is there any more.
                if edit.parked is None and settled and self.userdb.outbox_park(edit):
                    tally.parked += 1
                    log.info(
                        "parked %s on %s: its messages are gone", edit.keyword, edit.thread_root
                    )
                continue
            unparked = edit.parked is not None and self.userdb.outbox_unpark(edit)
            local_only = False
            stored = False
            seen = edit.keyword.lower() == SEEN.lower()
            for folder, cached in sorted(locations.items()):
                if folder == LOCAL_FOLDER:
                    stored = True  # a sent reply not synced yet: only in the cache, no push
                    continue
                state = self.cache.folder(self.account, folder)
                if state is None or not (seen or state.permanent_keywords):
                    local_only = True
                    if state is not None and folder not in tally.local_only:
                        tally.local_only.append(folder)
                    continue
                uids = cached
                try:
                    self._select(folder)
                    if not tally.pulled:
                        uids = self._conn().present(cached)
                    if not uids:
                        continue  # expunged since the last pull: that sync parks the edit
                    stored = True
                    if seen:
                        self._conn().set_seen(sorted(uids), edit.add)
                    else:
                        self._conn().store_keyword(sorted(uids), edit.keyword, edit.add)
                except ImapConnectionLost:
                    raise
                except ImapError as exc:
                    if not (seen or edit.add) and self._nobody_carries(uids, edit.keyword):
                        # Already true; Cyrus refuses even this past its keyword limit.
                        log.info("dropped removal of %s in %s: %s", edit.keyword, folder, exc)
                        continue
                    local_only = True
                    tally.errors.append(quirks.refusal(edit.keyword, folder, str(exc)))
            if stored and not local_only and complete and self.userdb.outbox_ack(edit):
                tally.pushed += 1
                if unparked:
                    tally.unparked += 1
