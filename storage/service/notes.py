"""The notes facade (``NotesFacade``): private notes keyed by a thread's root Message-ID (local
only), the note as a private file for ``$EDITOR``, notes whose thread left the cache."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from supportmail.storage.service.errors import ServiceError
from supportmail.storage.service.threads import ThreadsFacade
from supportmail.storage.threads import thread_id
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:
    from supportmail.storage.service.note_entry import NoteEntry

__all__ = ["NotesFacade"]


class NotesFacade(ThreadsFacade):
    """Private notes (local only), the note as a file for ``$EDITOR``, unmatched notes."""

    def note(self, ref: str) -> str | None:
        """The note of a thread (also of one no longer in the cache: see ``notes``)."""
        return self.userdb.note(self.account, self._note_root(ref))

    def set_note(self, ref: str, text: str) -> None:
        """Save (or with empty text, clear) the private note of a thread; it stays local.
        A note whose thread left the cache is named by its thread id or root Message-ID."""
        root = self._note_root(ref)
        try:
            self.userdb.set_note(self.account, root, text)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self._log(root, [("note", None)])

    def note_file(self, ref: str) -> AbstractContextManager[Path]:
        """The note of a thread as a private file to edit outside (``with ... as path``).

        The file (mode 0600, ``.txt``, in the data directory) holds the current note, ending in a
        newline so editors and ``>>`` append whole lines. On a normal exit of the ``with`` block
        the file is read back (UTF-8, undecodable bytes replaced), that one added newline is
        dropped again, and the text is saved with ``set_note`` unless it is unchanged. An
        exception inside the block saves nothing. The file is always deleted. The thread is
        resolved at once, so an unknown ``ref`` raises ``ServiceError`` before any file exists.
        """
        root = self._note_root(ref)
        return self._note_file(root, self.userdb.note(self.account, root) or "")

    @contextmanager
    def _note_file(self, root: str, current: str) -> Iterator[Path]:
        added_newline = bool(current) and not current.endswith("\n")
        path = self._write_note_file(current + "\n" if added_newline else current)
        try:
            yield path
            try:
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                raise ServiceError(f"cannot read the edited note: {exc.strerror or exc}") from exc
            if added_newline or not current:
                text = text.removesuffix("\n")
            if text != current:
                self.set_note(root, text)
        finally:
            path.unlink(missing_ok=True)

    def _write_note_file(self, text: str) -> Path:
        """A new 0600 ``.txt`` file in the data directory holding ``text``."""
        try:
            fd, name = tempfile.mkstemp(prefix="note-", suffix=".txt", dir=self.data_dir)
        except OSError as exc:
            raise ServiceError(f"cannot create a file for the note: {exc.strerror or exc}") from exc
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise ServiceError(f"cannot write the note file: {exc.strerror or exc}") from exc
        return path

    def orphan_notes(self) -> dict[str, str]:
        """Notes whose thread is not in the cache (kept, never deleted)."""
        return {
            root: text
            for root, text in self.userdb.notes(self.account).items()
            if self.cache.thread(self.account, root) is None
        }

    def notes(self, *, orphans_only: bool = False, raw: bool = False) -> list[NoteEntry]:
        """Your notes: those on threads in the cache (newest activity first), then the
        unmatched ones, whose thread is not in the cache (its messages were expunged, the
        folder was recreated or left the config). Unmatched notes are kept, never deleted:
        they re-attach when a message with that root Message-ID is cached again."""
        from supportmail.storage.service.note_entry import NoteEntry

        matched: list[tuple[datetime, NoteEntry]] = []
        unmatched: list[NoteEntry] = []
        for root, text in self.userdb.notes(self.account).items():
            row = self.cache.thread(self.account, root)
            if row is None:
                unmatched.append(NoteEntry(thread_id(root), root, "", text, orphan=True))
            elif not orphans_only:
                entry = NoteEntry(row.id, root, row.subject, text, orphan=False)
                matched.append((row.last_date, entry))
        matched.sort(key=lambda pair: pair[0], reverse=True)
        unmatched.sort(key=lambda e: e.root_message_id)
        out = [entry for _when, entry in matched] + unmatched
        return out if raw else [e.sanitized() for e in out]

    def _note_root(self, ref: str) -> str:
        """The root of the thread ``ref`` names; when no cached thread matches, the root of the
        one unmatched note whose thread id starts with ``ref`` or whose root Message-ID is it."""
        try:
            return self.resolve(ref)
        except ServiceError:
            if not ref.strip() or self.cache.find_roots(self.account, ref.strip()):
                raise  # no ref, or several cached threads match: not a question of orphans
            bare = ref.strip().strip("<>")
            prefix = ref.strip().lower()
            found = [
                root
                for root in self.orphan_notes()
                if root == bare or (len(prefix) >= 4 and thread_id(root).startswith(prefix))
            ]
            if len(found) == 1:
                return found[0]
            raise
