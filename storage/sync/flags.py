"""The flag half of a folder's pull: which cached messages' flags changed on the server.

With CONDSTORE only what changed since the folder's last ``HIGHESTMODSEQ`` is fetched; without
it (or on a folder's first pull) every message's flags are compared. A keyword edit still in the
outbox stays on top of what the server says (:func:`overlay`), so a pull never undoes a local
edit the server has not confirmed yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from supportmail.storage.cache import FolderState
from supportmail.storage.imap import FolderStatus, ImapConnection
from supportmail.storage.models import SyncProgress
from supportmail.storage.sync.base import EngineBase, Tally

__all__ = ["FlagPull", "overlay"]


def overlay(flags: Sequence[str], edits: Mapping[str, bool]) -> tuple[str, ...]:
    """``flags`` with pending keyword edits (keyword -> add?) applied, case-insensitively."""
    if not edits:
        return tuple(flags)
    lowered = {kw.lower() for kw in edits}
    kept = [f for f in flags if f.lower() not in lowered]
    return (*kept, *(kw for kw, add in edits.items() if add))


class FlagPull(EngineBase):
    """Pulls flag changes of the selected folder into the cache."""

    def _pull_flags(
        self,
        imap: ImapConnection,
        folder: str,
        status: FolderStatus,
        state: FolderState | None,
        tally: Tally,
    ) -> None:
        """Store the flags that changed on the server since ``state`` (the folder's cached
        state before this pull; None: the folder is new, its messages came with their flags),
        then the folder's new state."""
        first_time = state is None or state.highestmodseq is None
        self._progress(SyncProgress(folder=folder, phase="flags"))
        if state is not None and not first_time and imap.condstore:
            if status.highestmodseq is not None and status.highestmodseq != state.highestmodseq:
                records_f = imap.fetch_flags(changedsince=state.highestmodseq)
            else:
                records_f = []
        elif state is not None and (first_time or not imap.condstore):
            records_f = imap.fetch_flags()
        else:
            records_f = []
        if records_f:
            current = self.cache.folder_flags_by_uid(
                self.account, folder, (r.uid for r in records_f)
            )
            pending = self.userdb.pending_keywords(self.account)
            changes = []
            for r in records_f:
                if r.uid not in current:
                    continue
                message_id, flags = current[r.uid]
                # What the cache should hold: the server's flags with pending local edits on top.
                effective = overlay(r.flags, pending.get(message_id, {}))
                if {f.lower() for f in effective} != {f.lower() for f in flags}:
                    changes.append((r.uid, effective, r.modseq))
            if changes:
                tally.roots |= self.cache.set_flags(self.account, folder, changes)
                tally.changed += len(changes)
        self.cache.save_folder(
            FolderState(
                self.account,
                folder,
                status.uidvalidity,
                status.highestmodseq if imap.condstore else 0,
                status.permanent_keywords,
            )
        )
